-- Published scores per canonical model, benchmark, metric and variant, with their history:
-- every interval a score was listed (valid_from/valid_to, as price_history), the run's date
-- and source. is_latest marks, of the scores listed now, the newest run per canonical
-- model, benchmark, metric and variant (the figure to compare prices with). Scores that
-- match no model are in unmatched_scores, never here.
CREATE OR REPLACE VIEW model_scores AS
SELECT canonical_model, benchmark, metric, variant, value, run_date, model_label, run_label,
       model_ref, matched_by, provider AS publisher, source, licence, attribution,
       seconds_per_case, total_cost_usd, valid_from, valid_to,
       valid_to IS NULL AND row_number() OVER (
           PARTITION BY canonical_model, benchmark, metric, variant, valid_to IS NULL
           ORDER BY run_date DESC NULLS LAST, valid_from DESC, model_label, run_label) = 1
           AS is_latest
FROM score_matches
WHERE canonical_model IS NOT NULL;
