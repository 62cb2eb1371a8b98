-- The newest run after the one a report was made through, and whether any of those runs
-- changed a price or failed (the report's freshness section shows failures): only then is
-- the daemon's report made again.
SELECT max(run_id) AS through_run,
       coalesce(bool_or(intervals_opened + intervals_closed > 0
                        OR status IN ('failed', 'suspect')), false) AS wanted
FROM runs WHERE run_id > $since
