-- 009_reporting_views: a stable, read-only SQL interface to the figures for the tools
-- councils already run (Grafana, BI tools over ODBC), documented in docs/reporting.md.
-- The daemon's own tables may change shape; these views keep theirs: columns are only
-- ever added. Each row is one queue's 15-minute interval on one channel, with sums, so
-- any period, queue set or channel set is summed first and divided after, exactly as
-- the API does (never an average of percentages).

CREATE SCHEMA reporting;

CREATE VIEW reporting.kpi_intervals AS
SELECT t.name AS tenant, i.queue, i.service,
       (ARRAY['phone', 'face_to_face', 'webchat', 'email', 'social', 'webform'])[i.channel + 1]
           AS channel,
       i.interval_start, i.local_date,
       i.offered, i.answered, i.abandoned, i.short_abandoned, i.timed_out, i.refused,
       i.offered - i.short_abandoned - i.refused AS handled_denominator,
       i.answered_wait_us / 1e6 AS answered_wait_s,  -- sum of the waits of answered contacts
       i.sl_numerator, i.sl_denominator,              -- service level under each queue's formula
       i.handle_ms / 1e3 AS handle_s, i.handle_count, -- sum of handle times, and how many
       i.fcr_resolved, i.fcr_known,
       i.max_wait_us / 1e6 AS max_wait_s,
       -- repeat-contact counts of days already final (NULL for later days: the API computes
       -- those from raw contacts and marks the figure provisional)
       CASE WHEN i.local_date <= f.through THEN i.repeat_known END AS repeat_known,
       CASE WHEN i.local_date <= f.through THEN i.repeat_known - i.repeat_followed END
           AS repeat_not_followed
  FROM contact_intervals i
  JOIN tenants t ON t.id = i.tenant_id
  JOIN (SELECT id, ccm_repeat_final_through(id) AS through FROM tenants) f
    ON f.id = i.tenant_id;

CREATE VIEW reporting.targets AS
SELECT t.name AS tenant, g.scope, g.kpi,
       CASE WHEN g.effective_from = '-infinity' THEN NULL ELSE g.effective_from END
           AS effective_from,                          -- NULL: has always applied
       g.value, g.amber
  FROM targets g JOIN tenants t ON t.id = g.tenant_id;
