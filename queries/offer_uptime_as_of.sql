-- Uptime per offer and UTC day, for the `days` before `ts`, from the endpoint measurements:
-- the provider's own one-day uptime as last read that day (OpenRouter's uptime_last_1d, in
-- percent), the mean and the lowest of its 30-minute readings that day, and how many runs
-- read it. A day without a reading has no row (not 0 and not 100).
CREATE OR REPLACE MACRO offer_uptime_as_of(ts, days) AS TABLE
SELECT provider, model, route,
       CAST(timezone('UTC', observed_at) AS DATE) AS day,
       arg_max(value, observed_at) FILTER (metric = 'uptime_pct_1d') AS uptime_1d_pct,
       avg(value) FILTER (metric = 'uptime_pct_30m') AS uptime_30m_mean_pct,
       min(value) FILTER (metric = 'uptime_pct_30m') AS uptime_30m_min_pct,
       count(DISTINCT run_id) AS readings,
       any_value(source) AS source
FROM offer_measurements
WHERE observed_at <= ts AND observed_at > ts - to_days(CAST(days AS INTEGER))
  AND metric IN ('uptime_pct_1d', 'uptime_pct_30m')
GROUP BY ALL;
