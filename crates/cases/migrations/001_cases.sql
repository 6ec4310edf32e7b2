-- Governance information centre (SPEC G5): cases, their categories and time limits, the
-- working-day calendar, the append-only timeline, extensions, and Open311 client keys.
-- Instants are Unix milliseconds; calendar days are `YYYY-MM-DD` text in the district's zone.
CREATE TABLE cases_categories (
    id {id},
    parent_id BIGINT REFERENCES cases_categories (id),
    -- The Open311 service_code: stable, URL-safe.
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '',
    -- Working days to handle a case once dispatched, per priority.
    days_normal BIGINT NOT NULL DEFAULT 5,
    days_urgent BIGINT NOT NULL DEFAULT 2,
    days_critical BIGINT NOT NULL DEFAULT 1,
    -- Routing: the kind of unit above the place that handles it, or a fixed unit.
    route_kind TEXT NOT NULL DEFAULT 'community',
    route_unit_id BIGINT,
    -- Open311 attributes, a JSON array of definitions.
    attributes TEXT NOT NULL DEFAULT '[]',
    active BIGINT NOT NULL DEFAULT 1,
    sort BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE cases_calendar (
    day TEXT PRIMARY KEY,
    -- 'holiday' (a weekday off) or 'workday' (a weekend day worked, 调休).
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cases_cases (
    id {id},
    token TEXT NOT NULL UNIQUE,
    category_id BIGINT NOT NULL REFERENCES cases_categories (id),
    source TEXT NOT NULL,
    priority TEXT NOT NULL,
    state TEXT NOT NULL,
    -- The place: the unit it happened in (always set; the district when unknown).
    place_unit_id BIGINT NOT NULL,
    place_path TEXT NOT NULL,
    district_path TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lat_e6 BIGINT,
    lon_e6 BIGINT,
    description TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    media_url TEXT NOT NULL DEFAULT '',
    photo_key TEXT NOT NULL DEFAULT '',
    photo_type TEXT NOT NULL DEFAULT '',
    -- Reporter: personal data, shown to the centre and the handling unit only.
    reporter_id BIGINT,
    reporter_name TEXT NOT NULL DEFAULT '',
    reporter_phone TEXT NOT NULL DEFAULT '',
    reporter_email TEXT NOT NULL DEFAULT '',
    client_id BIGINT,
    lead_unit_id BIGINT,
    lead_path TEXT NOT NULL DEFAULT '',
    merged_into BIGINT,
    result TEXT NOT NULL DEFAULT '',
    supervision TEXT NOT NULL DEFAULT 'none',
    reminded BIGINT NOT NULL DEFAULT 0,
    satisfaction TEXT NOT NULL DEFAULT '',
    reported_at BIGINT NOT NULL,
    accepted_at BIGINT,
    dispatched_at BIGINT,
    responded_at BIGINT,
    respond_by BIGINT,
    return_by BIGINT,
    due_at BIGINT,
    handled_at BIGINT,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL
);
-- The dashboard's range queries read these indexes alone (covering), so they stay fast at
-- a million cases; district_path serves the centre's scope filter without a table lookup.
CREATE INDEX cases_cases_reported ON cases_cases (reported_at, district_path);
CREATE INDEX cases_cases_state_due ON cases_cases (state, due_at, lead_unit_id, supervision, district_path);
CREATE INDEX cases_cases_lead ON cases_cases (lead_path);
CREATE INDEX cases_cases_place ON cases_cases (place_path);
CREATE INDEX cases_cases_reporter ON cases_cases (reporter_id, reported_at);
CREATE INDEX cases_cases_dispatched ON cases_cases (dispatched_at, lead_unit_id, state, responded_at, respond_by, satisfaction, district_path);
CREATE INDEX cases_cases_closed ON cases_cases (closed_at, state, district_path);
CREATE TABLE cases_co_units (
    case_id BIGINT NOT NULL REFERENCES cases_cases (id),
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    PRIMARY KEY (case_id, unit_id)
);
CREATE INDEX cases_co_units_unit ON cases_co_units (unit_id);
-- The timeline: one row per step, never updated or deleted.
CREATE TABLE cases_events (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases_cases (id),
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_label TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- Whether the reporter sees this step (internal notes stay inside).
    public BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX cases_events_case ON cases_events (case_id, id);
CREATE TABLE cases_extensions (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases_cases (id),
    days BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    requested_by BIGINT,
    requested_at BIGINT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT
);
CREATE INDEX cases_extensions_case ON cases_extensions (case_id);
CREATE TABLE cases_open311_clients (
    id {id},
    name TEXT NOT NULL,
    -- SHA-256 of the key; the key itself is shown once, when issued.
    key_hash TEXT NOT NULL UNIQUE,
    district_unit_id BIGINT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
