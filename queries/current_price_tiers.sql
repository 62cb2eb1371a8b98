-- Every tier of the prices that have tiered rates (Vertex's billing catalog): the rate
-- from `usage_tier_start` units of usage in the billing period on. current_prices shows
-- the base rate of each; this view shows them all.
CREATE OR REPLACE VIEW current_price_tiers AS
WITH open_now AS (
    SELECT *, count(*) OVER (PARTITION BY source, provider, model, route, component,
                                          service_tier, context_threshold, unit, currency,
                                          effective_from) AS tiers
    FROM price_history
    WHERE valid_to IS NULL
)
SELECT provider, model, route, component, service_tier, context_threshold, unit,
       usage_tier_start, price, currency, effective_from, valid_from, source
FROM open_now
WHERE tiers > 1;
