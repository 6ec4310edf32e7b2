-- Support tickets (issue 4, VIP benefit 6): members' tickets come first in the queue.
CREATE TABLE library_tickets (
    id {id},
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    priority BIGINT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT,
    answered_by BIGINT,
    created_at BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX library_tickets_queue ON library_tickets (state, priority, id);
CREATE INDEX library_tickets_user ON library_tickets (user_id, id);
