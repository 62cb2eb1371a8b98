-- Every (provider, model) ever seen, with its canonical id: the override if one exists,
-- else the rules of canonical_model_rules (canonical_id).
CREATE OR REPLACE VIEW model_identity AS
WITH seen AS (
    SELECT DISTINCT provider, model FROM offer_history
    UNION
    SELECT DISTINCT provider, model FROM price_history
)
SELECT s.provider, s.model,
       canonical_id(o.canonical_model, s.model) AS canonical_model,
       o.canonical_model IS NOT NULL AS overridden
FROM seen s
LEFT JOIN model_identity_overrides o USING (provider, model);
