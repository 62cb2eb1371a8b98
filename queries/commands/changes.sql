-- `pricewatch changes`: price changes, listings and unlistings since $since, of one
-- $provider or all (NULL).
SELECT * FROM price_changes_since($since)
WHERE ($provider IS NULL OR provider = $provider)
ORDER BY changed_at, provider, model, route, component
