-- 010_alerts: alert rules, their state, webhook endpoints, and the outbox of
-- notifications with its delivery log (issue 5).
--
-- One daemon at a time evaluates the rules: the one whose evaluator session holds
-- the advisory lock 727365003 (ccm_alert_leader()). It reads rules, state and
-- figures in one transaction, moves each rule's state in C (lib/alert.c), and
-- stores the new states and the notifications they cause in one transaction
-- (ccm_alert_store(), which refuses unless the session still leads): a
-- notification exists if and only if its state change committed.
--
-- The outbox is the transactional outbox: every daemon delivers from it. Per
-- endpoint, notifications go one at a time in the order they were made (firing
-- before its resolve), each claimed with a lease so that a daemon that dies
-- mid-delivery leaves it to be tried again; the webhook id is fixed when the
-- notification is stored, so a receiver can drop a repeat after such a retry.

CREATE TABLE alert_endpoints (
    id              text PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url             text NOT NULL,
    format          text NOT NULL CHECK (format IN ('generic', 'slack', 'teams')),
    secret          text NOT NULL,          -- signs deliveries; never returned after creation
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,                   -- why the daemon disabled it (410, failing for days)
    disabled_at     timestamptz,
    failing_since   timestamptz,            -- first failure after the last success
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_endpoints_by_tenant ON alert_endpoints (tenant_id);

-- definition: the rule as the API took it (lib/alert.c parses it again on every
-- evaluation: one parser). scope_kind/scope_name/no_data_minutes are copies the
-- SQL of the evaluator needs.
CREATE TABLE alert_rules (
    id              text PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    definition      jsonb NOT NULL,
    scope           text NOT NULL,
    scope_kind      text NOT NULL CHECK (scope_kind IN ('tenant', 'queue', 'service')),
    scope_name      text,
    no_data_minutes integer,
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_by_tenant ON alert_rules (tenant_id);

CREATE TABLE alert_rule_endpoints (
    rule_id     text NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    endpoint_id text NOT NULL REFERENCES alert_endpoints (id) ON DELETE CASCADE,
    PRIMARY KEY (rule_id, endpoint_id)
);
CREATE INDEX alert_rule_endpoints_by_endpoint ON alert_rule_endpoints (endpoint_id);

-- Where each rule stands, and the figure it was last judged on.
CREATE TABLE alert_state (
    rule_id          text PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
    state            text NOT NULL CHECK (state IN ('ok', 'pending', 'firing')),
    since            timestamptz NOT NULL,
    last_notified_at timestamptz,
    last_resolved_at timestamptz,
    value            double precision,
    threshold        double precision,
    sample           bigint,
    open             boolean,
    evaluated_at     timestamptz NOT NULL
);

CREATE TABLE alert_outbox (
    id              bigserial PRIMARY KEY,
    webhook_id      text NOT NULL UNIQUE,   -- the webhook-id header, the same on every attempt
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id     text NOT NULL REFERENCES alert_endpoints (id) ON DELETE CASCADE,
    rule_id         text,                   -- no foreign key: a deleted rule's notices still go
    type            text NOT NULL,          -- alert.firing, alert.resolved, alert.test
    body            text NOT NULL,          -- exactly the bytes sent (and signed)
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,            -- claimed by a daemon until then
    attempts        integer NOT NULL DEFAULT 0,
    delivered_at    timestamptz
);
-- The undelivered notifications, per endpoint in order: the delivery queue.
CREATE INDEX alert_outbox_pending ON alert_outbox (endpoint_id, id) WHERE delivered_at IS NULL;

-- One row per delivery attempt: GET /v1/alert-endpoints/ID/deliveries.
CREATE TABLE alert_deliveries (
    id           bigserial PRIMARY KEY,
    outbox_id    bigint NOT NULL REFERENCES alert_outbox (id) ON DELETE CASCADE,
    endpoint_id  text NOT NULL REFERENCES alert_endpoints (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    duration_ms  integer NOT NULL,
    status       integer,                   -- the HTTP status; NULL when none came back
    error        text,                      -- why it failed; NULL on success
    retry_at     timestamptz                -- when it is tried again; NULL: delivered or stopped
);
CREATE INDEX alert_deliveries_by_endpoint ON alert_deliveries (endpoint_id, id);

-- True when this session is the evaluator: it holds the lock, or takes it now.
CREATE FUNCTION ccm_alert_leader() RETURNS boolean LANGUAGE sql VOLATILE AS $fn$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks
                             WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                               AND classid = 0 AND objid = 727365003 AND objsubid = 1
                               AND granted)
                THEN true
                ELSE pg_try_advisory_lock(727365003::bigint) END
$fn$;

-- Store one evaluation: the new state of every rule evaluated (p_states: an array
-- of {rule_id, state, since_us, last_notified_us, value, threshold, sample, open,
-- resolved}) and the notifications (p_notices: {rule_id, type, generic, slack,
-- teams}: the body in each format), one outbox row per enabled endpoint of the
-- rule. Refuses unless this session still leads, so that a daemon that lost its
-- lock (its connection dropped and another daemon took over) stores nothing.
CREATE FUNCTION ccm_alert_store(p_states jsonb, p_notices jsonb) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    stored integer;
BEGIN
    IF NOT ccm_alert_leader() THEN
        RAISE EXCEPTION 'this session no longer evaluates the alert rules'
            USING ERRCODE = 'lock_not_available';
    END IF;
    INSERT INTO alert_state AS s (rule_id, state, since, last_notified_at, last_resolved_at,
                                  value, threshold, sample, open, evaluated_at)
    SELECT x.rule_id, x.state, to_timestamp(x.since_us / 1e6),
           CASE WHEN x.last_notified_us > 0 THEN to_timestamp(x.last_notified_us / 1e6) END,
           CASE WHEN x.resolved THEN now() END,
           x.value, x.threshold, x.sample, x.open, now()
    FROM jsonb_to_recordset(p_states) AS x(rule_id text, state text, since_us bigint,
                                           last_notified_us bigint, value double precision,
                                           threshold double precision, sample bigint,
                                           open boolean, resolved boolean)
    WHERE EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = x.rule_id)
    ON CONFLICT (rule_id) DO UPDATE
        SET state = excluded.state, since = excluded.since,
            last_notified_at = excluded.last_notified_at,
            last_resolved_at = coalesce(excluded.last_resolved_at, s.last_resolved_at),
            value = excluded.value, threshold = excluded.threshold, sample = excluded.sample,
            open = excluded.open, evaluated_at = excluded.evaluated_at;
    INSERT INTO alert_outbox (webhook_id, tenant_id, endpoint_id, rule_id, type, body)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.tenant_id, e.id, n.rule_id,
           n.type, CASE e.format WHEN 'slack' THEN n.slack WHEN 'teams' THEN n.teams
                                 ELSE n.generic END
    FROM jsonb_to_recordset(p_notices) AS n(rule_id text, type text, generic text, slack text,
                                            teams text)
    JOIN alert_rule_endpoints re ON re.rule_id = n.rule_id
    JOIN alert_endpoints e ON e.id = re.endpoint_id AND e.enabled;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END
$fn$;

-- Create or replace a rule and its endpoints in one statement. An endpoint id the
-- tenant does not have is refused (SQLSTATE 23503, its id in the message). A
-- replaced rule keeps its state unless its definition changed.
CREATE FUNCTION ccm_alert_rule_put(p_tenant bigint, p_id text, p_definition jsonb, p_scope text,
                                   p_scope_kind text, p_scope_name text,
                                   p_no_data_minutes integer, p_enabled boolean,
                                   p_endpoints jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    missing text;
    previous jsonb;
BEGIN
    SELECT x INTO missing FROM jsonb_array_elements_text(p_endpoints) x
    WHERE NOT EXISTS (SELECT 1 FROM alert_endpoints e WHERE e.id = x AND e.tenant_id = p_tenant)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'no alert endpoint "%" (create it with POST /v1/alert-endpoints)', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT definition INTO previous FROM alert_rules WHERE id = p_id AND tenant_id = p_tenant
    FOR UPDATE;
    IF previous IS NULL THEN
        IF EXISTS (SELECT 1 FROM alert_rules WHERE id = p_id) THEN
            RAISE EXCEPTION 'no alert rule "%"', p_id USING ERRCODE = 'no_data_found';
        END IF;
        INSERT INTO alert_rules (id, tenant_id, definition, scope, scope_kind, scope_name,
                                 no_data_minutes, enabled)
        VALUES (p_id, p_tenant, p_definition, p_scope, p_scope_kind, p_scope_name,
                p_no_data_minutes, p_enabled);
    ELSE
        UPDATE alert_rules SET definition = p_definition, scope = p_scope,
                               scope_kind = p_scope_kind, scope_name = p_scope_name,
                               no_data_minutes = p_no_data_minutes, enabled = p_enabled
        WHERE id = p_id;
        IF previous - 'enabled' - 'endpoints' - 'name' <>
           p_definition - 'enabled' - 'endpoints' - 'name' THEN
            DELETE FROM alert_state WHERE rule_id = p_id; -- judged afresh, from ok
        END IF;
        DELETE FROM alert_rule_endpoints WHERE rule_id = p_id;
    END IF;
    INSERT INTO alert_rule_endpoints (rule_id, endpoint_id)
    SELECT p_id, x FROM jsonb_array_elements_text(p_endpoints) x;
END
$fn$;

-- Record one delivery attempt. Delivered: done, and the endpoint is healthy again.
-- Failed: tried again after p_retry_s; the endpoint is disabled when the receiver
-- said 410 Gone, or when it has failed without a success for p_disable_after_s
-- (the notification stays in the outbox: re-enabling the endpoint sends it).
CREATE FUNCTION ccm_webhook_record(p_outbox bigint, p_endpoint text, p_attempt integer,
                                   p_started_us bigint, p_duration_ms integer, p_status integer,
                                   p_error text, p_retry_s integer, p_gone boolean,
                                   p_disable_after_s integer) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    started timestamptz := to_timestamp(p_started_us / 1e6);
    failing timestamptz;
    reason text;
BEGIN
    IF p_error IS NULL THEN
        UPDATE alert_outbox SET delivered_at = now(), lease_until = NULL WHERE id = p_outbox;
        UPDATE alert_endpoints SET failing_since = NULL WHERE id = p_endpoint;
        INSERT INTO alert_deliveries (outbox_id, endpoint_id, attempt, attempted_at, duration_ms,
                                      status)
        VALUES (p_outbox, p_endpoint, p_attempt, started, p_duration_ms, p_status);
        RETURN 'delivered';
    END IF;
    UPDATE alert_outbox SET lease_until = NULL,
                            next_attempt_at = now() + make_interval(secs => p_retry_s)
    WHERE id = p_outbox;
    UPDATE alert_endpoints SET failing_since = coalesce(failing_since, started)
    WHERE id = p_endpoint RETURNING failing_since INTO failing;
    IF p_gone THEN
        reason := 'the receiver answered 410 Gone';
    ELSIF failing < now() - make_interval(secs => p_disable_after_s) THEN
        reason := 'failing since ' || to_char(failing AT TIME ZONE 'UTC',
                                              'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                  || ' (last: ' || p_error || ')';
    END IF;
    IF reason IS NOT NULL THEN
        UPDATE alert_endpoints SET enabled = false, disabled_reason = reason, disabled_at = now()
        WHERE id = p_endpoint AND enabled;
    END IF;
    INSERT INTO alert_deliveries (outbox_id, endpoint_id, attempt, attempted_at, duration_ms,
                                  status, error, retry_at)
    VALUES (p_outbox, p_endpoint, p_attempt, started, p_duration_ms, p_status, p_error,
            CASE WHEN reason IS NULL THEN now() + make_interval(secs => p_retry_s) END);
    RETURN CASE WHEN reason IS NULL THEN 'retry' ELSE 'disabled' END;
END
$fn$;

-- An instant as the API writes it (RFC 3339, UTC, whole seconds); NULL stays NULL.
CREATE FUNCTION ccm_utc_text(p timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
    SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$fn$;

-- An endpoint's URL as the API shows it after creation: no user information, no
-- query, and for Slack and Teams (whose URLs are themselves secrets) no path.
CREATE FUNCTION ccm_url_shown(p_url text, p_format text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN p_format IN ('slack', 'teams')
                THEN regexp_replace(u, '^([a-z]+://[^/]+/).+$', '\1...')
                ELSE regexp_replace(u, '\?.*$', '?...') END
    FROM (SELECT regexp_replace(p_url, '^([a-z]+://)[^/@]*@', '\1') AS u) x
$fn$;
