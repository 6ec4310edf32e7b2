-- 申报材料 (ADR 035): files an applicant attaches to its application. The file itself is in
-- platform storage under `storage_key` (random, never the client's name); `name` is the
-- client's file name, shown to the applicant and the office, neutral for blind reviewers.
CREATE TABLE needs_attachments (
    id {id},
    application_id BIGINT NOT NULL REFERENCES needs_applications (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    size BIGINT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by BIGINT REFERENCES platform_users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX needs_attachments_application ON needs_attachments (application_id);
