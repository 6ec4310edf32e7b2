-- Paid documents: a price in 分, orders paid from the wallet, and purchases that entitle
-- the buyer to the whole document and free re-downloads for good.
ALTER TABLE library_documents ADD COLUMN price_kind TEXT NOT NULL DEFAULT 'free';
ALTER TABLE library_documents ADD COLUMN price BIGINT NOT NULL DEFAULT 0;
CREATE TABLE library_orders (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    document_title TEXT NOT NULL,
    amount BIGINT NOT NULL,
    state TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    transaction_id BIGINT,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX library_orders_user ON library_orders (user_id, id);
CREATE TABLE library_purchases (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    document_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES library_orders (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);
