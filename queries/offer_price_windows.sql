-- Per current offer, its time-of-day or weekday token prices as text, one item a window:
-- 'sat,sun 00:00-24:00 UTC: cache_read 0.022, input 0.66, output 1.98'. compare and budget
-- show them beside the prices in force now (peak and off-peak).
CREATE OR REPLACE VIEW offer_price_windows AS
SELECT provider, model, route,
       list(price_window_text(utc_days, utc_start_minute, utc_end_minute) || ': ' || parts
            ORDER BY utc_days, utc_start_minute) AS price_windows
FROM (SELECT provider, model, route, utc_days, utc_start_minute, utc_end_minute,
             string_agg(component || ' ' || price_text(price), ', ' ORDER BY component)
                 AS parts
      FROM current_price_windows
      WHERE unit = 'per_1m_tokens' AND context_threshold = 0 AND service_tier = 'standard'
      GROUP BY ALL)
GROUP BY provider, model, route;
