-- Money (issue 4): a double-entry ledger in integer minor units (分). Every transaction's
-- postings sum to zero; account balances are the running sum of their postings.
CREATE TABLE library_accounts (
    id {id},
    kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL DEFAULT 0,
    balance BIGINT NOT NULL DEFAULT 0,
    may_go_negative BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX library_accounts_kind_owner ON library_accounts (kind, owner_id);
CREATE TABLE library_transactions (
    id {id},
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    actor_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE library_postings (
    id {id},
    transaction_id BIGINT NOT NULL REFERENCES library_transactions (id),
    account_id BIGINT NOT NULL REFERENCES library_accounts (id),
    amount BIGINT NOT NULL
);
CREATE INDEX library_postings_account ON library_postings (account_id, id);
CREATE INDEX library_postings_transaction ON library_postings (transaction_id);
CREATE TABLE library_vouchers (
    id {id},
    code_hash TEXT NOT NULL UNIQUE,
    amount BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    redeemed_by BIGINT,
    redeemed_at BIGINT
);
