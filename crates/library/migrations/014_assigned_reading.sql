-- Reading assigned as study (issue 16, ADR 037): the reader may keep their position in
-- these documents without VIP membership, so the assignment can be seen finished.
CREATE TABLE library_assigned_reading (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);
