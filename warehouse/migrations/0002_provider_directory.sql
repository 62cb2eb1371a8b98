-- The directory of upstream providers behind an aggregator (OpenRouter's /providers):
-- who serves a route, where they are, and where their status page is. SCD2 like the rest.
CREATE TABLE provider_directory_history (
    source               VARCHAR NOT NULL,
    provider             VARCHAR NOT NULL,  -- the aggregator, e.g. openrouter
    slug                 VARCHAR NOT NULL,  -- the upstream provider, e.g. deepinfra
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
