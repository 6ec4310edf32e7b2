-- Which library document carries a published proposal and its reply (ADR 027), and the
-- hash of the text it was made from, so a changed reply replaces the document.
CREATE TABLE consult_library_docs (
    proposal_id BIGINT PRIMARY KEY REFERENCES consult_proposals(id),
    document_id BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
