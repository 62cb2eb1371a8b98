-- A DuckLake warehouse starts here: the file schema at version 9 (migrations/0001-0009), the
-- same tables and columns in the same order, without what DuckLake does not have: no PRIMARY
-- KEY (uniqueness comes from ingest's own set logic and from serialized writers), no
-- sequences (`id_counters` instead, see db.take_ids). tests/test_lake.py checks that both
-- give the same columns. A later migration in migrations/ applies to both, unless this
-- folder has its own file of the same version.

-- The next id of each counter; updated by every writer that takes one, so that two
-- concurrent writers conflict at commit and one of them retries (warehouse/lake.py).
CREATE TABLE id_counters (
    name     VARCHAR NOT NULL,
    next_id  BIGINT NOT NULL
);
INSERT INTO id_counters VALUES ('run', 1), ('fetch', 1);

-- Bronze
CREATE TABLE raw_bodies_inline (  -- bodies of files made before 0006; empty in a lake
    content_sha256   VARCHAR NOT NULL,
    body_zlib        BLOB NOT NULL,
    bytes            BIGINT NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE raw_bodies (
    content_sha256   VARCHAR NOT NULL,
    bytes            BIGINT NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE fetch_log (
    fetch_id         BIGINT NOT NULL,
    run_id           BIGINT,
    source           VARCHAR NOT NULL,
    parser           VARCHAR NOT NULL,
    url              VARCHAR NOT NULL,
    fetched_at       TIMESTAMPTZ NOT NULL,
    status_code      INTEGER,
    etag             VARCHAR,
    last_modified    VARCHAR,
    content_type     VARCHAR,
    content_sha256   VARCHAR,
    bytes            BIGINT,
    elapsed_ms       DOUBLE,
    error            VARCHAR
);

-- Silver
CREATE TABLE runs (
    run_id           BIGINT NOT NULL,
    source           VARCHAR NOT NULL,
    parser           VARCHAR NOT NULL,
    observed_at      TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    status           VARCHAR NOT NULL,
    records          INTEGER NOT NULL DEFAULT 0,
    intervals_opened INTEGER NOT NULL DEFAULT 0,
    intervals_closed INTEGER NOT NULL DEFAULT 0,
    content_sha256   VARCHAR,
    message          VARCHAR NOT NULL DEFAULT '',
    origin           VARCHAR
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
    price             DECIMAL(38, 18),
    dynamic           BOOLEAN NOT NULL,
    key_hash          VARCHAR NOT NULL,
    value_hash        UBIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    opened_by_run     BIGINT NOT NULL,
    closed_by_run     BIGINT,
    usage_tier_start  BIGINT DEFAULT 0
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

CREATE TABLE offer_measurements (
    run_id       BIGINT NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    source       VARCHAR NOT NULL,
    provider     VARCHAR NOT NULL,
    model        VARCHAR NOT NULL,
    route        VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    value        DOUBLE NOT NULL
);

CREATE TABLE provider_directory_history (
    source               VARCHAR NOT NULL,
    provider             VARCHAR NOT NULL,
    slug                 VARCHAR NOT NULL,
    name                 VARCHAR,
    headquarters         VARCHAR,
    datacenters          VARCHAR[],
    status_page_url      VARCHAR,
    privacy_policy_url   VARCHAR,
    terms_of_service_url VARCHAR,
    key_hash             VARCHAR NOT NULL,
    value_hash           UBIGINT NOT NULL,
    valid_from           TIMESTAMPTZ NOT NULL,
    valid_to             TIMESTAMPTZ,
    opened_by_run        BIGINT NOT NULL,
    closed_by_run        BIGINT
);

CREATE TABLE view_settings (
    name   VARCHAR NOT NULL,
    value  VARCHAR NOT NULL
);

CREATE TABLE model_identity_overrides (
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    canonical_model  VARCHAR NOT NULL
);

CREATE TABLE views_installed (
    checksum      VARCHAR NOT NULL,
    installed_at  TIMESTAMPTZ NOT NULL
);

-- Alerts
CREATE TABLE alert_channels (
    channel           VARCHAR NOT NULL,
    added_at          TIMESTAMPTZ NOT NULL,
    seen_through_run  BIGINT
);

CREATE TABLE alert_outbox (
    alert_id         VARCHAR NOT NULL,
    channel          VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    provider         VARCHAR,
    message          VARCHAR NOT NULL,
    payload          VARCHAR NOT NULL,
    detected_at      TIMESTAMPTZ NOT NULL,
    enqueued_at      TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    last_error       VARCHAR,
    claimed_by       VARCHAR,
    lease_until      TIMESTAMPTZ
);
