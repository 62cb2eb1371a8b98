-- `pricewatch cost`: each (provider, model) of the log that is no id of the provider's but
-- a canonical id naming several of its models (cost_of's `ambiguous_model`), with those
-- models: the command stops and lists them.
SELECT n.provider, n.model, list(DISTINCT i.model ORDER BY i.model) AS models
FROM (SELECT DISTINCT provider, model FROM usage_calls) n
JOIN model_identity i
  ON i.provider = n.provider AND i.canonical_model = canonical_model_rules(n.model)
WHERE NOT EXISTS (SELECT 1 FROM price_history h WHERE h.provider = n.provider
                  AND lower(h.model) = lower(n.model))
GROUP BY ALL HAVING count(DISTINCT i.model) > 1
