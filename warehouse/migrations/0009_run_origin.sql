-- Where a run's bodies came from, when not from a fetch now: `backfill:git:<repo>@<commit>`
-- or `backfill:dir:<folder>/<file>` for a run that `pricewatch backfill` made from a
-- snapshot history, so that status, alerts and the report can tell such runs apart. NULL
-- for collected and ingested runs.
ALTER TABLE runs ADD COLUMN origin VARCHAR;
