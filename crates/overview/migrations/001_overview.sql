-- The weekly reports (周报) made every Monday for the district and each street: one row per
-- unit and week, the PDF itself in the platform's storage under storage_key.
CREATE TABLE overview_reports (
    id {id},
    unit_id BIGINT NOT NULL,
    unit_path TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    -- The Monday (YYYY-MM-DD, district's zone) of the week the report was made for.
    week_of TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (unit_id, week_of)
);
