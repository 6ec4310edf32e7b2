-- Issue 17: several nodes over one database (ADR 041).
-- A counter per group of cached lookups, bumped in the transaction that changes them;
-- every node polls this small table and clears a cache whose counter moved.
CREATE TABLE platform_cache_epochs (
    name TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
-- Work that must run once per cluster (the clock's sweeps) is done by the node holding
-- the lease: its holder and until when (Unix ms), renewed while the holder lives.
CREATE TABLE platform_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
-- Sign-in and registration throttling, counted here so that every node sees one count:
-- events per key in a fixed window that ends at window_end (Unix ms).
CREATE TABLE platform_throttle (
    key TEXT PRIMARY KEY,
    window_end BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX platform_throttle_window_end ON platform_throttle (window_end);
