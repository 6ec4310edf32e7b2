-- Rights and trust (issue 4): operator settings, in-app notifications, and complaints —
-- copyright complaints (版权申诉), ownership claims (认领) and reports (举报) — with the
-- reviewer's decision.
CREATE TABLE library_settings (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO library_settings (name, value) VALUES ('takedown_on_complaint', 1);
INSERT INTO library_settings (name, value) VALUES ('report_hide_threshold', 3);
INSERT INTO library_settings (name, value) VALUES ('comments_premoderated', 0);
CREATE TABLE library_notifications (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    kind TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX library_notifications_user ON library_notifications (user_id, id);
CREATE TABLE library_complaints (
    id {id},
    document_id BIGINT NOT NULL,
    document_title TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    complainant_id BIGINT NOT NULL REFERENCES platform_users (id),
    uploader_id BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    contact TEXT NOT NULL,
    state TEXT NOT NULL,
    decision TEXT,
    note TEXT,
    reviewer_id BIGINT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX library_complaints_state ON library_complaints (state, id);
CREATE INDEX library_complaints_document ON library_complaints (document_id, state);
-- One open complaint of a kind per person and document: K reports mean K people.
CREATE UNIQUE INDEX library_complaints_open_once ON library_complaints (document_id, complainant_id, kind) WHERE state = 'open';
