-- Every (provider, model) ever seen, with its canonical id: the override if one exists,
-- else the rules of canonical_model_rules (canonical_id).
CREATE OR REPLACE VIEW model_identity AS
WITH seen AS (  -- a key's rows all have its provider and model (key_hash is the key's
                -- digest): one row per key first (at 10M price rows 25 ms, the pairs of
                -- every row 46)
    SELECT DISTINCT provider, model FROM (
        SELECT any_value(provider) AS provider, any_value(model) AS model
        FROM offer_history GROUP BY key_hash
        UNION ALL
        SELECT any_value(provider), any_value(model) FROM price_history GROUP BY key_hash)
)
SELECT s.provider, s.model,
       canonical_id(o.canonical_model, s.model) AS canonical_model,
       o.canonical_model IS NOT NULL AS overridden
FROM seen s
LEFT JOIN model_identity_overrides o USING (provider, model);
