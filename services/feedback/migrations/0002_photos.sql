-- Photos of a feedback item (up to 5, JPEG/PNG/HEIC by their bytes, at most
-- 10 MiB each), stored with the item: the bytes in `content` (TOAST keeps
-- them out of the row; listing an item's photos reads the other columns only).
CREATE TABLE photos (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES items (id),
    filename     text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/heic')),
    size_bytes   integer NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 10485760),
    sha256       bytea NOT NULL,
    content      bytea NOT NULL,
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL
);
CREATE INDEX photos_item ON photos (item_id, added_at, id);
-- The column is already compressed image data: store it as it is.
ALTER TABLE photos ALTER COLUMN content SET STORAGE EXTERNAL;
