-- `pricewatch report --model NAME`: the canonical ids a name names (its id in any case, or
-- a canonical id).
SELECT DISTINCT canonical_model FROM model_identity
WHERE model_named(model, canonical_model, [$name])
ORDER BY canonical_model
