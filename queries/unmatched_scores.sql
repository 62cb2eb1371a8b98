-- Scores listed now that are no model's score: a run of two models, a label no rule turns
-- into a canonical model pricewatch has an offer of, or one an override keeps apart. Fix a
-- true match with an override (model_identity_overrides: provider = the publisher, model =
-- the label as published).
CREATE OR REPLACE VIEW unmatched_scores AS
SELECT provider AS publisher, benchmark, model_label, model_ref, variant, run_label, run_date,
       count(*) AS metrics, any_value(unmatched_reason) AS reason, source
FROM score_matches
WHERE canonical_model IS NULL AND valid_to IS NULL
GROUP BY ALL
ORDER BY publisher, benchmark, model_label, variant, run_label;
