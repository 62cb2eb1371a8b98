-- `pricewatch status`: per source, the latest run, its counts and the last good data.
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY source ORDER BY started_at DESC, run_id DESC) AS n
    FROM runs WHERE status <> 'replaying'
)
SELECT r.source, r.status AS last_status, r.observed_at AS last_observed_at,
       r.started_at AS last_started_at, r.records, r.intervals_opened + r.intervals_closed
       AS changes, (SELECT max(observed_at) FROM runs g WHERE g.source = r.source
                    AND is_good_run(g.status)) AS last_good_at,
       -- an `unchanged` run parses nothing: the figures of the last run that did
       (SELECT arg_max(records, observed_at) FROM runs g WHERE g.source = r.source
                    AND g.status IN ('ok', 'partial')) AS last_good_records,
       (SELECT count(*) FROM runs c WHERE c.source = r.source) AS runs,
       h.failing_runs, r.message, r.origin AS last_origin,
       -- what the source's latest parsed run did not read (unread_fields lists them)
       (SELECT count(*) FROM run_unread u WHERE u.run_id = (
            SELECT arg_max(run_id, observed_at) FROM runs g WHERE g.source = r.source
            AND g.status IN ('ok', 'partial', 'suspect'))) AS unread
FROM ranked r LEFT JOIN collector_health h USING (source)
WHERE n = 1 ORDER BY r.source
