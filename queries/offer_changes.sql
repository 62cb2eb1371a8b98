-- Offers listed for the first time (or again after a gap), unlisted, or changed (status,
-- context length, modalities, ...). An offer missing from a good run is unlisted then.
-- Each interval is read beside its key's previous and next ones (intervals of a key never
-- overlap): it follows the previous one without a gap (changed) or not (listed), and its end
-- without a following interval is an unlisting. old_valid_from/old_valid_to are the interval
-- before the change (the one that ended, for an unlisting); interval_no is the place of the
-- interval a change starts (or ends, for an unlisting) among its key's, which a late run that
-- moves the change, or the one before it, does not alter: alert ids are made of it. Written
-- with window functions, not a self join: duckdb 2.0.1's common-subplan optimizer dropped every `listed` row of the self-join
-- form when this view and price_alerts were read in one query
-- (docs/duckdb-union-all-repro.md).
CREATE OR REPLACE VIEW offer_changes AS
WITH neighbours AS (
    SELECT *,
           lag(valid_from) OVER w AS previous_from, lag(valid_to) OVER w AS previous_to,
           lag(status) OVER w AS previous_status,
           lag(context_length) OVER w AS previous_context_length,
           lead(valid_from) OVER w AS next_from,
           row_number() OVER w AS interval_no
    FROM offer_history
    WINDOW w AS (PARTITION BY key_hash ORDER BY valid_from)
)
SELECT provider, model, route, source,
       CASE WHEN previous_to = valid_from THEN 'changed' ELSE 'listed' END AS kind,
       CASE WHEN previous_to = valid_from THEN previous_status END AS old_status,
       status AS new_status,
       CASE WHEN previous_to = valid_from THEN previous_context_length END
           AS old_context_length,
       context_length AS new_context_length,
       valid_from AS changed_at, opened_by_run AS run_id,
       previous_from AS old_valid_from, previous_to AS old_valid_to, interval_no
FROM neighbours
UNION ALL
SELECT provider, model, route, source, 'unlisted', status, NULL, context_length, NULL,
       valid_to, closed_by_run, valid_from, valid_to, interval_no
FROM neighbours
WHERE valid_to IS NOT NULL AND next_from IS DISTINCT FROM valid_to;
