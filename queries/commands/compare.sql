-- `pricewatch compare`: every current offer of the named models (ids or canonical ids)
-- with prices, capabilities, the limits that cover each offer and when they were seen. The
-- prices are those in force now; price_windows lists an offer's other time windows; scores
-- the model's latest published benchmark scores (model_scores, headline metrics); speed and
-- uptime the offer's over the last 7 days (offer_speed's medians of published p50s,
-- offer_uptime's latest one-day uptime; empty without such readings).
WITH chosen AS (
    SELECT * FROM current_offers
    WHERE model_named(model, canonical_model, $models)
),
prices AS (
    SELECT provider, model, route,
           max(price) FILTER (component = 'input') AS input_price,
           max(price) FILTER (component = 'output') AS output_price,
           max(price) FILTER (component = 'cache_read') AS cache_read_price,
           any_value(source) AS price_source, max(valid_from) AS price_since
    FROM current_prices
    WHERE unit = 'per_1m_tokens' AND context_threshold = 0 AND service_tier = 'standard'
      AND NOT dynamic
    GROUP BY ALL
),
caps AS (
    SELECT provider, model, route, list_sort(list(capability)) AS capabilities
    FROM offer_capabilities GROUP BY ALL
),
limits AS (  -- the limits whose scope covers the offer (offer_rate_limits)
    SELECT provider, model, route,
           list(scope || ' ' || metric || ' '
                || CASE WHEN enforced THEN coalesce(price_text(value), 'no figure')
                        ELSE 'not enforced' END
                || CASE WHEN condition <> '' THEN ' (' || condition || ')' ELSE '' END
                ORDER BY scope, metric, condition) AS rate_limits
    FROM offer_rate_limits GROUP BY provider, model, route
),
scores AS (  -- per canonical model: benchmark value (variant, run date, publisher)
    SELECT canonical_model,
           list(benchmark || ' ' || decimal_text(value) || ' ('
                || concat_ws(', ', nullif(variant, ''), CAST(run_date AS VARCHAR), publisher)
                || ')' ORDER BY benchmark, value DESC, variant) AS scores
    FROM model_scores
    WHERE is_latest AND is_headline_metric(benchmark, metric)
    GROUP BY canonical_model
),
uptime AS (  -- the latest day's one-day uptime in the speed window
    SELECT provider, model, route, arg_max(uptime_1d_pct, day) AS uptime_1d_pct
    FROM offer_uptime WHERE day > CAST(timezone('UTC', now()) AS DATE) - 7
    GROUP BY ALL
),
seen AS (
    SELECT source, max(observed_at) AS observed_at FROM runs
    WHERE is_good_run(status) GROUP BY source
)
SELECT c.provider, c.model, c.canonical_model, c.route, c.status, c.retiring_on,
       c.context_length, p.input_price, p.output_price, p.cache_read_price, k.capabilities,
       l.rate_limits, coalesce(p.price_source, c.source) AS source, s.observed_at,
       w.price_windows, q.scores,
       v.latency_p50_ms, v.throughput_p50_tps, u.uptime_1d_pct,
       v.readings AS speed_readings, v.source AS speed_source
FROM chosen c
LEFT JOIN prices p USING (provider, model, route)
LEFT JOIN caps k USING (provider, model, route)
LEFT JOIN limits l USING (provider, model, route)
LEFT JOIN offer_price_windows w USING (provider, model, route)
LEFT JOIN scores q ON q.canonical_model = c.canonical_model
LEFT JOIN offer_speed v USING (provider, model, route)
LEFT JOIN uptime u USING (provider, model, route)
LEFT JOIN seen s ON s.source = coalesce(p.price_source, c.source)
ORDER BY c.canonical_model, c.provider, c.route
