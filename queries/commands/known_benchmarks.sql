-- The benchmarks the warehouse holds scores of (`frontier --benchmark`, `cheapest
-- --min-score` check the name against them).
SELECT DISTINCT benchmark FROM score_history ORDER BY benchmark
