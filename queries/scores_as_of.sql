-- The scores listed at `ts` that belong to a canonical model (score_matches), with their
-- headline flag (is_headline_metric): what price_per_quality and `cheapest --min-score`
-- read.
CREATE OR REPLACE MACRO scores_as_of(ts) AS TABLE
SELECT *, is_headline_metric(benchmark, metric) AS is_headline
FROM score_matches
WHERE canonical_model IS NOT NULL AND valid_from <= ts AND (valid_to IS NULL OR valid_to > ts);
