-- `pricewatch cost`: each (provider, model) of the log that is no id of the provider's but
-- a canonical id naming several of its models (cost_of's `ambiguous_model`), with those
-- models, the first log line that has it and on how many lines: the command stops there.
SELECT n.provider, n.model, list(DISTINCT i.model ORDER BY i.model) AS models,
       any_value(n.first_line) AS first_line, any_value(n.lines) AS lines
FROM (SELECT provider, model, min(log_line) AS first_line, count(*) AS lines
      FROM usage_calls GROUP BY ALL) n
JOIN model_identity i
  ON i.provider = n.provider AND i.canonical_model = canonical_model_rules(n.model)
WHERE NOT EXISTS (SELECT 1 FROM price_history h WHERE h.provider = n.provider
                  AND lower(h.model) = lower(n.model))
GROUP BY ALL HAVING count(DISTINCT i.model) > 1
ORDER BY first_line
