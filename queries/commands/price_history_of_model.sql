-- `pricewatch history MODEL`: every interval of every price of one model.
SELECT provider, model, route, component, service_tier, context_threshold, unit, price,
       currency, dynamic, effective_from, valid_from, valid_to,
       price_window_text(utc_days, utc_start_minute, utc_end_minute) AS time_window, utc_days,
       utc_start_minute, utc_end_minute, source, opened_by_run, closed_by_run
FROM price_history
WHERE model = $model AND ($provider IS NULL OR provider = $provider)
ORDER BY provider, route, component, service_tier, context_threshold, unit, utc_days,
         utc_start_minute, valid_from
