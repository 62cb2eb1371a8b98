-- `pricewatch report`: the $n cheapest paid offers priced per 1M tokens per capability at
-- $at, blended with the given mix and cache share ($caps empty: every capability), with
-- each offer's speed over the 7 days before $at (offer_speed_as_of; none without readings).
SELECT c.*, s.latency_p50_ms, s.throughput_p50_tps
FROM cheapest_as_of($at, $mi, $mo, $share) c
LEFT JOIN offer_speed_as_of($at, 7) s USING (provider, model, route)
WHERE NOT c.is_free AND c.price_unit = 'per_1m_tokens' AND c.rank <= $n
  AND (len($caps) = 0 OR c.capability IN (SELECT unnest($caps)))
ORDER BY c.capability, c.rank
