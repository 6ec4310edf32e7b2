-- Issue 16: a street's (or community's) figures. The scope filter tests prefixes of
-- place_path and lead_path; carried in the figures' covering indexes, they are read from the
-- index entries the period already selects instead of from every case's row.
DROP INDEX cases_cases_reported;
DROP INDEX cases_cases_state_due;
DROP INDEX cases_cases_dispatched;
DROP INDEX cases_cases_closed;
CREATE INDEX cases_cases_reported ON cases_cases (reported_at, district_path, place_path, lead_path);
CREATE INDEX cases_cases_state_due ON cases_cases (state, due_at, lead_unit_id, supervision, district_path, place_path, lead_path);
CREATE INDEX cases_cases_dispatched ON cases_cases (dispatched_at, lead_unit_id, state, responded_at, respond_by, satisfaction, district_path, place_path, lead_path);
CREATE INDEX cases_cases_closed ON cases_cases (closed_at, state, district_path, place_path, lead_path);
