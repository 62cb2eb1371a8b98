-- `pricewatch cheapest`: offers per capability ranked at $at with the given mix, free ones
-- only when asked; with $benchmark, only offers of models whose headline score on it listed
-- at $at (scores_as_of) is at least $min_score, ranked again among themselves.
WITH chosen AS (
    SELECT * FROM cheapest_as_of($at, $mi, $mo, $share)
    WHERE ($capability IS NULL OR capability = $capability)
      AND ($free OR NOT is_free)
      AND ($benchmark IS NULL OR canonical_model IN (
          SELECT canonical_model FROM scores_as_of($at)
          WHERE benchmark = $benchmark AND is_headline AND value >= $min_score))
)
SELECT * REPLACE (row_number() OVER (PARTITION BY capability, price_unit, is_free
                                     ORDER BY rank) AS rank)
FROM chosen
QUALIFY row_number() OVER (PARTITION BY capability, price_unit, is_free ORDER BY rank)
        <= $limit
ORDER BY capability, is_free, price_unit, rank
