-- Issue 12: one bell for every module. In-app notifications move here from the library
-- (library_notifications; the library's own migration copies its rows over and drops it).
CREATE TABLE platform_notifications (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    kind TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX platform_notifications_user ON platform_notifications (user_id, id);
