-- The newest run after an export's last one, and whether those runs changed anything
-- (0 intervals opened or closed: the exported files stand).
SELECT max(run_id) AS through_run,
       coalesce(sum(intervals_opened + intervals_closed), 0) AS changed
FROM runs WHERE run_id > $since
