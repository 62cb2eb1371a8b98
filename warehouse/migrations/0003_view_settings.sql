-- Settings the views read (blend mix, thresholds), written from the configuration when the
-- views are installed, so the DuckDB CLI and dashboards see the same figures as the CLI.
CREATE TABLE view_settings (
    name   VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- What the identity rules cannot decide: provider + model id -> canonical model id.
CREATE TABLE model_identity_overrides (
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    canonical_model  VARCHAR NOT NULL,
    PRIMARY KEY (provider, model)
);

-- Which version of queries/*.sql the views in this file were created from.
CREATE TABLE views_installed (
    checksum      VARCHAR NOT NULL,
    installed_at  TIMESTAMPTZ NOT NULL
);
