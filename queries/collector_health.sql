-- Per source: how many runs in a row, counting back from the latest, failed or were suspect.
CREATE OR REPLACE VIEW collector_health AS
WITH ordered AS (
    SELECT source, run_id, observed_at, started_at, status, message,
           sum(CASE WHEN is_good_run(status) THEN 1 ELSE 0 END) OVER (
               PARTITION BY source ORDER BY started_at DESC, run_id DESC
               ROWS UNBOUNDED PRECEDING) AS good_runs_since
    FROM runs WHERE is_good_run(status) OR status IN ('failed', 'suspect')
)
SELECT source,
       count(*) FILTER (good_runs_since = 0) AS failing_runs,
       min(run_id) FILTER (good_runs_since = 0) AS first_failing_run,
       max(started_at) FILTER (good_runs_since = 0) AS last_failing_at,
       arg_max(message, run_id) FILTER (good_runs_since = 0) AS last_message,
       max(observed_at) FILTER (is_good_run(status)) AS last_good_at
FROM ordered
GROUP BY source;
