-- Speed per offer over the `days` before `ts` (UTC), from the endpoint measurements
-- (offer_measurements): the median of the readings of each published percentile
-- (OpenRouter's endpoints send latency and throughput p50/p90 over their last 30 minutes,
-- metrics latency_ms_p50_30m, ...; their p75 and p99 stay in offer_measurements), so one
-- reading is that reading exactly; latency_ms and throughput_tps are the median of
-- single-number readings (OpenRouter's before percentiles, the Hugging Face router's
-- first-token latency and throughput), which are no percentiles.
-- readings counts the runs that measured the offer in the window.
CREATE OR REPLACE MACRO offer_speed_as_of(ts, days) AS TABLE
WITH readings AS (
    SELECT * FROM offer_measurements
    WHERE observed_at <= ts AND observed_at > ts - to_days(CAST(days AS INTEGER))
      AND metric IN ('latency_ms_p50_30m', 'latency_ms_p90_30m', 'throughput_tps_p50_30m',
                     'throughput_tps_p90_30m', 'latency_ms_30m', 'throughput_tps_30m',
                     'first_token_latency_ms', 'throughput_tps')
)
SELECT r.provider, r.model, canonical_id(i.canonical_model, r.model) AS canonical_model,
       r.route,
       median(value) FILTER (metric = 'latency_ms_p50_30m') AS latency_p50_ms,
       median(value) FILTER (metric = 'latency_ms_p90_30m') AS latency_p90_ms,
       median(value) FILTER (metric = 'throughput_tps_p50_30m') AS throughput_p50_tps,
       median(value) FILTER (metric = 'throughput_tps_p90_30m') AS throughput_p90_tps,
       median(value) FILTER (metric IN ('latency_ms_30m', 'first_token_latency_ms'))
           AS latency_ms,
       median(value) FILTER (metric IN ('throughput_tps_30m', 'throughput_tps'))
           AS throughput_tps,
       count(DISTINCT r.run_id) AS readings,
       min(r.observed_at) AS first_reading_at, max(r.observed_at) AS last_reading_at,
       any_value(r.source) AS source
FROM readings r
LEFT JOIN model_identity_overrides i USING (provider, model)
GROUP BY r.provider, r.model, i.canonical_model, r.route;
