-- Where Vertex AI's pricing page and its Cloud Billing Catalog disagree, now, by more than
-- the page's rounding. The page shows rounded figures (Gemini 2.5 Pro cached input $0.13;
-- the catalog has 0.125); current_prices already prefers the catalog's exact figure. The
-- tolerance is half a unit of the page figure's last shown digit, and at least half a cent
-- ("$1.50" may be any of 1.495 .. 1.505). Tiered catalog rates compare by their base rate,
-- the first tier that charges, as in prices_as_of.
CREATE OR REPLACE VIEW vertex_price_discrepancies AS
WITH in_force AS (
    -- per source, key and tier: the published price in effect now (prices_as_of's rules)
    SELECT *, row_number() OVER (
                  PARTITION BY source, model, route, component, service_tier,
                               context_threshold, unit, currency, usage_tier_start
                  ORDER BY price_pick(false, effective_from, source)) AS pick
    FROM price_history
    WHERE provider = 'vertex' AND source IN ('vertex.pricing', 'vertex.skus')
      AND price_in_force(valid_from, valid_to, effective_from, now())
), base AS (
    SELECT *, row_number() OVER (
                  PARTITION BY source, model, route, component, service_tier,
                               context_threshold, unit, currency
                  ORDER BY base_rate_order(price, usage_tier_start)) = 1 AS base_rate
    FROM in_force
    WHERE pick = 1
), paired AS (
    SELECT p.model, p.route, p.component, p.service_tier, p.context_threshold, p.unit,
           p.price AS page_price, c.price AS catalog_price,
           -- digits after the point as shown (a DECIMAL's text is fixed-point)
           greatest(length(split_part(rtrim(CAST(p.price AS VARCHAR), '0'), '.', 2)), 2)
               AS page_decimals
    FROM base p
    JOIN base c USING (model, route, component, service_tier, context_threshold, unit,
                       currency)
    WHERE p.source = 'vertex.pricing' AND c.source = 'vertex.skus' AND p.base_rate
      AND c.base_rate
)
SELECT model, route, component, service_tier, context_threshold, unit, page_price,
       catalog_price, catalog_price - page_price AS difference,
       CAST(0.5 * pow(10, -page_decimals) AS DECIMAL(38, 18)) AS tolerance
FROM paired
WHERE abs(catalog_price - page_price) > 0.5 * pow(10, -page_decimals);
