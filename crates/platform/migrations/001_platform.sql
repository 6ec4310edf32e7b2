-- Accounts, sessions, the job queue, the audit chain and the outbox.
-- Times are Unix milliseconds (BIGINT) so both backends store them the same way.
CREATE TABLE platform_users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE platform_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX platform_sessions_user ON platform_sessions (user_id);
CREATE TABLE platform_jobs (
    id {id},
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX platform_jobs_ready ON platform_jobs (status, run_at);
CREATE TABLE platform_audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO platform_audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE platform_audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE platform_events (
    id {id},
    at BIGINT NOT NULL,
    topic TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    payload TEXT NOT NULL
);
