-- `pricewatch audit`: every component of every map entry that names an offer pricewatch
-- has at $at, beside the price pricewatch had in force then (prices_as_of), classed. The
-- map's side comes in as registered tables (audit_entries, audit_prices, audit_expressible:
-- what the map's format can say at all). An offer is compared on one route
-- (map_prices_as_of). Classes:
--   agree              the same price, exactly
--   stale              the map's price is one the same series had before and that ended
--                      (price_ended_at: when)
--   unit_error         the ratio is a power of 1000 (1000, 1M, 1G, either way)
--   wrong              any other difference
--   missing_component  a price on one side only: the map prices what the provider does not
--                      (or not at $at), or the provider prices, above 0 and at its standard
--                      tier, a component the map's format can express but the entry omits;
--                      a long-context tier on one side at that side's base price is no row
WITH audited AS (SELECT * FROM map_prices_as_of($at)),
matched AS (
    SELECT e.map, e.key, e.provider, e.model FROM audit_entries e
    WHERE EXISTS (SELECT 1 FROM audited a WHERE a.provider = e.provider AND a.model = e.model)
),
theirs AS (
    SELECT m.provider, m.model, p.* FROM audit_prices p JOIN matched m USING (map, key)
),
ours AS (
    SELECT m.map, m.key, a.provider, a.model, a.route, a.component, a.service_tier,
           a.context_threshold, a.unit, a.price, a.source
    FROM matched m JOIN audited a USING (provider, model)
),
pairs AS (
    SELECT coalesce(t.map, o.map) AS map, coalesce(t.key, o.key) AS key,
           coalesce(t.provider, o.provider) AS provider, coalesce(t.model, o.model) AS model,
           coalesce(t.component, o.component) AS component,
           coalesce(t.service_tier, o.service_tier) AS service_tier,
           coalesce(t.context_threshold, o.context_threshold) AS context_threshold,
           coalesce(t.unit, o.unit) AS unit, t.map_price, o.price AS provider_price,
           o.route, o.source, t.field
    FROM theirs t
    FULL JOIN ours o
      ON t.map = o.map AND t.key = o.key AND t.provider = o.provider AND t.model = o.model
     AND t.component = o.component
     AND t.service_tier = o.service_tier AND t.context_threshold = o.context_threshold
     AND t.unit = o.unit
),
compared AS (  -- a long-context tier at its base price, on one side only, changes no cost
    SELECT p.* FROM pairs p
    WHERE (p.map_price IS NOT NULL AND p.provider_price IS NOT NULL)
       OR (p.map_price IS NOT NULL AND NOT coalesce(p.context_threshold > 0 AND p.map_price = (
               SELECT b.map_price FROM theirs b
               WHERE b.map = p.map AND b.key = p.key AND b.model = p.model
                 AND b.component = p.component
                 AND b.service_tier = p.service_tier AND b.unit = p.unit
                 AND b.context_threshold = 0), false))
       OR (p.map_price IS NULL AND p.service_tier = 'standard' AND p.provider_price > 0
           AND EXISTS (SELECT 1 FROM audit_expressible x
                       WHERE x.map = p.map AND x.component = p.component AND x.unit = p.unit)
           AND NOT coalesce(p.context_threshold > 0 AND p.provider_price = (
               SELECT b.price FROM ours b
               WHERE b.map = p.map AND b.key = p.key AND b.model = p.model
                 AND b.component = p.component
                 AND b.service_tier = p.service_tier AND b.unit = p.unit
                 AND b.context_threshold = 0), false))
),
ended AS (  -- earlier prices of each series, and when each last ended
    SELECT provider, model, route, component, service_tier, context_threshold, unit, price,
           max(valid_to) AS ended_at
    FROM price_history
    WHERE valid_to IS NOT NULL AND valid_to <= $at AND price IS NOT NULL
      AND usage_tier_start = 0 AND utc_days = ''
    GROUP BY ALL
),
classified AS (
    SELECT c.*, e.ended_at AS price_ended_at,
           CASE WHEN c.map_price IS NULL OR c.provider_price IS NULL THEN 'missing_component'
                WHEN c.map_price = c.provider_price THEN 'agree'
                WHEN e.ended_at IS NOT NULL THEN 'stale'
                WHEN c.map_price > 0 AND c.provider_price > 0 AND (
                     c.map_price IN (c.provider_price * 1000, c.provider_price * 1000000,
                                     c.provider_price * 1000000000)
                     OR c.provider_price IN (c.map_price * 1000, c.map_price * 1000000,
                                             c.map_price * 1000000000)) THEN 'unit_error'
                ELSE 'wrong' END AS class,
           CAST($at AS TIMESTAMPTZ) AS audited_at
    FROM compared c
    LEFT JOIN ended e
      ON e.provider = c.provider AND e.model = c.model AND e.route = c.route
     AND e.component = c.component AND e.service_tier = c.service_tier
     AND e.context_threshold = c.context_threshold AND e.unit = c.unit
     AND e.price = c.map_price AND c.map_price <> c.provider_price
),
evidence AS (  -- the newest good run of each source by $at: the body that shows the price
    SELECT source, observed_at, content_sha256, run_id FROM runs
    WHERE is_good_run(status) AND observed_at <= $at
)
SELECT c.map, c.key, c.provider, c.model, c.component, c.service_tier, c.context_threshold,
       c.unit, c.map_price, c.provider_price,
       CASE WHEN c.provider_price > 0 AND c.map_price IS NOT NULL
            THEN round(CAST(c.map_price AS DOUBLE) / CAST(c.provider_price AS DOUBLE), 6)
       END AS ratio,
       c.class, c.audited_at, c.price_ended_at, r.observed_at, c.source,
       r.content_sha256 AS body_sha256, r.run_id,
       (SELECT min(url) FROM fetch_log f WHERE f.run_id = r.run_id) AS source_url,
       c.route, c.field
FROM classified c
ASOF LEFT JOIN evidence r ON r.source = c.source AND c.audited_at >= r.observed_at
ORDER BY c.map, c.key, c.component, c.service_tier, c.context_threshold, c.unit
