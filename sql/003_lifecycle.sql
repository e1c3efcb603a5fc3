-- 003: lifecycle events (call.offered, call.answered, call.ended) assembled
-- into contacts, and replaceable contacts.
--
-- call_events keeps every lifecycle event as received (the source of truth for
-- assembled calls; a re-sent event is a duplicate). lifecycle_calls is the
-- state of each call assembled from its events: an offered call that has not
-- ended is open (the live state: waiting until answered). A call becomes a
-- contact once its events say how it ended, or when it has been open longer
-- than the configured maximum (then it is closed: unanswered -> timeout).
-- Events arriving later (a call.answered after its call.ended, the real end of
-- a call closed by the maximum) re-assemble it: the contact is replaced, never
-- counted twice, and the interval rows it touches are rebuilt from contacts.

ALTER TABLE contacts
    -- who owns the row: 0 a call record (never replaced), 1 lifecycle events,
    -- 2 an Amazon Connect contact record (replaced by a newer version)
    ADD COLUMN origin smallint NOT NULL DEFAULT 0,
    -- origin 2: the record's LastUpdateTimestamp; a newer one replaces the row
    ADD COLUMN source_version timestamptz;

CREATE TABLE call_events (
    tenant_id              bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id                text NOT NULL,
    type                   smallint NOT NULL CHECK (type BETWEEN 1 AND 3), -- lib/event.h
    at                     timestamptz NOT NULL,
    queue                  text,        -- call.offered
    channel                smallint,    -- call.offered
    local_date             date,        -- call.offered: local date of `at` (daemon, lib/tz)
    interval_start         timestamptz, -- call.offered
    caller_hash            text,        -- call.offered
    agent                  text,        -- call.answered
    outcome                smallint,    -- call.ended, NULL when not given
    handle_ms              bigint,      -- call.ended
    first_contact_resolved boolean,     -- call.ended
    received_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, call_id, type)
);

CREATE TABLE lifecycle_calls (
    tenant_id              bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id                text NOT NULL,
    queue                  text,
    channel                smallint,
    local_date             date,
    interval_start         timestamptz,
    caller_hash            text,
    offered_at             timestamptz,
    answered_at            timestamptz,
    ended_at               timestamptz,
    agent                  text,
    outcome                smallint,
    handle_ms              bigint,
    first_contact_resolved boolean,
    -- set when the call was closed for being open too long: its end for the KPIs
    timeout_at             timestamptz,
    -- when its latest event was stored: a call is closed only when both its
    -- offer and its latest news are older than the maximum, so replaying an
    -- old log does not close calls whose end is a few lines further on
    last_event_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX lifecycle_calls_open ON lifecycle_calls (tenant_id, offered_at)
    WHERE offered_at IS NOT NULL AND ended_at IS NULL AND timeout_at IS NULL;

-- Stores contacts of a replaceable origin (1 or 2), given as parallel arrays
-- like ccm_ingest_calls plus a version per row (NULL: replace whenever the
-- content differs). A row whose id is stored with another origin (a call
-- record, say) is left alone; an older or equal version, or the same content,
-- changes nothing. The interval rows of every contact inserted or changed
-- (before and after the change) are rebuilt from contacts: one code path
-- (ccm_intervals_add) and never a subtraction (max_wait_us cannot be undone).
-- Returns one character per input position: '1' stored or replaced, '0' not.
CREATE FUNCTION ccm_contacts_put(
    p_tenant bigint, p_origin smallint, p_ids text[], p_queues text[], p_channels smallint[],
    p_outcomes smallint[], p_offered timestamptz[], p_answered timestamptz[],
    p_ended timestamptz[], p_local_dates date[], p_intervals timestamptz[], p_handle_ms bigint[],
    p_fcr boolean[], p_callers text[], p_reasons text[], p_agents text[],
    p_versions timestamptz[], OUT changed_mask text)
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
    old contacts%ROWTYPE;
    keys_queue text[] := '{}';
    keys_interval timestamptz[] := '{}';
    keys_channel smallint[] := '{}';
    rebuilt record;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(727365002, p_tenant::integer);
    changed_mask := '';
    FOR r IN SELECT * FROM unnest(p_ids, p_queues, p_channels, p_outcomes, p_offered, p_answered,
                                  p_ended, p_local_dates, p_intervals, p_handle_ms, p_fcr,
                                  p_callers, p_reasons, p_agents, p_versions)
                 AS u(id, queue, channel, outcome, offered_at, answered_at, ended_at, local_date,
                      interval_start, handle_ms, fcr, caller_hash, reason, agent, version) LOOP
        SELECT * INTO old FROM contacts WHERE tenant_id = p_tenant AND id = r.id FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO contacts (tenant_id, id, queue, channel, outcome, offered_at, answered_at,
                                  ended_at, local_date, interval_start, handle_ms,
                                  first_contact_resolved, caller_hash, reason, agent, origin,
                                  source_version)
            VALUES (p_tenant, r.id, r.queue, r.channel, r.outcome, r.offered_at, r.answered_at,
                    r.ended_at, r.local_date, r.interval_start, r.handle_ms, r.fcr,
                    r.caller_hash, r.reason, r.agent, p_origin, r.version)
            ON CONFLICT (tenant_id, id) DO NOTHING;
            IF NOT FOUND THEN
                changed_mask := changed_mask || '0'; -- a concurrent insert won
                CONTINUE;
            END IF;
        ELSIF old.origin <> p_origin
              OR (r.version IS NOT NULL AND old.source_version IS NOT NULL
                  AND r.version <= old.source_version)
              OR (old.queue, old.channel, old.outcome, old.offered_at, old.answered_at,
                  old.ended_at, old.local_date, old.interval_start, old.handle_ms,
                  old.first_contact_resolved, old.caller_hash, old.reason, old.agent)
                 IS NOT DISTINCT FROM
                 (r.queue, r.channel, r.outcome, r.offered_at, r.answered_at, r.ended_at,
                  r.local_date, r.interval_start, r.handle_ms, r.fcr, r.caller_hash, r.reason,
                  r.agent) THEN
            changed_mask := changed_mask || '0';
            CONTINUE;
        ELSE
            UPDATE contacts SET queue = r.queue, channel = r.channel, outcome = r.outcome,
                   offered_at = r.offered_at, answered_at = r.answered_at, ended_at = r.ended_at,
                   local_date = r.local_date, interval_start = r.interval_start,
                   handle_ms = r.handle_ms, first_contact_resolved = r.fcr,
                   caller_hash = r.caller_hash, reason = r.reason, agent = r.agent,
                   source_version = coalesce(r.version, old.source_version),
                   received_at = now()
             WHERE tenant_id = p_tenant AND id = r.id;
            keys_queue := keys_queue || old.queue;
            keys_interval := keys_interval || old.interval_start;
            keys_channel := keys_channel || old.channel;
        END IF;
        keys_queue := keys_queue || r.queue;
        keys_interval := keys_interval || r.interval_start;
        keys_channel := keys_channel || r.channel;
        changed_mask := changed_mask || '1';
    END LOOP;
    IF cardinality(keys_queue) = 0 THEN
        RETURN;
    END IF;
    -- Rebuild the touched interval rows from contacts, in one lock order.
    DELETE FROM contact_intervals i
     USING (SELECT DISTINCT * FROM unnest(keys_queue, keys_interval, keys_channel)
                AS k(queue, interval_start, channel)) k
     WHERE i.tenant_id = p_tenant AND i.queue = k.queue AND i.interval_start = k.interval_start
       AND i.channel = k.channel;
    SELECT array_agg(c.queue) AS queues, array_agg(c.channel) AS channels,
           array_agg(c.outcome) AS outcomes, array_agg(c.offered_at) AS offered,
           array_agg(c.answered_at) AS answered, array_agg(c.ended_at) AS ended,
           array_agg(c.local_date) AS local_dates, array_agg(c.interval_start) AS intervals,
           array_agg(c.handle_ms) AS handle_ms, array_agg(c.first_contact_resolved) AS fcr
      INTO rebuilt
      FROM (SELECT DISTINCT * FROM unnest(keys_queue, keys_interval, keys_channel)
                AS k(queue, interval_start, channel)) k
      JOIN contacts c
        ON c.tenant_id = p_tenant AND c.queue = k.queue AND c.channel = k.channel
       AND c.offered_at >= k.interval_start AND c.offered_at < k.interval_start + interval '15 minutes';
    IF rebuilt.queues IS NOT NULL THEN
        PERFORM ccm_intervals_add(p_tenant, rebuilt.queues, rebuilt.channels, rebuilt.outcomes,
                                  rebuilt.offered, rebuilt.answered, rebuilt.ended,
                                  rebuilt.local_dates, rebuilt.intervals, rebuilt.handle_ms,
                                  rebuilt.fcr);
    END IF;
END
$fn$;

-- Assembles the calls of p_call_ids that are complete (or closed by the
-- maximum) into contacts of origin 1. A call is complete when it was offered
-- and has ended; one that ended as answered also needs its call.answered (it
-- waits for it, up to the maximum; then it counts as answered with no
-- answered_at, its wait taken up to its end). The outcome is the call.ended's, else
-- answered when it was answered, else abandoned; a call closed by the maximum
-- is a timeout, or answered (end unknown) when it was answered. Times out of
-- order (clocks of different systems) are clamped so that offered <= answered
-- <= ended.
CREATE FUNCTION ccm_lifecycle_assemble(p_tenant bigint, p_call_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    a record;
BEGIN
    SELECT array_agg(call_id) AS ids, array_agg(queue) AS queues, array_agg(channel) AS channels,
           array_agg(outcome) AS outcomes, array_agg(offered_at) AS offered,
           array_agg(answered_at) AS answered, array_agg(ended_at) AS ended,
           array_agg(local_date) AS local_dates, array_agg(interval_start) AS intervals,
           array_agg(handle_ms) AS handle_ms, array_agg(fcr) AS fcr,
           array_agg(caller_hash) AS callers, array_agg(agent) AS agents
      INTO a
      FROM (SELECT l.call_id, l.queue, l.channel, o.outcome, l.offered_at,
                   CASE WHEN o.outcome = 1 AND l.answered_at IS NOT NULL
                        THEN greatest(l.answered_at, l.offered_at) END AS answered_at,
                   CASE WHEN l.ended_at IS NOT NULL
                        THEN greatest(l.ended_at, l.offered_at,
                                      CASE WHEN o.outcome = 1 THEN l.answered_at END)
                        WHEN o.outcome <> 1 THEN l.timeout_at END AS ended_at,
                   l.local_date, l.interval_start,
                   CASE WHEN o.outcome = 1 THEN l.handle_ms END AS handle_ms,
                   CASE WHEN o.outcome = 1 THEN l.first_contact_resolved END AS fcr,
                   l.caller_hash, l.agent
              FROM lifecycle_calls l
             CROSS JOIN LATERAL (SELECT coalesce(l.outcome,
                                                 CASE WHEN l.answered_at IS NOT NULL THEN 1
                                                      WHEN l.ended_at IS NULL THEN 3
                                                      ELSE 2 END)::smallint AS outcome) o
             WHERE l.tenant_id = p_tenant AND l.call_id = ANY (p_call_ids)
               AND l.offered_at IS NOT NULL
               AND ((l.ended_at IS NOT NULL
                     AND (l.answered_at IS NOT NULL OR coalesce(l.outcome, 2) <> 1))
                    OR l.timeout_at IS NOT NULL)
             ORDER BY l.call_id) c;
    IF a.ids IS NULL THEN
        RETURN;
    END IF;
    PERFORM ccm_contacts_put(p_tenant, 1::smallint, a.ids, a.queues, a.channels, a.outcomes,
                             a.offered, a.answered, a.ended, a.local_dates, a.intervals,
                             a.handle_ms, a.fcr, a.callers,
                             array_fill(NULL::text, ARRAY[cardinality(a.ids)]), a.agents,
                             array_fill(NULL::timestamptz, ARRAY[cardinality(a.ids)]));
END
$fn$;

-- Stores lifecycle events (parallel arrays; the offered event's local date,
-- interval and caller pseudonym computed by the daemon), merges them into
-- their calls and assembles the calls they complete. inserted_mask: one
-- character per input position, '1' new, '0' a duplicate (stored already or
-- repeated earlier in the same batch).
CREATE FUNCTION ccm_ingest_lifecycle(
    p_tenant bigint, p_ids text[], p_types smallint[], p_at timestamptz[], p_queues text[],
    p_channels smallint[], p_local_dates date[], p_intervals timestamptz[], p_callers text[],
    p_agents text[], p_outcomes smallint[], p_handle_ms bigint[], p_fcr boolean[],
    OUT accepted integer, OUT inserted_mask text)
LANGUAGE plpgsql AS $fn$
DECLARE
    new_ids text[];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(727365002, p_tenant::integer);
    WITH inserted AS (
        INSERT INTO call_events (tenant_id, call_id, type, at, queue, channel, local_date,
                                 interval_start, caller_hash, agent, outcome, handle_ms,
                                 first_contact_resolved)
        SELECT p_tenant, u.* FROM unnest(p_ids, p_types, p_at, p_queues, p_channels,
                                         p_local_dates, p_intervals, p_callers, p_agents,
                                         p_outcomes, p_handle_ms, p_fcr) u
        ORDER BY 2, 3
        ON CONFLICT (tenant_id, call_id, type) DO NOTHING
        RETURNING call_id, type)
    SELECT string_agg(CASE WHEN n.call_id IS NOT NULL AND x.first THEN '1' ELSE '0' END, ''
                      ORDER BY x.ord),
           (SELECT array_agg(DISTINCT call_id) FROM inserted)
      INTO inserted_mask, new_ids
      FROM (SELECT u.id, u.type, u.ord,
                   row_number() OVER (PARTITION BY u.id, u.type ORDER BY u.ord) = 1 AS first
              FROM unnest(p_ids, p_types) WITH ORDINALITY AS u(id, type, ord)) x
      LEFT JOIN inserted n ON n.call_id = x.id AND n.type = x.type;
    accepted := length(replace(coalesce(inserted_mask, ''), '0', ''));
    IF new_ids IS NULL THEN
        RETURN;
    END IF;
    -- Each call's state from all its events (events never change once stored).
    INSERT INTO lifecycle_calls AS l
        (tenant_id, call_id, queue, channel, local_date, interval_start, caller_hash, offered_at,
         answered_at, agent, ended_at, outcome, handle_ms, first_contact_resolved)
    SELECT p_tenant, e.call_id,
           max(e.queue) FILTER (WHERE e.type = 1), max(e.channel) FILTER (WHERE e.type = 1),
           max(e.local_date) FILTER (WHERE e.type = 1),
           max(e.interval_start) FILTER (WHERE e.type = 1),
           max(e.caller_hash) FILTER (WHERE e.type = 1), max(e.at) FILTER (WHERE e.type = 1),
           max(e.at) FILTER (WHERE e.type = 2), max(e.agent) FILTER (WHERE e.type = 2),
           max(e.at) FILTER (WHERE e.type = 3), max(e.outcome) FILTER (WHERE e.type = 3),
           max(e.handle_ms) FILTER (WHERE e.type = 3),
           bool_or(e.first_contact_resolved) FILTER (WHERE e.type = 3)
      FROM call_events e
     WHERE e.tenant_id = p_tenant AND e.call_id = ANY (new_ids)
     GROUP BY e.call_id
     ORDER BY e.call_id
    ON CONFLICT (tenant_id, call_id) DO UPDATE SET
        queue = excluded.queue, channel = excluded.channel, local_date = excluded.local_date,
        interval_start = excluded.interval_start, caller_hash = excluded.caller_hash,
        offered_at = excluded.offered_at, answered_at = excluded.answered_at,
        agent = excluded.agent, ended_at = excluded.ended_at, outcome = excluded.outcome,
        handle_ms = excluded.handle_ms, first_contact_resolved = excluded.first_contact_resolved,
        last_event_at = now();
    PERFORM ccm_lifecycle_assemble(p_tenant, new_ids);
END
$fn$;

-- Closes the calls of a tenant open for longer than p_max_open (offered, not
-- ended, as of p_now; or ended as answered with no call.answered, which is then
-- counted answered with its wait unknown) and assembles them. Returns how many
-- were closed.
CREATE FUNCTION ccm_lifecycle_close_stale(p_tenant bigint, p_now timestamptz,
                                          p_max_open interval) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    closed text[];
BEGIN
    WITH stale AS (
        UPDATE lifecycle_calls SET timeout_at = offered_at + p_max_open
         WHERE tenant_id = p_tenant AND offered_at IS NOT NULL AND timeout_at IS NULL
           AND offered_at < p_now - p_max_open AND last_event_at < p_now - p_max_open
           -- never ended, or ended as answered without its call.answered
           AND (ended_at IS NULL OR (outcome = 1 AND answered_at IS NULL))
        RETURNING call_id)
    SELECT array_agg(call_id ORDER BY call_id) INTO closed FROM stale;
    IF closed IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM ccm_lifecycle_assemble(p_tenant, closed);
    RETURN cardinality(closed);
END
$fn$;
