-- 013_enquiries: members' enquiries (issue 8 point 5; docs/enquiries.md).
--
-- An enquiry is stored as its latest known state: opened, delay advised, closed.
-- Re-posting an id merges through ccm_enquiries_put, the only writer, in one
-- INSERT ... ON CONFLICT DO UPDATE per item, so two daemons posting the same id
-- at once serialise on the row and both merges apply.
--
-- Nothing derived is stored: due dates depend on the tenant's holidays and on
-- due_working_days, which can change after an enquiry was posted, so the daemon
-- computes local dates, due dates and the classification (lib/workday,
-- lib/enquiry) when it reads. PostgreSQL does no time-zone arithmetic here.

CREATE TABLE enquiries (
    tenant_id        bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               text NOT NULL CHECK (char_length(id) BETWEEN 1 AND 128),
    unit             text NOT NULL CHECK (char_length(unit) BETWEEN 1 AND 128),
    opened_at        timestamptz NOT NULL,
    delay_advised_at timestamptz CHECK (delay_advised_at >= opened_at),
    closed_at        timestamptz CHECK (closed_at >= opened_at),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- Reads select by opened_at (a due-date range maps to an opened range) and, for
-- ageing, the enquiries still open.
CREATE INDEX enquiries_by_opened ON enquiries (tenant_id, opened_at);
-- Ageing at an instant reads the enquiries open then: those still open (a small, partial
-- index) and those closed after it; never every enquiry the tenant ever had.
CREATE INDEX enquiries_open ON enquiries (tenant_id, opened_at) WHERE closed_at IS NULL;
CREATE INDEX enquiries_by_closed ON enquiries (tenant_id, closed_at) WHERE closed_at IS NOT NULL;

-- The working-day calendar: weekends are never working days; these are the
-- tenant's holidays (each UK nation has its own bank holidays).
CREATE TABLE enquiry_holidays (
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day       date NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

-- Due date = the Nth working day after the local date of opened_at (default 5).
CREATE TABLE enquiry_settings (
    tenant_id        bigint PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    due_working_days integer NOT NULL CHECK (due_working_days BETWEEN 1 AND 60),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The state rank of an enquiry: 1 open, 2 delay advised, 3 closed.
CREATE FUNCTION ccm_enquiry_rank(p_delay timestamptz, p_closed timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN p_closed IS NOT NULL THEN 3 WHEN p_delay IS NOT NULL THEN 2 ELSE 1 END
$fn$;

-- The merge of a stored state (s_) and a posted one (p_): the one of higher rank wins
-- (the posted one on equal rank) on unit, opened_at and closed_at; delay_advised_at is
-- the winner's, else the other's when it is not before the winner's opened_at. So a
-- later state is never lost and an earlier one never overwrites it, whatever the
-- order posts arrive in (lib/enquiry.c enquiry_merge is the same rule, unit-tested).
CREATE FUNCTION ccm_enquiry_merge(s_unit text, s_opened timestamptz, s_delay timestamptz,
                                  s_closed timestamptz, p_unit text, p_opened timestamptz,
                                  p_delay timestamptz, p_closed timestamptz)
RETURNS TABLE (unit text, opened_at timestamptz, delay_advised_at timestamptz,
               closed_at timestamptz)
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT w.unit, w.opened, coalesce(w.delay, CASE WHEN l.delay >= w.opened THEN l.delay END),
           w.closed
    FROM (SELECT ccm_enquiry_rank(p_delay, p_closed) >= ccm_enquiry_rank(s_delay, s_closed)
          AS posted_wins) k,
         LATERAL (SELECT CASE WHEN k.posted_wins THEN p_unit ELSE s_unit END AS unit,
                         CASE WHEN k.posted_wins THEN p_opened ELSE s_opened END AS opened,
                         CASE WHEN k.posted_wins THEN p_delay ELSE s_delay END AS delay,
                         CASE WHEN k.posted_wins THEN p_closed ELSE s_closed END AS closed) w,
         LATERAL (SELECT CASE WHEN k.posted_wins THEN s_delay ELSE p_delay END AS delay) l
$fn$;

-- Stores a request's enquiries (a jsonb array of {id, unit, opened_at,
-- delay_advised_at, closed_at}, validated by the daemon) in body order. Returns how
-- many were new, changed and left unchanged.
CREATE FUNCTION ccm_enquiries_put(p_tenant bigint, p_items jsonb,
                                  OUT created integer, OUT updated integer, OUT unchanged integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
    was_inserted boolean;
BEGIN
    created := 0;
    updated := 0;
    unchanged := 0;
    FOR r IN SELECT * FROM jsonb_to_recordset(p_items)
             AS x(id text, unit text, opened_at timestamptz, delay_advised_at timestamptz,
                  closed_at timestamptz)
    LOOP
        INSERT INTO enquiries AS e (tenant_id, id, unit, opened_at, delay_advised_at, closed_at)
        VALUES (p_tenant, r.id, r.unit, r.opened_at, r.delay_advised_at, r.closed_at)
        ON CONFLICT (tenant_id, id) DO UPDATE
        SET (unit, opened_at, delay_advised_at, closed_at, updated_at) =
            (SELECT m.unit, m.opened_at, m.delay_advised_at, m.closed_at, now()
             FROM ccm_enquiry_merge(e.unit, e.opened_at, e.delay_advised_at, e.closed_at,
                                    excluded.unit, excluded.opened_at,
                                    excluded.delay_advised_at, excluded.closed_at) m)
        WHERE ROW(e.unit, e.opened_at, e.delay_advised_at, e.closed_at) IS DISTINCT FROM
              (SELECT ROW(m.unit, m.opened_at, m.delay_advised_at, m.closed_at)
               FROM ccm_enquiry_merge(e.unit, e.opened_at, e.delay_advised_at, e.closed_at,
                                      excluded.unit, excluded.opened_at,
                                      excluded.delay_advised_at, excluded.closed_at) m)
        RETURNING (xmax = 0) INTO was_inserted;
        IF NOT FOUND THEN
            unchanged := unchanged + 1;
        ELSIF was_inserted THEN
            created := created + 1;
        ELSE
            updated := updated + 1;
        END IF;
    END LOOP;
END
$fn$;
