-- Community matters meet their meeting (issue 15): the residents present, signed in by
-- themselves or by staff from the paper list, the minutes, and the recountable vote that
-- decides the matter when the meeting votes by ballot.
ALTER TABLE consult_matters ADD COLUMN vote_id BIGINT;
ALTER TABLE consult_matters ADD COLUMN minutes TEXT NOT NULL DEFAULT '';
CREATE TABLE consult_matter_attendance (
    matter_id BIGINT NOT NULL REFERENCES consult_matters(id),
    -- 'u:<user id>' for a verified resident, 'p:<household>/<name>' for a paper entry:
    -- the key keeps one entry per person.
    attendee TEXT NOT NULL,
    name TEXT NOT NULL,
    household TEXT NOT NULL,
    signed_by BIGINT,
    at BIGINT NOT NULL,
    PRIMARY KEY (matter_id, attendee)
);
-- An activity's attachments: documents in the library (each reader sees those the
-- library lets them read).
CREATE TABLE consult_activity_documents (
    activity_id BIGINT NOT NULL REFERENCES consult_activities(id),
    document_id BIGINT NOT NULL,
    added_by BIGINT,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (activity_id, document_id)
);
