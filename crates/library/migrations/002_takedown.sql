-- Moderators take published documents down (with a reason the uploader sees) and restore them.
ALTER TABLE library_documents ADD COLUMN takedown_reason TEXT;
