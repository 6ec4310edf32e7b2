-- Study records (学习, SPEC G7): a unit's study sessions (中心组学习) with their materials
-- (library documents) and attendance, and reading the unit assigns to its staff from the
-- library. Hours feed the indicator `study_hours_recorded`. Instants are Unix milliseconds;
-- days are YYYY-MM-DD in the district's zone.
CREATE TABLE assess_study_sessions (
    id {id},
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    held_on TEXT NOT NULL,
    -- The first millisecond of held_on, for a year's sessions.
    held_ms BIGINT NOT NULL,
    title TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    host TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX assess_study_sessions_unit ON assess_study_sessions (unit_id, held_ms);

-- The library documents studied at a session (title as it was when recorded).
CREATE TABLE assess_study_materials (
    session_id BIGINT NOT NULL,
    document_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (session_id, document_id)
);

-- Who attended: signed in by the organiser or by themselves (signed_by = user_id).
CREATE TABLE assess_study_attendance (
    session_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    display_name TEXT NOT NULL,
    signed_by BIGINT NOT NULL,
    signed_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX assess_study_attendance_user ON assess_study_attendance (user_id);

-- Reading a unit assigns to one of its staff: a library document, due on a day, worth
-- `hours` once the reader's library progress reaches its last page.
CREATE TABLE assess_study_assignments (
    id {id},
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    document_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    display_name TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    due_on TEXT NOT NULL,
    due_ms BIGINT NOT NULL,
    assigned_by BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (unit_id, document_id, user_id)
);
CREATE INDEX assess_study_assignments_user ON assess_study_assignments (user_id);

INSERT INTO assess_indicators (code, name_zh, name_en, direction, kind, measure) VALUES
 ('study_hours_recorded', '人均学习时长（学习记录）', 'Study hours per staff member (study records)', 'higher', 'formula', 'h');
