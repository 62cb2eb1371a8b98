-- What the providers send that pricewatch does not read, per source and path (a key such as
-- data[].pricing.overrides, a table column, a page section), with when it was first and
-- last seen: the list to read when a format moves on. Parsers name what they read or pass
-- over knowingly; everything else lands here (run_unread), never silently.
CREATE OR REPLACE VIEW unread_fields AS
SELECT source, path, min(observed_at) AS first_seen_at, max(observed_at) AS last_seen_at,
       count(DISTINCT run_id) AS runs, arg_max(items, observed_at) AS last_items,
       arg_max(example, observed_at) AS example, arg_min(run_id, observed_at) AS first_run_id
FROM run_unread
GROUP BY source, path;
