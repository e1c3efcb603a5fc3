-- 004: contacts by caller pseudonym, for the abandoned-call list (was this
-- caller answered later?) and repeat-contact figures. Partial: contacts with
-- no known caller are not indexed.
CREATE INDEX contacts_by_caller ON contacts (tenant_id, caller_hash, offered_at)
    WHERE caller_hash IS NOT NULL;
