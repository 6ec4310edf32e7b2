-- Payment providers (issue 4): orders that money enters (top-ups) or leaves (payouts to
-- contributors) by, each with an explicit state, and every callback a provider sent us —
-- accepted or not — with what we decided.
CREATE TABLE library_payment_orders (
    id {id},
    purpose TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    provider TEXT NOT NULL,
    amount BIGINT NOT NULL,
    state TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    provider_ref TEXT,
    pay_url TEXT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX library_payment_orders_user ON library_payment_orders (user_id, id);
CREATE INDEX library_payment_orders_state ON library_payment_orders (state, id);
CREATE TABLE library_payment_callbacks (
    id {id},
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    order_id BIGINT,
    reported TEXT NOT NULL,
    amount BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    state_before TEXT,
    state_after TEXT,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX library_payment_callbacks_event ON library_payment_callbacks (provider, event_id);
CREATE INDEX library_payment_callbacks_order ON library_payment_callbacks (order_id, id);
