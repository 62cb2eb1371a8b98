-- What each run's bodies held that its parser did not read (format drift): a key, a table
-- column or row, a page section, with how many items carried it and one example. Written
-- with the run, in its transaction; the unread_fields view and the format_drift alert read
-- it, so a provider's format change is a message instead of a silent hole.
CREATE TABLE run_unread (
    run_id       BIGINT NOT NULL,
    source       VARCHAR NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    path         VARCHAR NOT NULL,
    items        BIGINT NOT NULL,
    example      VARCHAR
);
