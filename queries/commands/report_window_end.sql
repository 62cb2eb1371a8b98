-- The report's default window ends at the newest good observation of prices: a later run
-- of a source without prices (a limits page) does not move it. `through_run`: the newest
-- run the report is made through (the daemon makes it again after a later run that matters).
SELECT max(observed_at) FILTER (WHERE is_good_run(status)
                                AND source IN (SELECT DISTINCT source FROM price_history))
           AS last_price_observation,
       coalesce(max(run_id), 0) AS through_run
FROM runs
