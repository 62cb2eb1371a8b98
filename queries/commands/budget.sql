-- `pricewatch budget`: current token prices of the named models' offers (all when none):
-- those in force now; price_windows lists an offer's time-of-day or weekday prices.
SELECT p.provider, p.model, p.canonical_model, p.route, o.status,
       max(p.price) FILTER (p.component = 'input') AS input_price,
       max(p.price) FILTER (p.component = 'output') AS output_price,
       max(p.price) FILTER (p.component = 'cache_read') AS cache_read_price,
       max(p.valid_from) AS price_since, any_value(w.price_windows) AS price_windows
FROM current_prices p
JOIN current_offers o USING (provider, model, route)
LEFT JOIN offer_price_windows w USING (provider, model, route)
WHERE p.unit = 'per_1m_tokens' AND p.context_threshold = 0 AND p.service_tier = 'standard'
  AND NOT p.dynamic AND p.component IN ('input', 'output', 'cache_read')
  AND (len($models) = 0 OR model_named(p.model, p.canonical_model, $models))
GROUP BY ALL
