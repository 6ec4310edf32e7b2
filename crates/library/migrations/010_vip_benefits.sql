-- VIP benefits (issue 4): the operator's promotion block that members read without (2),
-- and copyright registration certificates chained by hash (8).
CREATE TABLE library_promotion (
    id BIGINT PRIMARY KEY,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT NOT NULL,
    active BIGINT NOT NULL
);
INSERT INTO library_promotion (id, text_zh, text_en, link, active) VALUES (1, '', '', '', 0);
INSERT INTO library_settings (name, value) VALUES ('certificate_seq', 0);
CREATE TABLE library_certificates (
    seq BIGINT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    document_id BIGINT NOT NULL,
    document_title TEXT NOT NULL,
    registrant_id BIGINT NOT NULL,
    registrant_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX library_certificates_document ON library_certificates (document_id);
