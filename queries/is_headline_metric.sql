-- The metric a benchmark is known by, the one `compare` shows beside prices (model_scores
-- holds every metric): Aider's polyglot by pass_rate_2 (solved with one retry, as its
-- leaderboard ranks), Design Arena by elo (not win_rate). A benchmark not named here shows
-- all its metrics.
CREATE OR REPLACE MACRO is_headline_metric(benchmark, metric) AS (
    CASE WHEN benchmark = 'aider.polyglot' THEN metric = 'pass_rate_2'
         WHEN benchmark LIKE 'design\_arena.%' ESCAPE '\' THEN metric = 'elo'
         ELSE true END);
