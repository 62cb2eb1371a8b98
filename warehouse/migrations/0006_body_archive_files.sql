-- Bodies move out of the database into gzip files beside it (warehouse/bodies.py): DuckDB
-- rewrote the whole last row group, every body stored so far, at each run's checkpoint.
-- `raw_bodies` keeps one small row per body; the bodies already stored stay readable in
-- `raw_bodies_inline`, which nothing appends to any more.
ALTER TABLE raw_bodies RENAME TO raw_bodies_inline;

CREATE TABLE raw_bodies (
    content_sha256   VARCHAR PRIMARY KEY,
    bytes            BIGINT NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL
);

INSERT INTO raw_bodies
SELECT content_sha256, bytes, first_seen_at FROM raw_bodies_inline;
