-- Quality: published benchmark scores (kind `score`), SCD2 like prices. One series per
-- publisher's run (model as published, run id, variant) and metric; which canonical model a
-- label is, is decided by the views (model_scores), so the rules can be mended later.
CREATE TABLE score_history (
    source            VARCHAR NOT NULL,
    provider          VARCHAR NOT NULL,   -- who published the score (aider)
    benchmark         VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    model_label       VARCHAR NOT NULL,
    run_label         VARCHAR NOT NULL,
    variant           VARCHAR NOT NULL,
    value             DECIMAL(38, 18) NOT NULL,
    model_ref         VARCHAR,
    combined          BOOLEAN NOT NULL,
    run_date          DATE,
    seconds_per_case  DECIMAL(38, 18),
    total_cost_usd    DECIMAL(38, 18),
    licence           VARCHAR NOT NULL,
    attribution       VARCHAR NOT NULL,
    key_hash          VARCHAR NOT NULL,
    value_hash        UBIGINT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    opened_by_run     BIGINT NOT NULL,
    closed_by_run     BIGINT
);
