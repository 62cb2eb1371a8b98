-- `pricewatch cheapest`: offers per capability ranked at $at with the given mix, free ones
-- only when asked.
SELECT * FROM cheapest_as_of($at, $mi, $mo, $share)
WHERE ($capability IS NULL OR capability = $capability)
  AND ($free OR NOT is_free) AND rank <= $limit
ORDER BY capability, is_free, price_unit, rank
