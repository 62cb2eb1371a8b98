-- What a benchmark point costs at `ts`: every paid or free token offer that cheapest_as_of
-- ranks for text (same eligibility and blended price per 1M tokens at the mix, no cache
-- share), beside its canonical model's best score listed at `ts` per benchmark and headline
-- metric (is_headline_metric; the best variant: a model's capability is its best published
-- run), and the blended price divided by that score (USD per 1M tokens per point, to 12
-- places; none for a score of 0). A model without a matched score has no row
-- (unmatched_scores says which published names matched none).
CREATE OR REPLACE MACRO price_per_quality_as_of(ts, mix_input, mix_output) AS TABLE
WITH offers AS (
    SELECT provider, model, canonical_model, route, input_price, output_price,
           blended_price, is_free, price_source
    FROM cheapest_as_of(ts, mix_input, mix_output, 0)
    WHERE capability = 'text' AND price_unit = 'per_1m_tokens'
),
listed AS (
    SELECT canonical_model, benchmark, metric, variant, value, run_date, model_label,
           provider AS publisher, source AS score_source, licence, attribution,
           row_number() OVER (PARTITION BY canonical_model, benchmark, metric
                              ORDER BY value DESC, run_date DESC NULLS LAST, variant,
                                       model_label) AS pick
    FROM scores_as_of(ts)
    WHERE is_headline
)
SELECT o.provider, o.model, o.canonical_model, o.route, s.benchmark, s.metric,
       s.value AS score, s.variant, s.run_date, s.model_label, o.input_price, o.output_price,
       o.blended_price,
       CASE WHEN s.value > 0 THEN CAST(round(CAST(o.blended_price AS DOUBLE)
                                             / CAST(s.value AS DOUBLE), 12)
                                       AS DECIMAL(38, 12)) END AS price_per_point,
       o.is_free, o.price_source, s.publisher, s.score_source, s.licence, s.attribution
FROM offers o
JOIN listed s ON s.canonical_model = o.canonical_model AND s.pick = 1;
