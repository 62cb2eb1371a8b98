-- Published rate limits that appeared, changed or went away.
CREATE OR REPLACE VIEW rate_limit_changes AS
SELECT n.provider, n.scope, n.metric, n.condition, n.source,
       CASE WHEN o.key_hash IS NULL THEN 'listed' ELSE 'changed' END AS kind,
       o.value AS old_value, n.value AS new_value, o.enforced AS old_enforced,
       n.enforced AS new_enforced, n.valid_from AS changed_at, n.opened_by_run AS run_id
FROM rate_limit_history n
LEFT JOIN rate_limit_history o ON o.key_hash = n.key_hash AND o.valid_to = n.valid_from
UNION ALL
SELECT o.provider, o.scope, o.metric, o.condition, o.source, 'unlisted', o.value, NULL,
       o.enforced, NULL, o.valid_to, o.closed_by_run
FROM rate_limit_history o
WHERE o.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM rate_limit_history n
                  WHERE n.key_hash = o.key_hash AND n.valid_from = o.valid_to);
