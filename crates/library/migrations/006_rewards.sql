-- Contributor rewards: each paid purchase and each first VIP download credits the uploader
-- a subsidy from operator-editable rules, scaled by the document's quality.
ALTER TABLE library_documents ADD COLUMN quality BIGINT NOT NULL DEFAULT 3;
ALTER TABLE library_documents ADD COLUMN original BIGINT NOT NULL DEFAULT 0;
CREATE TABLE library_reward_rules (
    price_kind TEXT NOT NULL,
    original BIGINT NOT NULL,
    share_permille BIGINT NOT NULL,
    vip_fen BIGINT NOT NULL,
    PRIMARY KEY (price_kind, original)
);
INSERT INTO library_reward_rules (price_kind, original, share_permille, vip_fen) VALUES ('paid', 1, 600, 0);
INSERT INTO library_reward_rules (price_kind, original, share_permille, vip_fen) VALUES ('paid', 0, 400, 0);
INSERT INTO library_reward_rules (price_kind, original, share_permille, vip_fen) VALUES ('vip', 1, 0, 50);
INSERT INTO library_reward_rules (price_kind, original, share_permille, vip_fen) VALUES ('vip', 0, 0, 30);
CREATE TABLE library_rewards (
    id {id},
    document_id BIGINT NOT NULL,
    document_title TEXT NOT NULL,
    uploader_id BIGINT NOT NULL REFERENCES platform_users (id),
    cause TEXT NOT NULL,
    amount BIGINT NOT NULL,
    transaction_id BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX library_rewards_uploader ON library_rewards (uploader_id, at);
