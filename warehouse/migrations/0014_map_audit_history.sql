-- Scheduled audits of community price maps (kind `map_audit`, source `audit.<map>`): each
-- compared component of each map entry against the provider's own price, SCD2 like prices,
-- so a disagreement has a first and a last day (map_disagreements, the map_drift alert).
CREATE TABLE map_audit_history (
    source            VARCHAR NOT NULL,
    provider          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    map_key           VARCHAR NOT NULL,
    component         VARCHAR NOT NULL,
    service_tier      VARCHAR NOT NULL,
    context_threshold BIGINT NOT NULL,
    unit              VARCHAR NOT NULL,
    map_class         VARCHAR NOT NULL,
    map_price         DECIMAL(38, 18),
    provider_price    DECIMAL(38, 18),
    map_field         VARCHAR,
    key_hash          VARCHAR NOT NULL,
    value_hash        UBIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    opened_by_run     BIGINT NOT NULL,
    closed_by_run     BIGINT
);
