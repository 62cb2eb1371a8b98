-- Prices in force at a time, by the rules cost_of prices calls with (one macro each):
-- price_in_force (the interval covers `ts`; of several published effective dates, those
-- already reached), price_pick (per key: a time-of-day or weekday window holding `ts` (UTC)
-- before the price without one, the latest effective date, then source_rank: an exact
-- machine-readable source over a page that rounds) and base_rate_order (of tiered rates,
-- the first tier that charges; every tier is in price_history and current_price_tiers),
-- each the key of an arg_min per key (as windows, 4,000 rows took 24 ms at 10M). A window
-- that does not hold `ts` is not in force then (current_price_windows lists every window).
-- Priced per 1M tokens or in the unit named.
-- The intervals in force are read in two parts, those closed after `ts` and the open ones
-- (valid_to IS NULL), each a filter DuckDB applies to the scan: as one `valid_to IS NULL OR
-- valid_to > ts` it read every row, and at 10M rows the alerts' front at the first complete
-- load (a `ts` that is a subquery) took 310 ms instead of 126. (A join on a one-row `ts`
-- was faster on duckdb 2.0 but never finished the alerts on 1.5.5.)
CREATE OR REPLACE MACRO prices_as_of(ts) AS TABLE
WITH open_at AS (  -- closed after ts, then open: see above
    SELECT h.*
    FROM price_history h
    WHERE h.valid_to > ts AND price_in_force(h.valid_from, h.valid_to, h.effective_from, ts)
      AND price_window_holds(h.utc_days, h.utc_start_minute, h.utc_end_minute, ts)
    UNION ALL
    SELECT h.*
    FROM price_history h
    WHERE h.valid_to IS NULL AND price_in_force(h.valid_from, h.valid_to, h.effective_from, ts)
      AND price_window_holds(h.utc_days, h.utc_start_minute, h.utc_end_minute, ts)
),
picked AS (  -- per key, price_pick's least; the key as columns, so that a filter on
             -- them (one model) reaches the scan
    SELECT provider, model, route, component, service_tier, context_threshold, unit,
           usage_tier_start,
           arg_min({'price': price, 'currency': currency, 'valid_from': valid_from,
                    'dynamic': dynamic, 'effective_from': effective_from, 'source': source,
                    'run_id': opened_by_run, 'utc_days': utc_days,
                    'utc_start_minute': utc_start_minute, 'utc_end_minute': utc_end_minute},
                   price_pick((utc_days, utc_start_minute, utc_end_minute) <> ('', 0, 1440),
                              effective_from, source)) AS p
    FROM open_at
    GROUP BY ALL
),
based AS (  -- per key without its tier, base_rate_order's least
    SELECT provider, model, route, component, service_tier, context_threshold, unit,
           arg_min({'usage_tier_start': usage_tier_start, 'p': p},
                   base_rate_order(p.price, usage_tier_start)) AS b
    FROM picked
    GROUP BY ALL
)
SELECT r.provider, r.model, canonical_id(i.canonical_model, r.model)
       AS canonical_model, r.route, r.component, r.service_tier, r.context_threshold, r.unit,
       r.b.p.price, r.b.p.currency, r.b.p.valid_from, r.b.p.dynamic, r.b.p.effective_from,
       r.b.p.source, r.b.p.run_id, r.b.usage_tier_start, r.b.p.utc_days,
       r.b.p.utc_start_minute, r.b.p.utc_end_minute
FROM based r
LEFT JOIN model_identity_overrides i USING (provider, model);
