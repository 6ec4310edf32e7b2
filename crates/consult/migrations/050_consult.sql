-- Consultation (issue 15): the proposals office, members by sector, proposals and their
-- handling. Times are ms since the epoch; flags are 0/1.
CREATE TABLE consult_office (
    user_id BIGINT PRIMARY KEY REFERENCES platform_users(id),
    district_id BIGINT NOT NULL REFERENCES governance_units(id),
    added_at BIGINT NOT NULL
);
CREATE TABLE consult_members (
    user_id BIGINT PRIMARY KEY REFERENCES platform_users(id),
    district_id BIGINT NOT NULL REFERENCES governance_units(id),
    sector TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE TABLE consult_settings (
    district_id BIGINT PRIMARY KEY REFERENCES governance_units(id),
    sign_days BIGINT NOT NULL,
    co_days BIGINT NOT NULL,
    reply_days BIGINT NOT NULL,
    max_reply_days BIGINT NOT NULL,
    second_days BIGINT NOT NULL
);
CREATE TABLE consult_proposals (
    id {id},
    district_id BIGINT NOT NULL REFERENCES governance_units(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    proposer_id BIGINT NOT NULL REFERENCES platform_users(id),
    sector TEXT NOT NULL,
    state TEXT NOT NULL,
    decline_reason TEXT NOT NULL DEFAULT '',
    merged_into BIGINT,
    lead_unit_id BIGINT,
    lead_path TEXT NOT NULL DEFAULT '',
    assigned_at BIGINT,
    sign_due BIGINT,
    co_due BIGINT,
    reply_due BIGINT,
    extended BIGINT NOT NULL DEFAULT 0,
    extension_reason TEXT NOT NULL DEFAULT '',
    reply_text TEXT NOT NULL DEFAULT '',
    reply_class TEXT NOT NULL DEFAULT '',
    replied_at BIGINT,
    round BIGINT NOT NULL DEFAULT 1,
    rating_work TEXT NOT NULL DEFAULT '',
    rating_result TEXT NOT NULL DEFAULT '',
    followup TEXT NOT NULL DEFAULT '',
    consent BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    filed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX consult_proposals_district_state ON consult_proposals (district_id, state);
CREATE INDEX consult_proposals_proposer ON consult_proposals (proposer_id);
CREATE TABLE consult_cosigners (
    proposal_id BIGINT NOT NULL REFERENCES consult_proposals(id),
    user_id BIGINT NOT NULL REFERENCES platform_users(id),
    confirmed_at BIGINT,
    PRIMARY KEY (proposal_id, user_id)
);
CREATE TABLE consult_co_units (
    proposal_id BIGINT NOT NULL REFERENCES consult_proposals(id),
    unit_id BIGINT NOT NULL REFERENCES governance_units(id),
    unit_path TEXT NOT NULL,
    opinion TEXT NOT NULL DEFAULT '',
    opinion_at BIGINT,
    PRIMARY KEY (proposal_id, unit_id)
);
CREATE TABLE consult_events (
    id {id},
    proposal_id BIGINT NOT NULL REFERENCES consult_proposals(id),
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consult_events_proposal ON consult_events (proposal_id, id);
CREATE TABLE consult_activities (
    id {id},
    district_id BIGINT NOT NULL REFERENCES governance_units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    organiser TEXT NOT NULL,
    agenda TEXT NOT NULL DEFAULT '',
    places TEXT NOT NULL DEFAULT '',
    minutes TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE consult_participants (
    activity_id BIGINT NOT NULL REFERENCES consult_activities(id),
    user_id BIGINT NOT NULL REFERENCES platform_users(id),
    signed_in_at BIGINT,
    signed_in_by BIGINT,
    PRIMARY KEY (activity_id, user_id)
);
CREATE TABLE consult_followups (
    id {id},
    activity_id BIGINT NOT NULL REFERENCES consult_activities(id),
    unit_id BIGINT NOT NULL REFERENCES governance_units(id),
    unit_path TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_note TEXT NOT NULL DEFAULT ''
);
