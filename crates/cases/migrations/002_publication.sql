-- Issue 12: what the centre publishes. A category is published (Open311 and any other public
-- list) only when the operator marks it public; a case in it only once the centre has
-- accepted it and approved a text for publication (`public_description`), never the
-- resident's own words.
ALTER TABLE cases_categories ADD COLUMN public BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases_cases ADD COLUMN public_description TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_cases_client ON cases_cases (client_id, reported_at);
-- A handling result may be a photo of the work done (with or without a sentence).
ALTER TABLE cases_cases ADD COLUMN result_photo_key TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_cases ADD COLUMN result_photo_type TEXT NOT NULL DEFAULT '';
