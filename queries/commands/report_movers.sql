-- `pricewatch report`: the price changes of the window [$since, $until] with a percentage
-- (a price from or to 0 has none), standard tier, base context: the largest drops first,
-- then the largest rises, $n of each.
WITH moved AS (
    SELECT * FROM price_changes_since($since)
    WHERE kind = 'changed' AND change_pct IS NOT NULL AND changed_at <= $until
      AND service_tier = 'standard' AND context_threshold = 0 AND usage_tier_start = 0
      AND (utc_days, utc_start_minute, utc_end_minute) = ('', 0, 1440)  -- no time window
)
(SELECT 'drop' AS direction, * FROM moved WHERE change_pct < 0
 ORDER BY change_pct, changed_at DESC, provider, model, route, component LIMIT $n)
UNION ALL
(SELECT 'rise' AS direction, * FROM moved WHERE change_pct > 0
 ORDER BY change_pct DESC, changed_at DESC, provider, model, route, component LIMIT $n)
