-- The newest run after an export's last one, whether those runs changed anything (0
-- intervals opened or closed: the exported files stand), and the newest run of all: one
-- below the export's last run means the files are of another warehouse (made afresh at
-- the same path), and are written whole.
SELECT max(run_id) AS through_run,
       coalesce(sum(intervals_opened + intervals_closed), 0) AS changed,
       (SELECT coalesce(max(run_id), 0) FROM runs) AS newest_run
FROM runs WHERE run_id > $since
