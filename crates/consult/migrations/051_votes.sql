-- Community votes (issue 15): verified residents, votes with options, and ballots on a
-- hash chain. Who voted (consult_vote_voters) is kept apart from what was voted
-- (consult_ballots); the primary key on voters is what stops a second ballot.
CREATE TABLE consult_residents (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users(id),
    unit_id BIGINT NOT NULL REFERENCES governance_units(id),
    household TEXT NOT NULL,
    verified_by BIGINT,
    verified_at BIGINT NOT NULL,
    UNIQUE (user_id, unit_id)
);
CREATE TABLE consult_votes (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES governance_units(id),
    unit_path TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    rule TEXT NOT NULL,
    state TEXT NOT NULL,
    ballots BIGINT NOT NULL DEFAULT 0,
    chain_head TEXT NOT NULL,
    published_head TEXT NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE TABLE consult_vote_options (
    id {id},
    vote_id BIGINT NOT NULL REFERENCES consult_votes(id),
    label TEXT NOT NULL,
    sort BIGINT NOT NULL
);
CREATE TABLE consult_vote_voters (
    vote_id BIGINT NOT NULL REFERENCES consult_votes(id),
    voter_key TEXT NOT NULL,
    PRIMARY KEY (vote_id, voter_key)
);
CREATE TABLE consult_ballots (
    vote_id BIGINT NOT NULL REFERENCES consult_votes(id),
    seq BIGINT NOT NULL,
    option_id BIGINT NOT NULL,
    cast_at BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (vote_id, seq)
);
CREATE TABLE consult_rules (
    unit_id BIGINT PRIMARY KEY REFERENCES governance_units(id),
    rules TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE consult_matters (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES governance_units(id),
    unit_path TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    proposer_id BIGINT NOT NULL REFERENCES platform_users(id),
    stage TEXT NOT NULL,
    present BIGINT NOT NULL DEFAULT 0,
    in_favour BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE consult_matter_supports (
    matter_id BIGINT NOT NULL REFERENCES consult_matters(id),
    user_id BIGINT NOT NULL REFERENCES platform_users(id),
    household TEXT NOT NULL,
    PRIMARY KEY (matter_id, user_id)
);
CREATE TABLE consult_matter_notices (
    id {id},
    matter_id BIGINT NOT NULL REFERENCES consult_matters(id),
    stage TEXT NOT NULL,
    text TEXT NOT NULL,
    at BIGINT NOT NULL
);
