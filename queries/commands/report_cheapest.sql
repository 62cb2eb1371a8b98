-- `pricewatch report`: the $n cheapest paid offers priced per 1M tokens per capability at
-- $at, blended with the given mix and cache share ($caps empty: every capability).
SELECT * FROM cheapest_as_of($at, $mi, $mo, $share)
WHERE NOT is_free AND price_unit = 'per_1m_tokens' AND rank <= $n
  AND (len($caps) = 0 OR capability IN (SELECT unnest($caps)))
ORDER BY capability, rank
