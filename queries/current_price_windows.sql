-- Every current time-of-day or weekday price (OpenRouter's `utc_start`/`utc_end`/
-- `utc_days` overrides) beside the price without a window that holds outside it: peak
-- and off-peak at a glance. current_prices shows whichever is in force now.
CREATE OR REPLACE VIEW current_price_windows AS
SELECT w.provider, w.model, canonical_id(i.canonical_model, w.model)
       AS canonical_model, w.route, w.component, w.service_tier, w.context_threshold, w.unit,
       w.utc_days, w.utc_start_minute, w.utc_end_minute, w.price, d.price AS price_outside,
       price_window_holds(w.utc_days, w.utc_start_minute, w.utc_end_minute, now())
           AS in_force_now,
       w.currency, w.valid_from, w.source
FROM price_history w
LEFT JOIN price_history d
  ON d.source = w.source AND d.provider = w.provider AND d.model = w.model
 AND d.route = w.route AND d.component = w.component AND d.service_tier = w.service_tier
 AND d.context_threshold = w.context_threshold AND d.unit = w.unit
 AND d.currency = w.currency AND d.usage_tier_start = w.usage_tier_start
 AND d.effective_from IS NOT DISTINCT FROM w.effective_from AND d.valid_to IS NULL
 AND (d.utc_days, d.utc_start_minute, d.utc_end_minute) = ('', 0, 1440)
LEFT JOIN model_identity_overrides i ON i.provider = w.provider AND i.model = w.model
WHERE w.valid_to IS NULL
  AND (w.utc_days, w.utc_start_minute, w.utc_end_minute) <> ('', 0, 1440);
