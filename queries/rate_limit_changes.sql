-- Published rate limits that appeared, changed or went away. Each interval is read beside
-- its key's previous and next ones (window functions, not a self-join: see offer_changes);
-- old_valid_from/old_valid_to are the interval before the change (the one that ended, for
-- an unlisting); interval_no, the place of the interval it starts or ends, is what alert ids
-- are made of (see offer_changes).
CREATE OR REPLACE VIEW rate_limit_changes AS
WITH neighbours AS (
    SELECT *,
           lag(valid_from) OVER w AS previous_from, lag(valid_to) OVER w AS previous_to,
           lag(value) OVER w AS previous_value, lag(enforced) OVER w AS previous_enforced,
           lead(valid_from) OVER w AS next_from,
           row_number() OVER w AS interval_no
    FROM rate_limit_history
    WINDOW w AS (PARTITION BY key_hash ORDER BY valid_from)
)
SELECT provider, scope, metric, condition, source,
       CASE WHEN previous_to = valid_from THEN 'changed' ELSE 'listed' END AS kind,
       CASE WHEN previous_to = valid_from THEN previous_value END AS old_value,
       value AS new_value,
       CASE WHEN previous_to = valid_from THEN previous_enforced END AS old_enforced,
       enforced AS new_enforced, valid_from AS changed_at, opened_by_run AS run_id,
       previous_from AS old_valid_from, previous_to AS old_valid_to, interval_no
FROM neighbours
UNION ALL
SELECT provider, scope, metric, condition, source, 'unlisted', value, NULL, enforced, NULL,
       valid_to, closed_by_run, valid_from, valid_to, interval_no
FROM neighbours
WHERE valid_to IS NOT NULL AND next_from IS DISTINCT FROM valid_to;
