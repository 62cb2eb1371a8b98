-- Per benchmark and metric at `ts`: the paid offers no other paid offer beats on both price
-- and score (the Pareto front of price_per_quality_as_of): no offer with a blended price at
-- most as high and a score at least as high, one of the two strictly. Two offers at the
-- same price and score are both on it. rank orders the front by price (1 = cheapest, which
-- is also the lowest score on it). Free offers are left out, as cheapest ranks them apart.
-- One pass, no self-join: an offer is on the front when its score is the best at its price
-- and above the best at any lower price (a window that excludes its price's group).
CREATE OR REPLACE MACRO quality_frontier_as_of(ts, mix_input, mix_output) AS TABLE
WITH marked AS (
    SELECT *,
           max(score) OVER (PARTITION BY benchmark, metric, blended_price) AS level_best,
           max(score) OVER (PARTITION BY benchmark, metric ORDER BY blended_price
                            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                            EXCLUDE GROUP) AS cheaper_best
    FROM price_per_quality_as_of(ts, mix_input, mix_output)
    WHERE NOT is_free
)
SELECT benchmark, metric,
       dense_rank() OVER (PARTITION BY benchmark, metric ORDER BY blended_price) AS rank,
       * EXCLUDE (benchmark, metric, is_free, level_best, cheaper_best)
FROM marked
WHERE score = level_best AND (cheaper_best IS NULL OR score > cheaper_best);
