-- 008_repeat_contacts: repeat-contact FCR (`repeat_fcr_pct` of the KPI definitions).
--
-- An answered contact with a known caller is "followed" when another contact of the
-- same caller pseudonym (any queue, channel or outcome of the tenant) is offered after
-- it and within the repeat window of its queue: offered_at in (t, t + W x 86,400 s],
-- W = repeat_window_days, a versioned queue setting (default 7) like the others.
--
-- Ingest stores only the pseudonym, so an ingest transaction never waits for another
-- one's callers. The flags of a local day are computed once the window of every queue
-- has passed for it, with two days' margin, by ccm_repeat_finalize() (the daemon calls
-- it on a timer), and kept as per-interval counts in contact_intervals
-- (repeat_known, repeat_followed). Days up to repeat_state.final_through are final.
-- A change to a contact offered more than a day ago (a backfill, a late lifecycle
-- event, a newer contact record) or the rebuild of an interval more than a day old
-- leaves a mark in repeat_dirty, from the same transaction; every day the change can
-- touch is read from raw contacts again until the finalizer has redone it. Days that
-- are not final (in steady state the last W + 3) are read from raw contacts through
-- ccm_repeat_flags(): exactly the days whose figure is still provisional.
--
-- Why the marks are enough without locking ingest: a contact c changes the flags of day
-- d only if c.offered_at <= end(d) + W, and the finalizer takes day d only once
-- end(d) + W + 2 days <= now(). A transaction that commits c after the finalizer's
-- snapshot therefore has c.offered_at <= now() - 2 days (for any transaction younger
-- than a day), so its trigger marks the change, and the mark outlives the finalizer's
-- pass (which only consumes the marks it saw before it read the contacts).

ALTER TABLE queue_settings
    ADD COLUMN repeat_window_days integer CHECK (repeat_window_days BETWEEN 1 AND 90);
ALTER TABLE queue_settings_resolved
    ADD COLUMN repeat_window_days integer NOT NULL DEFAULT 7;

ALTER TABLE contact_intervals
    ADD COLUMN repeat_known integer NOT NULL DEFAULT 0,     -- answered, caller known
    ADD COLUMN repeat_followed integer NOT NULL DEFAULT 0;  -- ... and followed in the window

CREATE TABLE repeat_state (
    tenant_id     bigint PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    final_through date NOT NULL DEFAULT '-infinity',
    stored_at     timestamptz   -- when days' counts were last stored
);

-- touched_date: the earliest local date of the contacts (or intervals) changed; the
-- days from touched_date - W - 1 on may be stale.
CREATE TABLE repeat_dirty (
    tenant_id    bigint NOT NULL,
    touched_date date NOT NULL,
    marked_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repeat_dirty_by_tenant ON repeat_dirty (tenant_id, touched_date);

-- For contacts and interval rows alike (both carry tenant_id, local_date and the
-- interval_start of offered_at): interval_start <= offered_at, so every contact offered
-- a day ago or earlier is marked.
CREATE FUNCTION ccm_repeat_mark() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO repeat_dirty (tenant_id, touched_date)
    SELECT tenant_id, min(local_date) FROM changed
     WHERE interval_start <= now() - interval '1 day'
     GROUP BY tenant_id;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER contacts_repeat_inserted AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ccm_repeat_mark();
CREATE TRIGGER contacts_repeat_updated_from AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ccm_repeat_mark();
CREATE TRIGGER contacts_repeat_updated_to AFTER UPDATE ON contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ccm_repeat_mark();
CREATE TRIGGER contacts_repeat_deleted AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ccm_repeat_mark();
-- A rebuild (settings change, `ccmetricsd rebuild`, a replaced contact) deletes and
-- re-adds interval rows; the re-added rows carry no repeat counts until redone.
CREATE TRIGGER contact_intervals_repeat_deleted AFTER DELETE ON contact_intervals
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION ccm_repeat_mark();

-- The longest window of any queue of the tenant, ever (queues never configured use 7).
CREATE FUNCTION ccm_repeat_window_max(p_tenant bigint) RETURNS integer
LANGUAGE sql STABLE AS $fn$
    SELECT greatest(7, (SELECT max(repeat_window_days) FROM queue_settings_resolved
                         WHERE tenant_id = p_tenant))
$fn$;

-- The last local day whose stored counts are final and not stale ('-infinity': none).
CREATE FUNCTION ccm_repeat_final_through(p_tenant bigint) RETURNS date
LANGUAGE sql STABLE AS $fn$
    SELECT least(coalesce((SELECT final_through FROM repeat_state WHERE tenant_id = p_tenant),
                          '-infinity'::date),
                 (SELECT min(touched_date) FROM repeat_dirty WHERE tenant_id = p_tenant)
                     - ccm_repeat_window_max(p_tenant) - 2)
$fn$;

-- The answered contacts with a known caller offered in [p_from, p_to) on a local date
-- after p_after, each with whether it was followed (1) or not (0). The next strictly later
-- contact of each caller comes from one sort of the contacts in the range (and the
-- longest window after it) by caller and time: first_value over the rows after the
-- current one's peers (EXCLUDE GROUP: a contact at the same instant is not "further").
-- No look-up per contact, so the cost is a range read and a sort, not random reads of
-- the caller index. A single-SELECT SQL function, so the planner inlines it into the
-- query that uses it. Filters on its queue, service or channel apply to the answered
-- contacts only: they cannot be pushed below the window, so a further contact in any
-- queue or channel still counts.
CREATE FUNCTION ccm_repeat_flags(p_tenant bigint, p_from timestamptz, p_to timestamptz,
                                 p_after date)
RETURNS TABLE (queue text, channel smallint, service text, local_date date,
               interval_start timestamptz, offered_at timestamptz, followed integer)
LANGUAGE sql STABLE AS $fn$
    SELECT x.queue, x.channel, nullif(s.service, ''), x.local_date, x.interval_start,
           x.offered_at,
           coalesce(x.next_at <= x.offered_at
                    + make_interval(secs => 86400.0 * coalesce(s.repeat_window_days, 7)),
                    false)::integer
      FROM (SELECT c.queue, c.channel, c.local_date, c.interval_start, c.offered_at, c.outcome,
                   first_value(c.offered_at) OVER (
                       PARTITION BY c.caller_hash ORDER BY c.offered_at
                       RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP)
                       AS next_at
              FROM contacts c
             WHERE c.tenant_id = p_tenant AND c.caller_hash IS NOT NULL
               AND c.offered_at >= p_from
               -- a local date starts less than a day before the UTC midnight of its date
               AND c.offered_at >= (p_after::timestamp - interval '1 day') AT TIME ZONE 'UTC'
               AND c.offered_at < p_to
                   + make_interval(secs => 86400.0 * ccm_repeat_window_max(p_tenant))) x
      LEFT JOIN queue_settings_resolved s
             ON s.tenant_id = p_tenant AND s.queue = x.queue
            AND x.local_date >= s.valid_from AND x.local_date < s.valid_to
     WHERE x.outcome = 1 AND x.offered_at < p_to AND x.local_date > p_after
$fn$;

-- Stores the repeat counts of the local days [p_first, p_last] into their intervals.
CREATE FUNCTION ccm_repeat_store_days(p_tenant bigint, p_first date, p_last date)
RETURNS void LANGUAGE plpgsql
-- Index range reads only (a plan made while a bulk load has just begun would otherwise
-- read the whole table), and memory for a week's sort of contacts by caller.
SET enable_seqscan = off SET jit = off SET work_mem = '64MB'
AS $fn$
DECLARE
    lo timestamptz := (p_first::timestamp - interval '2 days') AT TIME ZONE 'UTC';
    hi timestamptz := (p_last::timestamp + interval '3 days') AT TIME ZONE 'UTC';
    counts record;
BEGIN
    -- EXECUTE: planned for these days' sizes every time, never a plan cached
    -- while the tables were small.
    EXECUTE 'SELECT array_agg(queue) AS queues, array_agg(interval_start) AS intervals,'
            '       array_agg(channel) AS channels, array_agg(known) AS known,'
            '       array_agg(followed) AS followed'
            '  FROM (SELECT f.queue, f.interval_start, f.channel, count(*)::integer AS known,'
            '               sum(f.followed)::integer AS followed'
            '          FROM ccm_repeat_flags($1, $2, $3, $4 - 1) f'
            '         WHERE f.local_date <= $5'
            '         GROUP BY 1, 2, 3) x'
       INTO counts USING p_tenant, lo, hi, p_first, p_last;
    -- Exclusive against ingest of the tenant (which holds the shared lock) only for the
    -- writes: no deadlock with an ingest or rebuild writing the same interval rows.
    PERFORM pg_advisory_xact_lock(727365002, p_tenant::integer);
    -- Intervals that had counts and have none now (their contacts changed). NOT IN over
    -- the new keys is a hashed subplan: one probe a row.
    EXECUTE 'UPDATE contact_intervals i SET repeat_known = 0, repeat_followed = 0'
            ' WHERE i.tenant_id = $1 AND i.interval_start >= $2 AND i.interval_start < $3'
            '   AND i.local_date BETWEEN $7 AND $8'
            '   AND (i.repeat_known <> 0 OR i.repeat_followed <> 0)'
            '   AND (i.queue, i.interval_start, i.channel) NOT IN'
            '       (SELECT * FROM unnest($4::text[], $5::timestamptz[], $6::smallint[]))'
       USING p_tenant, lo, hi, coalesce(counts.queues, '{}'), coalesce(counts.intervals, '{}'),
             coalesce(counts.channels, '{}'), p_first, p_last;
    -- The new counts, one primary-key lookup each; rows already right are not rewritten.
    EXECUTE 'UPDATE contact_intervals i'
            '   SET repeat_known = u.known, repeat_followed = u.followed'
            '  FROM unnest($2::text[], $3::timestamptz[], $4::smallint[], $5::integer[],'
            '              $6::integer[]) AS u(queue, interval_start, channel, known, followed)'
            ' WHERE i.tenant_id = $1 AND i.queue = u.queue AND i.interval_start = u.interval_start'
            '   AND i.channel = u.channel'
            '   AND (i.repeat_known, i.repeat_followed) IS DISTINCT FROM (u.known, u.followed)'
       USING p_tenant, counts.queues, counts.intervals, counts.channels, counts.known,
             counts.followed;
END
$fn$;

-- Takes the marks, then finalizes at most p_max_days local days with contacts (days
-- without contacts are final at once). more: there are further days to finalize now.
-- While marks keep coming (a backfill in progress: one newer than p_quiet), redoing the
-- days would be undone by the next batch, so it waits for the backfill to end; readers
-- are exact meanwhile. It still redoes them once every p_max_wait, should marks never
-- stop (late events trickling in), so the raw-contact days do not grow without bound.
CREATE FUNCTION ccm_repeat_finalize(p_tenant bigint, p_max_days integer, p_quiet interval,
                                    p_max_wait interval,
                                    OUT final_through date, OUT more boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    window_max integer := ccm_repeat_window_max(p_tenant);
    stored timestamptz;
    touched date;
    limit_day date;
    first_day date;
    last_day date;
BEGIN
    INSERT INTO repeat_state (tenant_id) VALUES (p_tenant) ON CONFLICT DO NOTHING;
    -- One finalizer of a tenant at a time (several daemons may share a database).
    SELECT s.final_through, s.stored_at INTO final_through, stored FROM repeat_state s
     WHERE s.tenant_id = p_tenant FOR UPDATE;
    more := false;
    IF EXISTS (SELECT 1 FROM repeat_dirty d WHERE d.tenant_id = p_tenant
                  AND d.marked_at > now() - p_quiet)
       AND stored > now() - p_max_wait THEN
        RETURN;
    END IF;
    WITH consumed AS (DELETE FROM repeat_dirty d WHERE d.tenant_id = p_tenant
                      RETURNING d.touched_date)
    SELECT min(c.touched_date) INTO touched FROM consumed c;
    IF touched IS NOT NULL THEN
        final_through := least(final_through, touched - window_max - 2);
    END IF;
    -- The last day whose every window ended two days ago or earlier.
    SELECT ((now() - make_interval(secs => 86400.0 * (window_max + 2)))
            AT TIME ZONE t.time_zone)::date - 1
      INTO limit_day FROM tenants t WHERE t.id = p_tenant;
    IF final_through < limit_day THEN
        -- The first day after final_through with any contact.
        SELECT i.local_date INTO first_day FROM contact_intervals i
         WHERE i.tenant_id = p_tenant
           AND i.interval_start >= (final_through::timestamp - interval '1 day') AT TIME ZONE 'UTC'
           AND i.local_date > final_through
         ORDER BY i.interval_start LIMIT 1;
        IF first_day IS NULL OR first_day > limit_day THEN
            final_through := limit_day;
        ELSE
            last_day := least(limit_day, first_day + p_max_days - 1);
            PERFORM ccm_repeat_store_days(p_tenant, first_day, last_day);
            stored := now();
            final_through := last_day;
            more := last_day < limit_day;
        END IF;
    END IF;
    UPDATE repeat_state s SET final_through = ccm_repeat_finalize.final_through,
                              stored_at = stored
     WHERE s.tenant_id = p_tenant;
END
$fn$;

-- Queue settings with the repeat window: the same as 001's, one setting more.
DROP FUNCTION ccm_queue_settings_put(bigint, text, date, text, integer, text, integer);
CREATE FUNCTION ccm_queue_settings_put(p_tenant bigint, p_queue text, p_effective_from date,
                                       p_service text, p_sl_threshold_s integer,
                                       p_sl_formula text, p_short_abandon_s integer,
                                       p_repeat_window_days integer)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v record;
    current_service text := NULL;
    current_threshold integer := 80;
    current_formula text := 'abandons_count';
    current_short integer := 0;
    current_window integer := 7;
BEGIN
    -- One settings change of a tenant at a time, and none during its ingest.
    PERFORM pg_advisory_xact_lock(727365002, p_tenant::integer);
    INSERT INTO queue_settings (tenant_id, queue, effective_from, service, sl_threshold_s,
                                sl_formula, short_abandon_s, repeat_window_days)
    VALUES (p_tenant, p_queue, p_effective_from, p_service, p_sl_threshold_s, p_sl_formula,
            p_short_abandon_s, p_repeat_window_days)
    ON CONFLICT (tenant_id, queue, effective_from) DO UPDATE SET
        service = excluded.service, sl_threshold_s = excluded.sl_threshold_s,
        sl_formula = excluded.sl_formula, short_abandon_s = excluded.short_abandon_s,
        repeat_window_days = excluded.repeat_window_days, updated_at = now();

    DELETE FROM queue_settings_resolved WHERE tenant_id = p_tenant AND queue = p_queue;
    FOR v IN SELECT s.*, lead(s.effective_from, 1, 'infinity'::date)
                            OVER (ORDER BY s.effective_from) AS next_from
               FROM queue_settings s
              WHERE s.tenant_id = p_tenant AND s.queue = p_queue
              ORDER BY s.effective_from LOOP
        current_service := coalesce(v.service, current_service);
        current_threshold := coalesce(v.sl_threshold_s, current_threshold);
        current_formula := coalesce(v.sl_formula, current_formula);
        current_short := coalesce(v.short_abandon_s, current_short);
        current_window := coalesce(v.repeat_window_days, current_window);
        INSERT INTO queue_settings_resolved (tenant_id, queue, valid_from, valid_to, service,
                                             sl_threshold_s, sl_formula, short_abandon_s,
                                             repeat_window_days)
        VALUES (p_tenant, p_queue, v.effective_from, v.next_from, current_service,
                current_threshold, current_formula, current_short, current_window);
    END LOOP;

    -- Rebuilding the intervals also marks their repeat counts for redoing (trigger).
    PERFORM ccm_intervals_rebuild(p_tenant, p_queue,
        CASE WHEN p_effective_from = '-infinity' THEN NULL ELSE p_effective_from END);
END
$fn$;
