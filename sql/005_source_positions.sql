-- 005: where each followed source (an Asterisk queue_log file) has been read
-- up to. Updated in the same transaction as the events of the lines read, so
-- a restart resumes exactly after the last stored line.
CREATE TABLE source_positions (
    source       text PRIMARY KEY,        -- 'queue_log:' || the file's path
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device       bigint NOT NULL,         -- st_dev and st_ino of the file read
    inode        bigint NOT NULL,
    offset_bytes bigint NOT NULL CHECK (offset_bytes >= 0),
    line         bigint NOT NULL CHECK (line >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
