-- Bronze: every fetch, and each distinct body once (zlib-compressed, keyed by its sha256).
CREATE SEQUENCE fetch_id_seq START 1;
CREATE SEQUENCE run_id_seq START 1;

CREATE TABLE raw_bodies (
    content_sha256   VARCHAR PRIMARY KEY,
    body_zlib        BLOB NOT NULL,
    bytes            BIGINT NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE fetch_log (
    fetch_id         BIGINT PRIMARY KEY DEFAULT nextval('fetch_id_seq'),
    run_id           BIGINT,
    source           VARCHAR NOT NULL,
    parser           VARCHAR NOT NULL,  -- which parser reads this body (reparse uses it)
    url              VARCHAR NOT NULL,
    fetched_at       TIMESTAMPTZ NOT NULL,
    status_code      INTEGER,
    etag             VARCHAR,
    last_modified    VARCHAR,
    content_type     VARCHAR,
    content_sha256   VARCHAR,           -- NULL when no body arrived
    bytes            BIGINT,
    elapsed_ms       DOUBLE,
    error            VARCHAR
);

-- Silver: collection runs, then SCD2 history (valid_to NULL = current).
CREATE TABLE runs (
    run_id           BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
    source           VARCHAR NOT NULL,
    parser           VARCHAR NOT NULL,
    observed_at      TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    -- ok | unchanged | partial | suspect | failed | skipped
    status           VARCHAR NOT NULL,
    records          INTEGER NOT NULL DEFAULT 0,
    intervals_opened INTEGER NOT NULL DEFAULT 0,
    intervals_closed INTEGER NOT NULL DEFAULT 0,
    content_sha256   VARCHAR,           -- digest over the run's bodies, for `unchanged`
    message          VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE price_history (
    source            VARCHAR NOT NULL,
    provider          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    route             VARCHAR NOT NULL,
    component         VARCHAR NOT NULL,
    service_tier      VARCHAR NOT NULL,
    context_threshold BIGINT NOT NULL,
    unit              VARCHAR NOT NULL,
    currency          VARCHAR NOT NULL,
    effective_from    DATE,
    price             DECIMAL(38, 18),  -- NULL only when dynamic
    dynamic           BOOLEAN NOT NULL,
    key_hash          VARCHAR NOT NULL,
    value_hash        UBIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    opened_by_run     BIGINT NOT NULL,
    closed_by_run     BIGINT
);

CREATE TABLE offer_history (
    source               VARCHAR NOT NULL,
    provider             VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    route                VARCHAR NOT NULL,
    status               VARCHAR NOT NULL,
    retiring_on          DATE,
    display_name         VARCHAR,
    context_length       BIGINT,
    max_output_tokens    BIGINT,
    max_prompt_tokens    BIGINT,
    input_modalities     VARCHAR[],
    output_modalities    VARCHAR[],
    capabilities         VARCHAR[],
    supported_parameters VARCHAR[],
    quantization         VARCHAR,
    key_hash             VARCHAR NOT NULL,
    value_hash           UBIGINT NOT NULL,
    valid_from           TIMESTAMPTZ NOT NULL,
    valid_to             TIMESTAMPTZ,
    opened_by_run        BIGINT NOT NULL,
    closed_by_run        BIGINT
);

CREATE TABLE rate_limit_history (
    source            VARCHAR NOT NULL,
    provider          VARCHAR NOT NULL,
    scope             VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    condition         VARCHAR NOT NULL,
    value             DECIMAL(38, 18),
    enforced          BOOLEAN NOT NULL,
    note              VARCHAR,
    key_hash          VARCHAR NOT NULL,
    value_hash        UBIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    opened_by_run     BIGINT NOT NULL,
    closed_by_run     BIGINT
);

-- Volatile readings: a time series per run, not SCD2 (they change every run).
CREATE TABLE offer_measurements (
    run_id       BIGINT NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    source       VARCHAR NOT NULL,
    provider     VARCHAR NOT NULL,
    model        VARCHAR NOT NULL,
    route        VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    value        DOUBLE NOT NULL     -- a reading, not money
);
