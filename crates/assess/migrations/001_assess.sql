-- Assessment (考核, SPEC G7): an indicator library, annual plans per unit kind, each unit's
-- self-assessment, review and approval, figures frozen with their sources at the lock, and
-- appeals during the public notice. Instants are Unix milliseconds; values are DOUBLE PRECISION (REAL in SQLite).
CREATE TABLE assess_indicators (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- 'higher' or 'lower' (is better).
    direction TEXT NOT NULL,
    -- 'formula' (computed from live data by the built-in formula named by code) or 'entered'.
    kind TEXT NOT NULL,
    -- What a value is measured in (%, hours, per 10,000 residents, …).
    measure TEXT NOT NULL DEFAULT ''
);
INSERT INTO assess_indicators (code, name_zh, name_en, direction, kind, measure) VALUES
 ('case_on_time', '案件按时签收率', 'Cases signed for on time', 'higher', 'formula', '%'),
 ('needs_met', '需求满足率', 'Needs met', 'higher', 'formula', '%'),
 ('proposals_on_time', '提案按时答复率', 'Proposals answered on time', 'higher', 'formula', '%'),
 ('orgs_per_10k', '每万人社会组织数', 'Organisations per 10,000 residents', 'higher', 'formula', '/10k'),
 ('announcements', '发布公告数', 'Announcements published', 'higher', 'formula', ''),
 ('study_hours', '学习时长', 'Study hours', 'higher', 'entered', 'h'),
 ('complaints', '有效投诉数', 'Upheld complaints', 'lower', 'entered', '');

CREATE TABLE assess_plans (
    id {id},
    year BIGINT NOT NULL,
    -- The kind of unit assessed: 'community' or 'street'.
    unit_kind TEXT NOT NULL,
    -- The district that sets the plan; its units of that kind are assessed.
    district_id BIGINT NOT NULL,
    district_path TEXT NOT NULL,
    -- 'open' (self-assessment) → 'locked' → 'notice' (公示, appeals) → 'final'.
    state TEXT NOT NULL,
    -- Self-assessment ends here; the plan may be locked from then on.
    deadline_ms BIGINT NOT NULL,
    -- End of the appeal window (set when the notice is published).
    appeal_until_ms BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (district_id, year, unit_kind)
);

CREATE TABLE assess_plan_items (
    id {id},
    plan_id BIGINT NOT NULL,
    indicator_id BIGINT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    UNIQUE (plan_id, indicator_id)
);

-- One row per assessed unit of a plan: where its sheet stands and its deductions.
CREATE TABLE assess_sheets (
    id {id},
    plan_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    -- 'open' → 'submitted' (by the unit) → 'reviewed' (level above) → 'approved' (district).
    state TEXT NOT NULL,
    deduction DOUBLE PRECISION NOT NULL DEFAULT 0,
    deduction_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (plan_id, unit_id)
);

-- A value per sheet and indicator: entered ones as the unit typed them (with evidence);
-- at the lock every formula's value is written here too, with the sources it counted.
CREATE TABLE assess_values (
    id {id},
    sheet_id BIGINT NOT NULL,
    indicator_id BIGINT NOT NULL,
    value DOUBLE PRECISION,
    evidence TEXT NOT NULL DEFAULT '',
    -- JSON array of URLs of the counted records (formula indicators, frozen).
    sources TEXT NOT NULL DEFAULT '[]',
    frozen BIGINT NOT NULL DEFAULT 0,
    updated_ms BIGINT NOT NULL,
    UNIQUE (sheet_id, indicator_id)
);

CREATE TABLE assess_appeals (
    id {id},
    sheet_id BIGINT NOT NULL,
    indicator_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    -- 'open', 'upheld' or 'rejected'.
    state TEXT NOT NULL,
    filed_by BIGINT NOT NULL,
    filed_ms BIGINT NOT NULL,
    decided_by BIGINT,
    decided_ms BIGINT,
    decision TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assess_appeals_sheet ON assess_appeals (sheet_id);
