-- Issue 12: notifications now live in the platform (platform_notifications, one bell for
-- the library, the cases centre and oversight). Copy the library's rows over, oldest
-- first, and drop the old table.
INSERT INTO platform_notifications (user_id, kind, text_zh, text_en, link, created_at, read_at)
SELECT user_id, kind, text_zh, text_en, link, created_at, read_at FROM library_notifications ORDER BY id;
DROP TABLE library_notifications;
