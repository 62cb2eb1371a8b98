-- `pricewatch changes`: price changes, listings and unlistings since $since, of one
-- $provider or all (NULL).
SELECT * FROM price_changes_since($since)
WHERE ($provider IS NULL OR provider = $provider)
-- every column of a price's key the view has: the same rows in the same order each time
ORDER BY changed_at, provider, model, route, component, service_tier, context_threshold,
         unit, currency, usage_tier_start, utc_days, utc_start_minute, utc_end_minute,
         source, kind
