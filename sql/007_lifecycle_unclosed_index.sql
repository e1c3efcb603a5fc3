-- 007: the lifecycle sweeper looks for calls to close every few seconds, but
-- lifecycle_calls keeps every call ever assembled: without an index on the
-- few that can still need closing (open, or ended as answered without their
-- call.answered) each sweep would read the whole table. The sweeper's
-- condition is the index's predicate, so the planner can use it.
CREATE INDEX lifecycle_calls_unclosed ON lifecycle_calls (tenant_id, offered_at)
    WHERE offered_at IS NOT NULL AND timeout_at IS NULL
      AND (ended_at IS NULL OR (outcome = 1 AND answered_at IS NULL));
