-- `pricewatch report`: price against score at $at with the given mix, for the $n
-- benchmarks with the most paid offers scored: every paid token offer with its model's best
-- listed score (price_per_quality_as_of) and, when it is on its benchmark's front
-- (quality_frontier_as_of), its rank there.
WITH scored AS (
    SELECT * FROM price_per_quality_as_of($at, $mi, $mo) WHERE NOT is_free
),
chosen AS (
    SELECT benchmark, metric, count(*) AS offers FROM scored
    GROUP BY ALL ORDER BY offers DESC, benchmark, metric LIMIT $n
),
front AS (
    SELECT benchmark, metric, provider, model, route, rank
    FROM quality_frontier_as_of($at, $mi, $mo)
)
SELECT s.*, f.rank AS front_rank, c.offers
FROM scored s
JOIN chosen c USING (benchmark, metric)
LEFT JOIN front f USING (benchmark, metric, provider, model, route)
ORDER BY c.offers DESC, s.benchmark, s.metric, s.blended_price, s.provider, s.model, s.route
