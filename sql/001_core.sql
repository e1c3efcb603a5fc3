-- 001_core: tenants, tokens, queue settings (versioned), targets (versioned),
-- raw contacts (the source of truth) and 15-minute interval aggregates derived
-- from them. Every derived row can be rebuilt from contacts with
-- ccm_intervals_rebuild(); ingest and rebuild share ccm_intervals_add(), and
-- every KPI classification of a contact lives in one place: ccm_classify().

CREATE TABLE tenants (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL UNIQUE
                   CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    time_zone      text NOT NULL DEFAULT 'Europe/London',
    fy_start_month integer NOT NULL DEFAULT 4 CHECK (fy_start_month BETWEEN 1 AND 12),
    -- key of the caller pseudonym (HMAC-SHA256); never leaves the database and daemon
    caller_key     bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id         bigserial PRIMARY KEY,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,      -- SHA-256 of the token; the token itself is never stored
    scopes     text[] NOT NULL CHECK (scopes <@ ARRAY['ingest', 'read', 'admin']),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- One row per PUT /v1/queues/NAME version, as sent: NULL = "keep the value of
-- the version before". effective_from '-infinity' = "has always applied".
CREATE TABLE queue_settings (
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue           text NOT NULL,
    effective_from  date NOT NULL,
    service         text,           -- '' = member of no service
    sl_threshold_s  integer CHECK (sl_threshold_s >= 0),
    sl_formula      text CHECK (sl_formula IN ('abandons_count', 'abandons_ignored',
                                               'answered_only', 'abandons_positive')),
    short_abandon_s integer CHECK (short_abandon_s >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, queue, effective_from)
);

-- The versions above with omitted keys carried forward: one row per validity
-- range [valid_from, valid_to) of local dates. Days before a queue's first
-- version (or queues never configured) use the defaults of the KPI definitions.
CREATE TABLE queue_settings_resolved (
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue           text NOT NULL,
    valid_from      date NOT NULL,
    valid_to        date NOT NULL,
    service         text,
    sl_threshold_s  integer NOT NULL,
    sl_formula      text NOT NULL,
    short_abandon_s integer NOT NULL,
    PRIMARY KEY (tenant_id, queue, valid_from)
);

CREATE TABLE targets (
    tenant_id      bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope          text NOT NULL,     -- 'tenant', 'queue:NAME', 'service:NAME'
    kpi            text NOT NULL,
    effective_from date NOT NULL,     -- '-infinity' when the PUT gave none
    value          double precision NOT NULL,
    amber          double precision CHECK (amber >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope, kpi, effective_from)
);

-- Raw contacts. tenant_id comes from the authenticated token, never from a
-- request body, so there is no per-row foreign key check on the hot path.
-- local_date and interval_start are computed by the daemon (lib/tz) from
-- offered_at in the tenant's zone when the contact is stored.
CREATE TABLE contacts (
    tenant_id              bigint NOT NULL,
    id                     text NOT NULL,
    queue                  text NOT NULL,
    channel                smallint NOT NULL,   -- lib/event.h enum event_channel
    outcome                smallint NOT NULL CHECK (outcome BETWEEN 1 AND 4),
    offered_at             timestamptz NOT NULL,
    answered_at            timestamptz,
    ended_at               timestamptz,
    local_date             date NOT NULL,
    interval_start         timestamptz NOT NULL,
    handle_ms              bigint,
    first_contact_resolved boolean,
    caller_hash            text,                -- hex HMAC-SHA256 of the caller with the tenant key
    reason                 text,
    agent                  text,
    received_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contacts_by_offered ON contacts (tenant_id, offered_at);

-- The one definition of a contact's KPI classification ("answered within T",
-- "short abandon", the service-level numerator and denominator under the
-- queue's formula, ...), given the settings in force on its local date. A
-- single-SELECT SQL function, so the planner inlines it wherever it is used:
-- in contact_facts (raw contacts) and in ccm_intervals_add (the aggregates).
CREATE FUNCTION ccm_classify(p_outcome smallint, p_offered timestamptz, p_answered timestamptz,
                             p_ended timestamptz, p_handle_ms bigint, p_fcr boolean,
                             p_threshold_s integer, p_short_abandon_s integer, p_formula text)
RETURNS TABLE (wait_us bigint, is_answered integer, is_abandoned integer,
               is_short_abandoned integer, is_timed_out integer, is_refused integer,
               answered_wait_us bigint, sl_numerator integer, sl_denominator integer,
               handle_ms bigint, has_handle integer, fcr_resolved integer, fcr_known integer)
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT k.wait_us,
           (p_outcome = 1)::integer,
           (p_outcome = 2 AND NOT k.is_short)::integer,
           (p_outcome = 2 AND k.is_short)::integer,
           (p_outcome = 3)::integer,
           (p_outcome = 4)::integer,
           CASE WHEN p_outcome = 1 THEN k.wait_us ELSE 0 END,
           (CASE p_formula
                WHEN 'abandons_positive' THEN k.answered_within OR k.abandoned_within
                ELSE k.answered_within END)::integer,
           (CASE p_formula
                WHEN 'abandons_count' THEN k.handled
                WHEN 'abandons_ignored' THEN k.handled AND NOT k.abandoned_within
                WHEN 'answered_only' THEN p_outcome = 1
                WHEN 'abandons_positive' THEN k.handled END)::integer,
           CASE WHEN p_outcome = 1 AND p_handle_ms IS NOT NULL THEN p_handle_ms ELSE 0 END,
           (p_outcome = 1 AND p_handle_ms IS NOT NULL)::integer,
           (p_outcome = 1 AND p_fcr IS TRUE)::integer,
           (p_outcome = 1 AND p_fcr IS NOT NULL)::integer
    FROM (SELECT w.wait_us, w.is_short,
                 coalesce(p_outcome = 1 AND w.wait_us <= p_threshold_s * 1000000::bigint, false)
                     AS answered_within,
                 coalesce(p_outcome = 2 AND NOT w.is_short
                          AND w.wait_us <= p_threshold_s * 1000000::bigint, false)
                     AS abandoned_within,
                 NOT w.is_short AND p_outcome <> 4 AS handled
          FROM (SELECT v.wait_us,
                       coalesce(p_outcome = 2 AND v.wait_us < p_short_abandon_s * 1000000::bigint,
                                false) AS is_short
                FROM (SELECT (extract(epoch FROM coalesce(p_answered, p_ended) - p_offered)
                              * 1000000)::bigint AS wait_us) v) w) k
$fn$;

-- Every contact with its classification under the settings in force on the
-- local date of its offered_at (defaults of the KPI definitions when none).
CREATE VIEW contact_facts AS
SELECT c.tenant_id, c.id, c.queue, c.channel, c.interval_start, c.local_date, c.offered_at,
       nullif(s.service, '') AS service, f.*
FROM contacts c
LEFT JOIN queue_settings_resolved s
       ON s.tenant_id = c.tenant_id AND s.queue = c.queue
      AND c.local_date >= s.valid_from AND c.local_date < s.valid_to
CROSS JOIN LATERAL ccm_classify(c.outcome, c.offered_at, c.answered_at, c.ended_at, c.handle_ms,
                                c.first_contact_resolved, coalesce(s.sl_threshold_s, 80),
                                coalesce(s.short_abandon_s, 0),
                                coalesce(s.sl_formula, 'abandons_count')) f;

-- 15-minute aggregates per (tenant, queue, interval, channel). UK offsets are
-- whole hours, so an interval never straddles two local dates.
CREATE TABLE contact_intervals (
    tenant_id        bigint NOT NULL,
    queue            text NOT NULL,
    interval_start   timestamptz NOT NULL,
    channel          smallint NOT NULL,
    local_date       date NOT NULL,
    service          text,
    offered          integer NOT NULL,
    answered         integer NOT NULL,
    abandoned        integer NOT NULL,
    short_abandoned  integer NOT NULL,
    timed_out        integer NOT NULL,
    refused          integer NOT NULL,
    answered_wait_us bigint NOT NULL,
    sl_numerator     integer NOT NULL,
    sl_denominator   integer NOT NULL,
    handle_ms        bigint NOT NULL,
    handle_count     integer NOT NULL,
    fcr_resolved     integer NOT NULL,
    fcr_known        integer NOT NULL,
    max_wait_us      bigint,
    PRIMARY KEY (tenant_id, queue, interval_start, channel)
);
CREATE INDEX contact_intervals_by_tenant ON contact_intervals (tenant_id, interval_start);
CREATE INDEX contact_intervals_by_service ON contact_intervals (tenant_id, service, interval_start)
    WHERE service IS NOT NULL;

-- Adds contacts, given as parallel arrays of their columns, to the interval
-- aggregates. The ingest path (the rows it just inserted, from RETURNING) and
-- the rebuild (every contact of a local day, day by day) both call it: one
-- implementation of the aggregation, and no re-reading of contacts on ingest.
-- The only join is with the small settings table, so its plan is right at any
-- table size.
CREATE FUNCTION ccm_intervals_add(p_tenant bigint, p_queues text[], p_channels smallint[],
                                  p_outcomes smallint[], p_offered timestamptz[],
                                  p_answered timestamptz[], p_ended timestamptz[],
                                  p_local_dates date[], p_intervals timestamptz[],
                                  p_handle_ms bigint[], p_fcr boolean[]) RETURNS void
LANGUAGE plpgsql
-- PL/pgSQL keeps the plan for the session (a SQL-language function would plan
-- its INSERT on every call: ~2 ms); one generic plan suits every call, since
-- the only table joined is the small settings table.
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
    CROSS JOIN LATERAL ccm_classify(u.outcome, u.offered_at, u.answered_at, u.ended_at,
                                    u.handle_ms, u.fcr, coalesce(s.sl_threshold_s, 80),
                                    coalesce(s.short_abandon_s, 0),
                                    coalesce(s.sl_formula, 'abandons_count')) f
    GROUP BY u.queue, u.interval_start, u.channel, u.local_date, nullif(s.service, '')
    -- one lock order for every transaction: concurrent ingest transactions
    -- wait for each other on a hot interval row instead of deadlocking
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

-- Rebuild the aggregates of one queue from a local date on (p_queue NULL: every
-- queue of the tenant; p_from NULL: all dates) from the raw contacts, one
-- local day at a time so memory stays bounded.
CREATE FUNCTION ccm_intervals_rebuild(p_tenant bigint, p_queue text, p_from date) RETURNS void
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
       AND (p_from IS NULL OR local_date >= p_from);
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

-- Store a batch of validated call records (arrays of equal length, built by
-- the daemon); returns how many were new and how many were already stored.
CREATE FUNCTION ccm_ingest_calls(
    p_tenant bigint, p_ids text[], p_queues text[], p_channels smallint[], p_outcomes smallint[],
    p_offered timestamptz[], p_answered timestamptz[], p_ended timestamptz[], p_local_dates date[],
    p_intervals timestamptz[], p_handle_ms bigint[], p_fcr boolean[], p_callers text[],
    p_reasons text[], p_agents text[], OUT accepted integer, OUT duplicates integer,
    OUT inserted_mask text)
LANGUAGE plpgsql AS $fn$
DECLARE
    new_ids text[];
    new_queues text[];
    new_channels smallint[];
    new_outcomes smallint[];
    new_offered timestamptz[];
    new_answered timestamptz[];
    new_ended timestamptz[];
    new_local_dates date[];
    new_intervals timestamptz[];
    new_handle_ms bigint[];
    new_fcr boolean[];
BEGIN
    -- Shared with other ingest transactions, exclusive against a rebuild or
    -- a settings change of the same tenant (see ccm_intervals_rebuild).
    PERFORM pg_advisory_xact_lock_shared(727365002, p_tenant::integer);
    WITH inserted AS (
        INSERT INTO contacts (tenant_id, id, queue, channel, outcome, offered_at, answered_at,
                              ended_at, local_date, interval_start, handle_ms,
                              first_contact_resolved, caller_hash, reason, agent)
        SELECT p_tenant, u.* FROM unnest(p_ids, p_queues, p_channels, p_outcomes, p_offered,
                                         p_answered, p_ended, p_local_dates, p_intervals,
                                         p_handle_ms, p_fcr, p_callers, p_reasons, p_agents) u
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING id)
    SELECT array_agg(id) INTO new_ids FROM inserted;
    accepted := coalesce(cardinality(new_ids), 0);
    duplicates := cardinality(p_ids) - accepted;
    IF duplicates = 0 THEN
        -- The common case: every row is new, so the input arrays are exactly
        -- the rows to aggregate.
        inserted_mask := repeat('1', accepted);
        PERFORM ccm_intervals_add(p_tenant, p_queues, p_channels, p_outcomes, p_offered,
                                  p_answered, p_ended, p_local_dates, p_intervals, p_handle_ms,
                                  p_fcr);
        RETURN;
    END IF;
    -- One character per input position: '1' stored now, '0' already stored (or
    -- a repeat of an id earlier in the same batch), so the daemon can tell
    -- each request of a group commit its own counts, and the aggregates take
    -- exactly the positions marked '1'.
    SELECT string_agg(CASE WHEN n.id IS NOT NULL AND u.first THEN '1' ELSE '0' END, ''
                      ORDER BY u.ord)
      INTO inserted_mask
      FROM (SELECT x.id, x.ord,
                   row_number() OVER (PARTITION BY x.id ORDER BY x.ord) = 1 AS first
              FROM unnest(p_ids) WITH ORDINALITY AS x(id, ord)) u
      LEFT JOIN unnest(new_ids) AS n(id) ON n.id = u.id;
    IF accepted > 0 THEN
        SELECT array_agg(u.queue), array_agg(u.channel), array_agg(u.outcome),
               array_agg(u.offered_at), array_agg(u.answered_at), array_agg(u.ended_at),
               array_agg(u.local_date), array_agg(u.interval_start), array_agg(u.handle_ms),
               array_agg(u.fcr)
          INTO new_queues, new_channels, new_outcomes, new_offered, new_answered, new_ended,
               new_local_dates, new_intervals, new_handle_ms, new_fcr
          FROM unnest(p_queues, p_channels, p_outcomes, p_offered, p_answered, p_ended,
                      p_local_dates, p_intervals, p_handle_ms, p_fcr) WITH ORDINALITY
                   AS u(queue, channel, outcome, offered_at, answered_at, ended_at, local_date,
                        interval_start, handle_ms, fcr, ord)
         WHERE substr(inserted_mask, u.ord::integer, 1) = '1';
        PERFORM ccm_intervals_add(p_tenant, new_queues, new_channels, new_outcomes, new_offered,
                                  new_answered, new_ended, new_local_dates, new_intervals,
                                  new_handle_ms, new_fcr);
    END IF;
END
$fn$;

-- Add or replace a settings version of a queue, re-resolve its versions and
-- rebuild its aggregates from the first local date the change can affect.
CREATE FUNCTION ccm_queue_settings_put(p_tenant bigint, p_queue text, p_effective_from date,
                                       p_service text, p_sl_threshold_s integer,
                                       p_sl_formula text, p_short_abandon_s integer)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v record;
    current_service text := NULL;
    current_threshold integer := 80;
    current_formula text := 'abandons_count';
    current_short integer := 0;
BEGIN
    -- One settings change of a tenant at a time, and none during its ingest.
    PERFORM pg_advisory_xact_lock(727365002, p_tenant::integer);
    INSERT INTO queue_settings (tenant_id, queue, effective_from, service, sl_threshold_s,
                                sl_formula, short_abandon_s)
    VALUES (p_tenant, p_queue, p_effective_from, p_service, p_sl_threshold_s, p_sl_formula,
            p_short_abandon_s)
    ON CONFLICT (tenant_id, queue, effective_from) DO UPDATE SET
        service = excluded.service, sl_threshold_s = excluded.sl_threshold_s,
        sl_formula = excluded.sl_formula, short_abandon_s = excluded.short_abandon_s,
        updated_at = now();

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
        INSERT INTO queue_settings_resolved VALUES (p_tenant, p_queue, v.effective_from,
            v.next_from, current_service, current_threshold, current_formula, current_short);
    END LOOP;

    PERFORM ccm_intervals_rebuild(p_tenant, p_queue,
        CASE WHEN p_effective_from = '-infinity' THEN NULL ELSE p_effective_from END);
END
$fn$;
