-- Documents, their pages, categories, tags and downloads.
CREATE TABLE library_categories (
    id {id},
    slug TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES library_categories (id),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE library_documents (
    id {id},
    sha256 TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category_id BIGINT REFERENCES library_categories (id),
    format TEXT NOT NULL,
    original_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    auto_publish BIGINT NOT NULL DEFAULT 0,
    pages BIGINT NOT NULL DEFAULT 0,
    preview_pages BIGINT,
    preview_kind TEXT NOT NULL DEFAULT 'faithful',
    preview_note TEXT,
    thumb_key TEXT,
    thumb_mime TEXT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    uploader_id BIGINT NOT NULL REFERENCES platform_users (id),
    reviewer_id BIGINT REFERENCES platform_users (id),
    reject_reason TEXT,
    views BIGINT NOT NULL DEFAULT 0,
    downloads BIGINT NOT NULL DEFAULT 0,
    convert_ms BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX library_documents_status ON library_documents (status, published_at);
CREATE INDEX library_documents_uploader ON library_documents (uploader_id, created_at);
CREATE INDEX library_documents_category ON library_documents (category_id, status);
CREATE TABLE library_document_tags (
    document_id BIGINT NOT NULL REFERENCES library_documents (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (document_id, tag)
);
CREATE INDEX library_document_tags_tag ON library_document_tags (tag);
CREATE TABLE library_pages (
    document_id BIGINT NOT NULL REFERENCES library_documents (id) ON DELETE CASCADE,
    n BIGINT NOT NULL,
    text TEXT NOT NULL,
    image_key TEXT NOT NULL,
    mime TEXT NOT NULL,
    PRIMARY KEY (document_id, n)
);
CREATE TABLE library_downloads (
    id {id},
    document_id BIGINT NOT NULL REFERENCES library_documents (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    at BIGINT NOT NULL
);
CREATE INDEX library_downloads_at ON library_downloads (at);
