-- Prices in force at a time: the interval that covers `ts`, and for a key with several
-- published effective dates, the latest one already in effect. Priced per 1M tokens or in
-- the unit named. `source_rank` (queries/source_rank.sql) prefers an exact machine-readable
-- source over a page that rounds, when both priced the same key. Of tiered rates
-- (usage_tier_start), the row is the base rate: the first tier that charges (a catalog's
-- first tier is often a $0 allowance); every tier is in price_history and current_price_tiers.
-- Of time-of-day and weekday prices, the one whose window holds `ts` (UTC) wins over the
-- price without a window; a window that does not hold `ts` is not in force then
-- (current_price_windows lists every window).
CREATE OR REPLACE MACRO prices_as_of(ts) AS TABLE
WITH open_at AS (
    SELECT h.*,
           source_rank(h.source) AS source_rank
    FROM price_history h
    WHERE h.valid_from <= ts AND (h.valid_to IS NULL OR h.valid_to > ts)
      AND (h.effective_from IS NULL OR h.effective_from <= CAST(timezone('UTC', CAST(ts AS TIMESTAMPTZ)) AS DATE))
      AND price_window_holds(h.utc_days, h.utc_start_minute, h.utc_end_minute, ts)
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY provider, model, route, component, service_tier, context_threshold, unit,
                     usage_tier_start
        ORDER BY (utc_days, utc_start_minute, utc_end_minute) = ('', 0, 1440),
                 effective_from DESC NULLS LAST, source_rank, source) AS pick
    FROM open_at
),
tiers AS (
    SELECT *, usage_tier_start = coalesce(min(usage_tier_start) FILTER (price > 0) OVER w,
                                          min(usage_tier_start) OVER w) AS base_rate
    FROM ranked
    WHERE pick = 1
    WINDOW w AS (PARTITION BY provider, model, route, component, service_tier,
                              context_threshold, unit)
)
SELECT r.provider, r.model, canonical_id(i.canonical_model, r.model)
       AS canonical_model, r.route, r.component, r.service_tier, r.context_threshold, r.unit,
       r.price, r.currency, r.valid_from, r.dynamic, r.effective_from, r.source,
       r.opened_by_run AS run_id, r.usage_tier_start, r.utc_days, r.utc_start_minute,
       r.utc_end_minute
FROM tiers r
LEFT JOIN model_identity_overrides i USING (provider, model)
WHERE r.base_rate;
