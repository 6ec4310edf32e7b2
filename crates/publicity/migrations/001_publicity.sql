-- Publicity (宣传, SPEC G7): announcements and news by unit, drafted by the unit's staff and
-- published by its administrators; published ones are public and syndicated (RSS, Atom).
-- Instants are Unix milliseconds.
CREATE TABLE publicity_posts (
    id {id},
    unit_id BIGINT NOT NULL,
    -- The unit's path when written: feeds and staff lists select by subtree.
    unit_path TEXT NOT NULL,
    -- 'notice' (通知公告) or 'news' (工作动态).
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    picture_key TEXT NOT NULL DEFAULT '',
    picture_type TEXT NOT NULL DEFAULT '',
    -- 'draft', 'published' or 'withdrawn'.
    state TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    publisher_id BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    published_ms BIGINT
);
CREATE INDEX publicity_posts_public ON publicity_posts (state, published_ms);
CREATE INDEX publicity_posts_unit ON publicity_posts (unit_path);
