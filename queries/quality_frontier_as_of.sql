-- Per benchmark and metric at `ts`: the paid offers no other paid offer beats on both price
-- and score (the Pareto front of price_per_quality_as_of): no offer with a blended price at
-- most as high and a score at least as high, one of the two strictly. Two offers at the
-- same price and score are both on it. rank orders the front by price (1 = cheapest, which
-- is also the lowest score on it). Free offers are left out, as cheapest ranks them apart.
CREATE OR REPLACE MACRO quality_frontier_as_of(ts, mix_input, mix_output) AS TABLE
WITH paid AS (
    SELECT * FROM price_per_quality_as_of(ts, mix_input, mix_output) WHERE NOT is_free
),
front AS (
    SELECT p.* FROM paid p
    WHERE NOT EXISTS (
        SELECT 1 FROM paid q
        WHERE q.benchmark = p.benchmark AND q.metric = p.metric
          AND q.blended_price <= p.blended_price AND q.score >= p.score
          AND (q.blended_price < p.blended_price OR q.score > p.score))
)
SELECT benchmark, metric,
       dense_rank() OVER (PARTITION BY benchmark, metric ORDER BY blended_price) AS rank,
       * EXCLUDE (benchmark, metric, is_free)
FROM front;
