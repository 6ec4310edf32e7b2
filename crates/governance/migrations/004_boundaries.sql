-- Issue 16: a unit's boundary for the overview's map — a GeoJSON MultiPolygon in WGS84
-- (a Polygon is stored as a MultiPolygon of one), checked on the way in. `note` says where
-- the shape comes from when it is not a survey (the demo's schematic shapes say so).
CREATE TABLE governance_unit_boundaries (
    unit_id BIGINT PRIMARY KEY REFERENCES governance_units (id),
    geojson TEXT NOT NULL,
    points BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_by BIGINT REFERENCES platform_users (id),
    updated_at BIGINT NOT NULL
);
