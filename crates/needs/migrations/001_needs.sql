-- Needs raised by residents, grid workers, communities, units and organisations, and the
-- referrals that carry them to services (issue 14). Times are ms since the epoch.
CREATE TABLE needs_needs (
    id {id},
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    inferred_category TEXT NOT NULL DEFAULT '',
    unit_id BIGINT NOT NULL REFERENCES governance_units (id),
    unit_path TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    point_id BIGINT REFERENCES governance_service_points (id),
    people BIGINT NOT NULL DEFAULT 1,
    subject TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL,
    wanted_at BIGINT,
    raiser_kind TEXT NOT NULL,
    raised_by BIGINT NOT NULL REFERENCES platform_users (id),
    consent BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX needs_needs_path ON needs_needs (unit_path);
CREATE INDEX needs_needs_state ON needs_needs (state, created_at);
CREATE INDEX needs_needs_raiser ON needs_needs (raised_by);
CREATE TABLE needs_referrals (
    id {id},
    need_id BIGINT NOT NULL REFERENCES needs_needs (id),
    service_id BIGINT NOT NULL REFERENCES governance_services (id),
    org_id BIGINT REFERENCES governance_orgs (id),
    service_unit_id BIGINT REFERENCES governance_units (id),
    referrer_id BIGINT NOT NULL REFERENCES platform_users (id),
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    waitlist BIGINT NOT NULL DEFAULT 0,
    expected_wait_days BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',
    feedback_rating BIGINT,
    feedback_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    reminded_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX needs_referrals_need ON needs_referrals (need_id);
CREATE INDEX needs_referrals_service ON needs_referrals (service_id, state);
CREATE INDEX needs_referrals_org ON needs_referrals (org_id, state);
CREATE INDEX needs_referrals_state ON needs_referrals (state, changed_at);
CREATE TABLE needs_referral_events (
    id {id},
    referral_id BIGINT NOT NULL REFERENCES needs_referrals (id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES platform_users (id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX needs_referral_events_referral ON needs_referral_events (referral_id, at);
CREATE TABLE needs_settings (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL,
    set_by BIGINT REFERENCES platform_users (id),
    set_at BIGINT NOT NULL
);
INSERT INTO needs_settings (key, value, set_at) VALUES ('stall_hours', 72, 0);
