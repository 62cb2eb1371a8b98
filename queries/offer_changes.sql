-- Offers listed for the first time (or again after a gap), unlisted, or changed (status,
-- context length, modalities, ...). An offer missing from a good run is unlisted then.
CREATE OR REPLACE VIEW offer_changes AS
SELECT n.provider, n.model, n.route, n.source,
       CASE WHEN o.key_hash IS NULL THEN 'listed' ELSE 'changed' END AS kind,
       o.status AS old_status, n.status AS new_status,
       o.context_length AS old_context_length, n.context_length AS new_context_length,
       n.valid_from AS changed_at, n.opened_by_run AS run_id
FROM offer_history n
LEFT JOIN offer_history o ON o.key_hash = n.key_hash AND o.valid_to = n.valid_from
UNION ALL
SELECT o.provider, o.model, o.route, o.source, 'unlisted', o.status, NULL,
       o.context_length, NULL, o.valid_to, o.closed_by_run
FROM offer_history o
WHERE o.valid_to IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM offer_history n
                  WHERE n.key_hash = o.key_hash AND n.valid_from = o.valid_to);
