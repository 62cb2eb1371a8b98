-- `pricewatch report`: every price interval of the chosen offers that holds for part of the
-- window [$since, $until] (one that starts at $until, the last observation, is drawn too), standard tier, base context, first usage tier, not dynamic; a
-- price published ahead of its effective date is drawn from that date. Offers are chosen by
-- canonical model ($models) or by key ($keys: provider|model|route|component|unit), so the
-- report reads only the series it shows.
SELECT h.provider, h.model, i.canonical_model, h.route, h.component, h.unit, h.source,
       h.price, greatest(h.valid_from, CAST(h.effective_from AS TIMESTAMPTZ)) AS valid_from,
       h.valid_to
FROM price_history h
JOIN model_identity i USING (provider, model)
WHERE (i.canonical_model IN (SELECT unnest($models))
       OR concat_ws('|', h.provider, h.model, h.route, h.component, h.unit)
          IN (SELECT unnest($keys)))
  AND h.service_tier = 'standard' AND h.context_threshold = 0 AND h.usage_tier_start = 0
  AND NOT h.dynamic
  AND h.valid_from <= $until AND (h.valid_to IS NULL OR h.valid_to > $since)
  AND (h.effective_from IS NULL OR CAST(h.effective_from AS TIMESTAMPTZ) <= $until)
ORDER BY i.canonical_model, h.component, h.unit, h.provider, h.model, h.route, h.source,
         valid_from
