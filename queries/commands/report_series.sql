-- `pricewatch report`: every price interval of the chosen offers that holds for part of the
-- window [$since, $until] (one that starts at $until, the last observation, is drawn too),
-- standard tier, base context, first usage tier, not dynamic; a price published ahead of
-- its effective date is drawn from that date. Offers are chosen by canonical model
-- ($models) or by key ($keys: provider|model|route|component|unit). A chart (canonical
-- model, component, unit) keeps its $max_series series priced lowest at the window's end;
-- `series_in_chart` says how many it had. So the report reads only what it shows.
WITH picked AS (
    SELECT h.provider, h.model, i.canonical_model, h.route, h.component, h.unit, h.source,
           h.price,
           greatest(h.valid_from, timezone('UTC', CAST(h.effective_from AS TIMESTAMP)))
           AS valid_from,
           h.valid_to
    FROM price_history h
    JOIN model_identity i USING (provider, model)
    WHERE (i.canonical_model IN (SELECT unnest($models))
           OR concat_ws('|', h.provider, h.model, h.route, h.component, h.unit)
              IN (SELECT unnest($keys)))
      AND h.service_tier = 'standard' AND h.context_threshold = 0 AND h.usage_tier_start = 0
      AND (h.utc_days, h.utc_start_minute, h.utc_end_minute) = ('', 0, 1440)  -- no time window
      AND NOT h.dynamic
      AND h.valid_from <= $until AND (h.valid_to IS NULL OR h.valid_to > $since)
      AND (h.effective_from IS NULL  -- in effect by the end, and before it was withdrawn
           OR (timezone('UTC', CAST(h.effective_from AS TIMESTAMP)) <= $until
               AND (h.valid_to IS NULL
                    OR timezone('UTC', CAST(h.effective_from AS TIMESTAMP)) < h.valid_to)))
),
series AS (
    SELECT canonical_model, component, unit, provider, model, route, source,
           arg_max(price, valid_from) AS last_price
    FROM picked GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER chart AS n, count(*) OVER (PARTITION BY canonical_model,
           component, unit) AS series_in_chart
    FROM series
    WINDOW chart AS (PARTITION BY canonical_model, component, unit
                     ORDER BY last_price, provider, model, route, source)
)
SELECT p.*, r.series_in_chart
FROM picked p JOIN ranked r USING (canonical_model, component, unit, provider, model, route,
                                   source)
WHERE r.n <= $max_series
ORDER BY p.canonical_model, p.component, p.unit, p.provider, p.model, p.route, p.source,
         p.valid_from
