-- Prices in force at a time, by the rules cost_of prices calls with (one macro each):
-- price_in_force (the interval covers `ts`; of several published effective dates, those
-- already reached), price_pick (per key: a time-of-day or weekday window holding `ts` (UTC)
-- before the price without one, the latest effective date, then source_rank: an exact
-- machine-readable source over a page that rounds) and is_base_rate (of tiered rates, the
-- first tier that charges; every tier is in price_history and current_price_tiers). A window
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
ranked AS (
    SELECT *, price_pick((provider, model, route, component, service_tier, context_threshold,
                          unit, usage_tier_start),
                         (utc_days, utc_start_minute, utc_end_minute) <> ('', 0, 1440),
                         effective_from, source) AS pick
    FROM open_at
),
tiers AS (
    SELECT *, is_base_rate(usage_tier_start, price,
                           (provider, model, route, component, service_tier,
                            context_threshold, unit)) AS base_rate
    FROM ranked
    WHERE pick = 1
)
SELECT r.provider, r.model, canonical_id(i.canonical_model, r.model)
       AS canonical_model, r.route, r.component, r.service_tier, r.context_threshold, r.unit,
       r.price, r.currency, r.valid_from, r.dynamic, r.effective_from, r.source,
       r.opened_by_run AS run_id, r.usage_tier_start, r.utc_days, r.utc_start_minute,
       r.utc_end_minute
FROM tiers r
LEFT JOIN model_identity_overrides i USING (provider, model)
WHERE r.base_rate;
