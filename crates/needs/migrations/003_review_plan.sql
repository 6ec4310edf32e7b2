-- Issue 14's remainders (ADR 033): a call's reviewers spread over its applications in
-- balance, blind review until the scores are final, mid-term and final evaluations of a
-- contract, and the marks of the milestone sweep (reminded before the date, overdue after).
ALTER TABLE needs_calls ADD COLUMN blind BIGINT NOT NULL DEFAULT 0;
ALTER TABLE needs_calls ADD COLUMN reviews_final_at BIGINT NOT NULL DEFAULT 0;
CREATE TABLE needs_review_assignments (
    application_id BIGINT NOT NULL REFERENCES needs_applications (id),
    reviewer_id BIGINT NOT NULL REFERENCES platform_users (id),
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, reviewer_id)
);
CREATE INDEX needs_review_assignments_reviewer ON needs_review_assignments (reviewer_id, call_id);
CREATE TABLE needs_evaluations (
    id {id},
    contract_id BIGINT NOT NULL REFERENCES needs_contracts (id),
    kind TEXT NOT NULL,
    score BIGINT NOT NULL,
    summary TEXT NOT NULL,
    evaluator_id BIGINT REFERENCES platform_users (id),
    at BIGINT NOT NULL,
    UNIQUE (contract_id, kind)
);
ALTER TABLE needs_milestones ADD COLUMN reminded_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE needs_milestones ADD COLUMN overdue_at BIGINT NOT NULL DEFAULT 0;
INSERT INTO needs_settings (key, value, set_at) VALUES ('milestone_remind_days', 7, 0);
