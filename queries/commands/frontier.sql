-- `pricewatch frontier`: per benchmark, the paid offers no other beats on both price and
-- score at $at with the given mix (quality_frontier_as_of), cheapest first.
SELECT * FROM quality_frontier_as_of($at, $mi, $mo)
WHERE $benchmark IS NULL OR benchmark = $benchmark
ORDER BY benchmark, metric, rank, provider, model, route
