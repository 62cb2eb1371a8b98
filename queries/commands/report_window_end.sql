-- The report's default window ends at the newest good observation of prices: a later run
-- of a source without prices (a limits page) does not move it.
SELECT max(observed_at) AS last_price_observation FROM runs
WHERE is_good_run(status) AND source IN (SELECT DISTINCT source FROM price_history)
