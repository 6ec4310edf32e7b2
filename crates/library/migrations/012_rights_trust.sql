-- One complaint does not take a document down (issue 12): only a complaint from a rights
-- holder whose identity an operator has checked, or the K-th distinct complainant with
-- evidence, hides a document pending review; the rest wait in the queue with a deadline.
CREATE TABLE library_rights_holders (
    user_id BIGINT PRIMARY KEY REFERENCES platform_users (id),
    note TEXT NOT NULL,
    verified_by BIGINT NOT NULL,
    verified_at BIGINT NOT NULL
);
INSERT INTO library_settings (name, value) VALUES ('complaint_quorum', 3);
INSERT INTO library_settings (name, value) VALUES ('complaint_review_hours', 72);
