-- Readers (issue 4): comments with moderation, ratings 1–5 (a reader signal in the quality
-- score), favourites, and reading progress synced across devices (a VIP benefit).
CREATE TABLE library_comments (
    id {id},
    document_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    moderated_by BIGINT,
    moderated_at BIGINT
);
CREATE INDEX library_comments_document ON library_comments (document_id, id);
CREATE INDEX library_comments_state ON library_comments (state, id);
CREATE TABLE library_ratings (
    document_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    stars BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (document_id, user_id)
);
ALTER TABLE library_documents ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0;
ALTER TABLE library_documents ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0;
CREATE TABLE library_favourites (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);
CREATE TABLE library_reading_progress (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    page BIGINT NOT NULL,
    device TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);
