-- 011_exports: what the monthly scrutiny exports need besides the figures (issue 6):
-- officers' commentary, export profiles (which KPIs, in which order, with which
-- reference and description), and published months.
--
-- Publishing a month freezes it: the month's sums per (queue, service) as they stood,
-- the targets in force on its first day for every scope, and the queue settings in
-- force during it. Any scope's published figure is then the sum of the frozen rows of
-- its queues, computed by the same lib/kpi formulas as the live one; an export shows
-- the published figure and, when the live one has moved since (late events, a
-- restated contact), marks the month "restated" with both.

-- Endpoints that want to hear when a month is published (automatically).
ALTER TABLE alert_endpoints ADD COLUMN publications boolean NOT NULL DEFAULT false;

CREATE TABLE commentary (
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope      text NOT NULL,
    kpi        text NOT NULL,
    month      date NOT NULL,              -- the first day of the month
    text       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope, kpi, month)
);

CREATE TABLE export_profiles (
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    definition jsonb NOT NULL,             -- {"kpis": [{"kpi", "reference", "description"}]}
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE publications (
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month        date NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    automatic    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, month)
);

-- The month's sums per queue and service when it was published (the columns of
-- contact_intervals' counters; repeat counts from final days and raw contacts alike).
CREATE TABLE published_sums (
    tenant_id        bigint NOT NULL,
    month            date NOT NULL,
    queue            text NOT NULL,
    service          text,
    offered          bigint NOT NULL,
    answered         bigint NOT NULL,
    abandoned        bigint NOT NULL,
    short_abandoned  bigint NOT NULL,
    timed_out        bigint NOT NULL,
    refused          bigint NOT NULL,
    answered_wait_us bigint NOT NULL,
    sl_numerator     bigint NOT NULL,
    sl_denominator   bigint NOT NULL,
    handle_ms        bigint NOT NULL,
    handle_count     bigint NOT NULL,
    fcr_resolved     bigint NOT NULL,
    fcr_known        bigint NOT NULL,
    max_wait_us      bigint,
    repeat_known     bigint NOT NULL,
    repeat_followed  bigint NOT NULL,
    FOREIGN KEY (tenant_id, month) REFERENCES publications (tenant_id, month) ON DELETE CASCADE
);
CREATE INDEX published_sums_by_month ON published_sums (tenant_id, month);

-- Every target in force on the month's first day, as it was then.
CREATE TABLE published_targets (
    tenant_id bigint NOT NULL,
    month     date NOT NULL,
    scope     text NOT NULL,
    kpi       text NOT NULL,
    value     double precision NOT NULL,
    amber     double precision,
    PRIMARY KEY (tenant_id, month, scope, kpi),
    FOREIGN KEY (tenant_id, month) REFERENCES publications (tenant_id, month) ON DELETE CASCADE
);

-- The queue settings in force during the month (for the record and the JSON export).
CREATE TABLE published_settings (
    tenant_id bigint NOT NULL,
    month     date NOT NULL,
    settings  jsonb NOT NULL,
    PRIMARY KEY (tenant_id, month),
    FOREIGN KEY (tenant_id, month) REFERENCES publications (tenant_id, month) ON DELETE CASCADE
);

-- Publish a month (first day p_month) of a tenant, from one snapshot. Publishing a
-- month already published is refused (SQLSTATE 23505): a published figure never
-- changes silently.
CREATE FUNCTION ccm_publish_month(p_tenant bigint, p_month date, p_automatic boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    month_end date := (p_month + interval '1 month')::date;
    zone text := (SELECT time_zone FROM tenants WHERE id = p_tenant);
    from_ts timestamptz := (p_month::timestamp AT TIME ZONE zone);
    to_ts timestamptz := (month_end::timestamp AT TIME ZONE zone);
    through date := ccm_repeat_final_through(p_tenant);
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
    FROM targets WHERE tenant_id = p_tenant AND effective_from <= p_month
    ORDER BY scope, kpi, effective_from DESC;
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
