-- VIP membership: plans with a duration and a download quota; memberships; the first
-- download of each VIP document by a member uses one download right.
CREATE TABLE library_vip_plans (
    id {id},
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    days BIGINT NOT NULL,
    downloads BIGINT NOT NULL,
    price BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);
INSERT INTO library_vip_plans (name_zh, name_en, days, downloads, price) VALUES ('月度会员', 'Monthly', 30, 10, 1500);
INSERT INTO library_vip_plans (name_zh, name_en, days, downloads, price) VALUES ('季度会员', 'Quarterly', 90, 40, 4000);
INSERT INTO library_vip_plans (name_zh, name_en, days, downloads, price) VALUES ('年度会员', 'Yearly', 365, 200, 12800);
CREATE TABLE library_memberships (
    user_id BIGINT PRIMARY KEY REFERENCES platform_users (id),
    ends_at BIGINT NOT NULL,
    rights_total BIGINT NOT NULL,
    rights_used BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE TABLE library_membership_orders (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    plan_id BIGINT NOT NULL REFERENCES library_vip_plans (id),
    amount BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    transaction_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE library_vip_downloads (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);
