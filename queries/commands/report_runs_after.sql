-- Whether the daemon makes its report again: a run after the one the page was made
-- through changed a price or failed (the report's freshness section shows failures), or
-- the page was made through a run this warehouse does not have (another warehouse, made
-- afresh at the same path).
SELECT coalesce(bool_or(intervals_opened + intervals_closed > 0
                        OR status IN ('failed', 'suspect')), false)
       OR (SELECT coalesce(max(run_id), 0) FROM runs) < $since AS wanted
FROM runs WHERE run_id > $since
