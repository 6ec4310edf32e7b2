-- Government-purchased service projects (issue 14), the money part: calls with a budget,
-- contracts awarded under them, milestones, and instalments paid on met milestones,
-- recorded twice (double entry) against the call's budget. Amounts in fen (分).
CREATE TABLE needs_calls (
    id {id},
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    unit_id BIGINT NOT NULL REFERENCES governance_units (id),
    unit_path TEXT NOT NULL,
    budget_fen BIGINT NOT NULL,
    committed_fen BIGINT NOT NULL DEFAULT 0,
    paid_fen BIGINT NOT NULL DEFAULT 0,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    min_grade BIGINT NOT NULL DEFAULT 0,
    min_years BIGINT NOT NULL DEFAULT 0,
    report_required BIGINT NOT NULL DEFAULT 0,
    criteria TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL,
    created_by BIGINT REFERENCES platform_users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE needs_contracts (
    id {id},
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id),
    title TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    award_reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES platform_users (id)
);
CREATE INDEX needs_contracts_call ON needs_contracts (call_id);
CREATE TABLE needs_milestones (
    id {id},
    contract_id BIGINT NOT NULL REFERENCES needs_contracts (id),
    title TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    reported_at BIGINT NOT NULL DEFAULT 0,
    paid BIGINT NOT NULL DEFAULT 0,
    sort BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX needs_milestones_contract ON needs_milestones (contract_id, sort);
CREATE TABLE needs_payments (
    id {id},
    milestone_id BIGINT NOT NULL UNIQUE REFERENCES needs_milestones (id),
    contract_id BIGINT NOT NULL REFERENCES needs_contracts (id),
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    amount_fen BIGINT NOT NULL,
    paid_by BIGINT REFERENCES platform_users (id),
    paid_at BIGINT NOT NULL
);
CREATE TABLE needs_ledger (
    id {id},
    payment_id BIGINT NOT NULL REFERENCES needs_payments (id),
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    account TEXT NOT NULL,
    debit_fen BIGINT NOT NULL DEFAULT 0,
    credit_fen BIGINT NOT NULL DEFAULT 0,
    at BIGINT NOT NULL
);
CREATE INDEX needs_ledger_call ON needs_ledger (call_id, account);
CREATE TABLE needs_applications (
    id {id},
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id),
    plan TEXT NOT NULL,
    budget_fen BIGINT NOT NULL,
    submitted_by BIGINT REFERENCES platform_users (id),
    submitted_at BIGINT NOT NULL,
    UNIQUE (call_id, org_id)
);
CREATE TABLE needs_reviewers (
    call_id BIGINT NOT NULL REFERENCES needs_calls (id),
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    PRIMARY KEY (call_id, user_id)
);
CREATE TABLE needs_reviews (
    id {id},
    application_id BIGINT NOT NULL REFERENCES needs_applications (id),
    reviewer_id BIGINT NOT NULL REFERENCES platform_users (id),
    scores TEXT NOT NULL,
    total_milli BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (application_id, reviewer_id)
);
CREATE TABLE needs_conflicts (
    id {id},
    application_id BIGINT NOT NULL REFERENCES needs_applications (id),
    reviewer_id BIGINT NOT NULL REFERENCES platform_users (id),
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
