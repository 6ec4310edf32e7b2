-- Oversight of social organisations (SPEC G2): annual reports with review, the deadline per
-- report year, grade assessments on a 1,000-point sheet with operator-set cut-offs, and the
-- accounts that act for an organisation (its own staff). Calendar dates are YYYY-MM-DD text.
CREATE TABLE governance_report_deadlines (
    year BIGINT PRIMARY KEY,
    due_on TEXT NOT NULL,
    set_by BIGINT REFERENCES platform_users (id),
    set_at BIGINT NOT NULL
);
-- One report per organisation and year. status: submitted → accepted | returned → submitted …
CREATE TABLE governance_annual_reports (
    id {id},
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id),
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    activities TEXT NOT NULL DEFAULT '',
    events BIGINT NOT NULL DEFAULT 0,
    beneficiaries BIGINT NOT NULL DEFAULT 0,
    income_yuan BIGINT NOT NULL DEFAULT 0,
    expenditure_yuan BIGINT NOT NULL DEFAULT 0,
    staff_count BIGINT NOT NULL DEFAULT 0,
    volunteers BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    returns BIGINT NOT NULL DEFAULT 0,
    submitted_by BIGINT REFERENCES platform_users (id),
    submitted_at BIGINT NOT NULL,
    reviewed_by BIGINT REFERENCES platform_users (id),
    reviewed_at BIGINT NOT NULL DEFAULT 0,
    review_note TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, year)
);
CREATE INDEX governance_annual_reports_status ON governance_annual_reports (status, year);
-- Minimum total score for each grade (5 = 5A … 1 = 1A); below 1A's minimum: not graded.
CREATE TABLE governance_grade_cutoffs (
    grade BIGINT PRIMARY KEY,
    min_score BIGINT NOT NULL,
    updated_by BIGINT REFERENCES platform_users (id),
    updated_at BIGINT NOT NULL
);
INSERT INTO governance_grade_cutoffs (grade, min_score, updated_at) VALUES (5, 900, 0);
INSERT INTO governance_grade_cutoffs (grade, min_score, updated_at) VALUES (4, 800, 0);
INSERT INTO governance_grade_cutoffs (grade, min_score, updated_at) VALUES (3, 700, 0);
INSERT INTO governance_grade_cutoffs (grade, min_score, updated_at) VALUES (2, 600, 0);
INSERT INTO governance_grade_cutoffs (grade, min_score, updated_at) VALUES (1, 500, 0);
-- One row per assessment; an organisation's grade is its latest row, valid until valid_until.
CREATE TABLE governance_assessments (
    id {id},
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id),
    assessed_on TEXT NOT NULL,
    score_basic BIGINT NOT NULL,
    score_governance BIGINT NOT NULL,
    score_performance BIGINT NOT NULL,
    score_reputation BIGINT NOT NULL,
    total BIGINT NOT NULL,
    grade BIGINT NOT NULL,
    valid_until TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    assessed_by BIGINT REFERENCES platform_users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX governance_assessments_org ON governance_assessments (org_id, assessed_on);
-- Accounts that act for an organisation: they edit its profile and submit its reports.
CREATE TABLE governance_org_staff (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id),
    granted_by BIGINT REFERENCES platform_users (id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX governance_org_staff_org ON governance_org_staff (org_id);
