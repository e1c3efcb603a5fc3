-- 012_channels_surveys (issue 8): every contact channel, customer satisfaction and
-- channel shift.
--
--  * Queue settings per channel: a queue's judging settings (sl_threshold_s,
--    sl_formula, short_abandon_s) can be versioned for one channel of it (a social
--    media queue answered within 2 hours, a reception within 10 minutes). A channel's
--    versions carry their own keys forward and override the queue's; a key no channel
--    version has set yet comes from the queue's settings. Service membership and the
--    repeat window stay per queue (a service groups queues).
--  * Targets per channel: targets.channel ('' = every channel).
--  * Survey responses (POST /v1/surveys), idempotent by id like contacts.
--  * The tenant's baseline financial year for volume_change_pct.

ALTER TABLE tenants ADD COLUMN baseline_fy integer CHECK (baseline_fy BETWEEN 1900 AND 2200);

ALTER TABLE targets ADD COLUMN channel text NOT NULL DEFAULT ''
    CHECK (channel IN ('', 'phone', 'face_to_face', 'webchat', 'email', 'social', 'webform'));
ALTER TABLE targets DROP CONSTRAINT targets_pkey;
ALTER TABLE targets ADD PRIMARY KEY (tenant_id, scope, kpi, channel, effective_from);

-- One row per PUT /v1/queues/NAME with "channel", as sent (NULL = keep).
CREATE TABLE queue_channel_settings (
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue           text NOT NULL,
    channel         smallint NOT NULL,  -- lib/event.h enum event_channel
    effective_from  date NOT NULL,
    sl_threshold_s  integer CHECK (sl_threshold_s >= 0),
    sl_formula      text CHECK (sl_formula IN ('abandons_count', 'abandons_ignored',
                                               'answered_only', 'abandons_positive')),
    short_abandon_s integer CHECK (short_abandon_s >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, queue, channel, effective_from)
);

-- A channel's versions with its own omitted keys carried forward (NULL: the channel
-- has not set that key yet, so the queue's value applies), one row per validity range.
CREATE TABLE queue_channel_settings_resolved (
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue           text NOT NULL,
    channel         smallint NOT NULL,
    valid_from      date NOT NULL,
    valid_to        date NOT NULL,
    sl_threshold_s  integer,
    sl_formula      text,
    short_abandon_s integer,
    PRIMARY KEY (tenant_id, queue, channel, valid_from)
);

-- contact_facts as in 001, with the channel's settings over the queue's.
CREATE OR REPLACE VIEW contact_facts AS
SELECT c.tenant_id, c.id, c.queue, c.channel, c.interval_start, c.local_date, c.offered_at,
       nullif(s.service, '') AS service, f.*
FROM contacts c
LEFT JOIN queue_settings_resolved s
       ON s.tenant_id = c.tenant_id AND s.queue = c.queue
      AND c.local_date >= s.valid_from AND c.local_date < s.valid_to
LEFT JOIN queue_channel_settings_resolved cs
       ON cs.tenant_id = c.tenant_id AND cs.queue = c.queue AND cs.channel = c.channel
      AND c.local_date >= cs.valid_from AND c.local_date < cs.valid_to
CROSS JOIN LATERAL ccm_classify(c.outcome, c.offered_at, c.answered_at, c.ended_at, c.handle_ms,
                                c.first_contact_resolved,
                                coalesce(cs.sl_threshold_s, s.sl_threshold_s, 80),
                                coalesce(cs.short_abandon_s, s.short_abandon_s, 0),
                                coalesce(cs.sl_formula, s.sl_formula, 'abandons_count')) f;

-- ccm_intervals_add as in 001, with the channel's settings over the queue's. The
-- channel table is as small as the settings table (usually empty), so the plan stays
-- right at any table size.
CREATE OR REPLACE FUNCTION ccm_intervals_add(p_tenant bigint, p_queues text[],
                                             p_channels smallint[], p_outcomes smallint[],
                                             p_offered timestamptz[], p_answered timestamptz[],
                                             p_ended timestamptz[], p_local_dates date[],
                                             p_intervals timestamptz[], p_handle_ms bigint[],
                                             p_fcr boolean[]) RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
    INSERT INTO contact_intervals AS i
        (tenant_id, queue, interval_start, channel, local_date, service, offered, answered,
         abandoned, short_abandoned, timed_out, refused, answered_wait_us, sl_numerator,
         sl_denominator, handle_ms, handle_count, fcr_resolved, fcr_known, max_wait_us)
    SELECT p_tenant, u.queue, u.interval_start, u.channel, u.local_date, nullif(s.service, ''),
           count(*), sum(f.is_answered), sum(f.is_abandoned), sum(f.is_short_abandoned),
           sum(f.is_timed_out), sum(f.is_refused), sum(f.answered_wait_us),
           sum(f.sl_numerator), sum(f.sl_denominator), sum(f.handle_ms), sum(f.has_handle),
           sum(f.fcr_resolved), sum(f.fcr_known), max(f.wait_us)
    FROM unnest(p_queues, p_channels, p_outcomes, p_offered, p_answered, p_ended, p_local_dates,
                p_intervals, p_handle_ms, p_fcr)
             AS u(queue, channel, outcome, offered_at, answered_at, ended_at, local_date,
                  interval_start, handle_ms, fcr)
    LEFT JOIN queue_settings_resolved s
           ON s.tenant_id = p_tenant AND s.queue = u.queue
          AND u.local_date >= s.valid_from AND u.local_date < s.valid_to
    LEFT JOIN queue_channel_settings_resolved cs
           ON cs.tenant_id = p_tenant AND cs.queue = u.queue AND cs.channel = u.channel
          AND u.local_date >= cs.valid_from AND u.local_date < cs.valid_to
    CROSS JOIN LATERAL ccm_classify(u.outcome, u.offered_at, u.answered_at, u.ended_at,
                                    u.handle_ms, u.fcr,
                                    coalesce(cs.sl_threshold_s, s.sl_threshold_s, 80),
                                    coalesce(cs.short_abandon_s, s.short_abandon_s, 0),
                                    coalesce(cs.sl_formula, s.sl_formula, 'abandons_count')) f
    GROUP BY u.queue, u.interval_start, u.channel, u.local_date, nullif(s.service, '')
    ORDER BY u.queue, u.interval_start, u.channel
    ON CONFLICT (tenant_id, queue, interval_start, channel) DO UPDATE SET
        service = excluded.service,
        offered = i.offered + excluded.offered,
        answered = i.answered + excluded.answered,
        abandoned = i.abandoned + excluded.abandoned,
        short_abandoned = i.short_abandoned + excluded.short_abandoned,
        timed_out = i.timed_out + excluded.timed_out,
        refused = i.refused + excluded.refused,
        answered_wait_us = i.answered_wait_us + excluded.answered_wait_us,
        sl_numerator = i.sl_numerator + excluded.sl_numerator,
        sl_denominator = i.sl_denominator + excluded.sl_denominator,
        handle_ms = i.handle_ms + excluded.handle_ms,
        handle_count = i.handle_count + excluded.handle_count,
        fcr_resolved = i.fcr_resolved + excluded.fcr_resolved,
        fcr_known = i.fcr_known + excluded.fcr_known,
        max_wait_us = greatest(i.max_wait_us, excluded.max_wait_us);
END
$fn$;

-- ccm_intervals_rebuild as in 001, limited to one channel when p_channel is given: a
-- channel's settings change rebuilds that channel's aggregates only, so the tenant's
-- ingest (which waits for a rebuild) waits for less. Callers with three arguments are
-- unchanged.
DROP FUNCTION ccm_intervals_rebuild(bigint, text, date);
CREATE FUNCTION ccm_intervals_rebuild(p_tenant bigint, p_queue text, p_from date,
                                      p_channel smallint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    day record;
BEGIN
    -- Exclusive against ingest of this tenant (which holds the shared lock):
    -- no contact can be committed between the DELETE and the re-accumulation
    -- and be counted twice.
    PERFORM pg_advisory_xact_lock(727365002, p_tenant::integer);
    DELETE FROM contact_intervals
     WHERE tenant_id = p_tenant
       AND (p_queue IS NULL OR queue = p_queue)
       AND (p_from IS NULL OR local_date >= p_from)
       AND (p_channel IS NULL OR channel = p_channel);
    FOR day IN
        SELECT array_agg(c.queue) AS queues, array_agg(c.channel) AS channels,
               array_agg(c.outcome) AS outcomes, array_agg(c.offered_at) AS offered,
               array_agg(c.answered_at) AS answered, array_agg(c.ended_at) AS ended,
               array_agg(c.local_date) AS local_dates, array_agg(c.interval_start) AS intervals,
               array_agg(c.handle_ms) AS handle_ms, array_agg(c.first_contact_resolved) AS fcr
          FROM contacts c
         WHERE c.tenant_id = p_tenant
           AND (p_queue IS NULL OR c.queue = p_queue)
           AND (p_from IS NULL OR c.local_date >= p_from)
           AND (p_channel IS NULL OR c.channel = p_channel)
           -- lets the offered_at index narrow the scan: a local date starts
           -- less than a day before the UTC midnight of the same date
           AND (p_from IS NULL OR c.offered_at >= ((p_from - 2)::timestamp AT TIME ZONE 'UTC'))
         GROUP BY c.local_date
    LOOP
        PERFORM ccm_intervals_add(p_tenant, day.queues, day.channels, day.outcomes, day.offered,
                                  day.answered, day.ended, day.local_dates, day.intervals,
                                  day.handle_ms, day.fcr);
    END LOOP;
END
$fn$;

-- Add or replace one version of a queue's settings for one channel, resolve that
-- channel's versions, and rebuild the queue's aggregates from the version's date.
CREATE FUNCTION ccm_queue_channel_settings_put(p_tenant bigint, p_queue text,
                                               p_channel smallint, p_effective_from date,
                                               p_sl_threshold_s integer, p_sl_formula text,
                                               p_short_abandon_s integer)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v record;
    current_threshold integer := NULL;
    current_formula text := NULL;
    current_short integer := NULL;
BEGIN
    -- One settings change of a tenant at a time, and none during its ingest.
    PERFORM pg_advisory_xact_lock(727365002, p_tenant::integer);
    INSERT INTO queue_channel_settings (tenant_id, queue, channel, effective_from,
                                        sl_threshold_s, sl_formula, short_abandon_s)
    VALUES (p_tenant, p_queue, p_channel, p_effective_from, p_sl_threshold_s, p_sl_formula,
            p_short_abandon_s)
    ON CONFLICT (tenant_id, queue, channel, effective_from) DO UPDATE SET
        sl_threshold_s = excluded.sl_threshold_s, sl_formula = excluded.sl_formula,
        short_abandon_s = excluded.short_abandon_s, updated_at = now();

    DELETE FROM queue_channel_settings_resolved
     WHERE tenant_id = p_tenant AND queue = p_queue AND channel = p_channel;
    FOR v IN SELECT s.*, lead(s.effective_from, 1, 'infinity'::date)
                            OVER (ORDER BY s.effective_from) AS next_from
               FROM queue_channel_settings s
              WHERE s.tenant_id = p_tenant AND s.queue = p_queue AND s.channel = p_channel
              ORDER BY s.effective_from LOOP
        current_threshold := coalesce(v.sl_threshold_s, current_threshold);
        current_formula := coalesce(v.sl_formula, current_formula);
        current_short := coalesce(v.short_abandon_s, current_short);
        INSERT INTO queue_channel_settings_resolved (tenant_id, queue, channel, valid_from,
                                                     valid_to, sl_threshold_s, sl_formula,
                                                     short_abandon_s)
        VALUES (p_tenant, p_queue, p_channel, v.effective_from, v.next_from, current_threshold,
                current_formula, current_short);
    END LOOP;

    PERFORM ccm_intervals_rebuild(p_tenant, p_queue,
        CASE WHEN p_effective_from = '-infinity' THEN NULL ELSE p_effective_from END, p_channel);
END
$fn$;

-- Survey responses, with the scope they were posted for: a queue (queue), a service
-- (service) or the whole tenant (both NULL). A queue's response also counts for the
-- queue's service on its local date, and every response counts for the tenant.
-- rating: 1 poor, 2 average, 3 good (a 1-5 rating is mapped by the daemon: 1-2 poor,
-- 3 average, 4-5 good; the given value is kept in score).
CREATE TABLE surveys (
    tenant_id   bigint NOT NULL,
    id          text NOT NULL,
    at          timestamptz NOT NULL,
    local_date  date NOT NULL,
    channel     smallint NOT NULL,
    queue       text,
    service     text,
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 3),
    score       smallint CHECK (score BETWEEN 1 AND 5),  -- the 1-5 value when one was given
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX surveys_by_at ON surveys (tenant_id, at);

-- Store a batch of validated responses; returns how many were new and how many were
-- already stored (a re-sent id changes nothing, like a contact).
CREATE FUNCTION ccm_ingest_surveys(p_tenant bigint, p_ids text[], p_at timestamptz[],
                                   p_local_dates date[], p_channels smallint[],
                                   p_queues text[], p_services text[], p_ratings smallint[],
                                   p_scores smallint[],
                                   OUT accepted integer, OUT duplicates integer)
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO surveys (tenant_id, id, at, local_date, channel, queue, service, rating, score)
    SELECT p_tenant, u.* FROM unnest(p_ids, p_at, p_local_dates, p_channels, p_queues,
                                     p_services, p_ratings, p_scores)
           AS u(id, at, local_date, channel, queue, service, rating, score)
    ORDER BY u.id
    ON CONFLICT (tenant_id, id) DO NOTHING;
    GET DIAGNOSTICS accepted = ROW_COUNT;
    duplicates := cardinality(p_ids) - accepted;
END
$fn$;

-- The other work of a published month, frozen with it like its contact sums, per queue
-- and service as the exports select them: survey ratings (a queue's responses under the
-- queue's service on their day; a service's under the service, no queue; the tenant's
-- under neither), and the contacts offered in the same month of the baseline year
-- (with_baseline false: the tenant had no baseline year then).
CREATE TABLE published_other_work (
    tenant_id        bigint NOT NULL,
    month            date NOT NULL,
    queue            text,
    service          text,
    survey_good      bigint NOT NULL,
    survey_average   bigint NOT NULL,
    survey_poor      bigint NOT NULL,
    with_baseline    boolean NOT NULL,
    baseline_offered bigint NOT NULL,
    FOREIGN KEY (tenant_id, month) REFERENCES publications (tenant_id, month) ON DELETE CASCADE
);
CREATE INDEX published_other_work_by_month ON published_other_work (tenant_id, month);

-- Targets now have a channel: the published ones are those of every channel (the
-- table's figures are); reporting.targets shows the channel ('' = every channel). The
-- month's other work is frozen too (published_other_work).
CREATE OR REPLACE FUNCTION ccm_publish_month(p_tenant bigint, p_month date, p_automatic boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    month_end date := (p_month + interval '1 month')::date;
    zone text := (SELECT time_zone FROM tenants WHERE id = p_tenant);
    from_ts timestamptz := (p_month::timestamp AT TIME ZONE zone);
    to_ts timestamptz := (month_end::timestamp AT TIME ZONE zone);
    through date := ccm_repeat_final_through(p_tenant);
    baseline_fy integer := (SELECT t.baseline_fy FROM tenants t WHERE t.id = p_tenant);
    -- the financial year the month is in (its start month is the tenant's)
    fy integer := extract(year FROM p_month)::integer
                  - (extract(month FROM p_month)::integer
                     < (SELECT fy_start_month FROM tenants WHERE id = p_tenant))::integer;
BEGIN
    IF EXISTS (SELECT 1 FROM publications WHERE tenant_id = p_tenant AND month = p_month) THEN
        RAISE EXCEPTION 'month % is already published', to_char(p_month, 'YYYY-MM')
            USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO publications (tenant_id, month, automatic) VALUES (p_tenant, p_month, p_automatic);
    INSERT INTO published_sums
    SELECT p_tenant, p_month, s.queue, s.service, s.offered, s.answered, s.abandoned,
           s.short_abandoned, s.timed_out, s.refused, s.answered_wait_us, s.sl_numerator,
           s.sl_denominator, s.handle_ms, s.handle_count, s.fcr_resolved, s.fcr_known,
           s.max_wait_us, s.repeat_known + coalesce(o.known, 0),
           s.repeat_followed + coalesce(o.followed, 0)
    FROM (SELECT queue, service, sum(offered) AS offered, sum(answered) AS answered,
                 sum(abandoned) AS abandoned, sum(short_abandoned) AS short_abandoned,
                 sum(timed_out) AS timed_out, sum(refused) AS refused,
                 sum(answered_wait_us) AS answered_wait_us, sum(sl_numerator) AS sl_numerator,
                 sum(sl_denominator) AS sl_denominator, sum(handle_ms) AS handle_ms,
                 sum(handle_count) AS handle_count, sum(fcr_resolved) AS fcr_resolved,
                 sum(fcr_known) AS fcr_known, max(max_wait_us) AS max_wait_us,
                 coalesce(sum(repeat_known) FILTER (WHERE local_date <= through), 0)
                     AS repeat_known,
                 coalesce(sum(repeat_followed) FILTER (WHERE local_date <= through), 0)
                     AS repeat_followed
          FROM contact_intervals
          WHERE tenant_id = p_tenant AND interval_start >= from_ts AND interval_start < to_ts
          GROUP BY queue, service) s
    LEFT JOIN (SELECT queue, service, count(*) AS known, sum(followed) AS followed
               FROM ccm_repeat_flags(p_tenant, from_ts, to_ts, through)
               GROUP BY queue, service) o
           ON o.queue = s.queue AND o.service IS NOT DISTINCT FROM s.service;
    INSERT INTO published_targets
    SELECT DISTINCT ON (scope, kpi) p_tenant, p_month, scope, kpi, value, amber
    FROM targets WHERE tenant_id = p_tenant AND channel = '' AND effective_from <= p_month
    ORDER BY scope, kpi, effective_from DESC;
    INSERT INTO published_other_work
    SELECT p_tenant, p_month, w.queue, w.service, sum(w.good), sum(w.average), sum(w.poor),
           bool_or(w.with_baseline), sum(w.offered)
    FROM (SELECT v.queue, coalesce(v.service, nullif(s.service, '')) AS service,
                 (v.rating = 3)::integer AS good, (v.rating = 2)::integer AS average,
                 (v.rating = 1)::integer AS poor, baseline_fy IS NOT NULL AS with_baseline,
                 0 AS offered
          FROM surveys v
          LEFT JOIN queue_settings_resolved s
                 ON s.tenant_id = v.tenant_id AND s.queue = v.queue
                AND v.local_date >= s.valid_from AND v.local_date < s.valid_to
          WHERE v.tenant_id = p_tenant AND v.at >= from_ts AND v.at < to_ts
          UNION ALL
          SELECT i.queue, i.service, 0, 0, 0, true, i.offered
          FROM contact_intervals i
          WHERE baseline_fy IS NOT NULL AND i.tenant_id = p_tenant
            AND i.interval_start >= ((p_month::timestamp - make_interval(years => fy - baseline_fy))
                                     AT TIME ZONE zone)
            AND i.interval_start < ((month_end::timestamp - make_interval(years => fy - baseline_fy))
                                    AT TIME ZONE zone)
          UNION ALL  -- a row that says whether there was a baseline year, with nothing else
          SELECT NULL, NULL, 0, 0, 0, baseline_fy IS NOT NULL, 0) w
    GROUP BY w.queue, w.service;
    INSERT INTO published_settings
    SELECT p_tenant, p_month, coalesce(jsonb_agg(jsonb_build_object(
               'queue', queue, 'service', nullif(service, ''), 'valid_from',
               CASE WHEN isfinite(valid_from) THEN valid_from END,
               'valid_to', CASE WHEN isfinite(valid_to) THEN valid_to END,
               'sl_threshold_s', sl_threshold_s, 'sl_formula', sl_formula,
               'short_abandon_s', short_abandon_s, 'repeat_window_days', repeat_window_days)
               ORDER BY queue, valid_from), '[]'::jsonb)
    FROM queue_settings_resolved
    WHERE tenant_id = p_tenant AND valid_from < month_end AND valid_to > p_month;
END
$fn$;

CREATE OR REPLACE VIEW reporting.targets AS
SELECT t.name AS tenant, g.scope, g.kpi,
       CASE WHEN g.effective_from = '-infinity' THEN NULL ELSE g.effective_from END
           AS effective_from,                          -- NULL: has always applied
       g.value, g.amber, g.channel
  FROM targets g JOIN tenants t ON t.id = g.tenant_id;
