-- The daemon's heartbeat: per source, the runs in a row, counting back from the latest, that
-- failed or were suspect (collector_health's figure, so a restarted daemon still shows them).
SELECT source, failing_runs FROM collector_health ORDER BY source;
