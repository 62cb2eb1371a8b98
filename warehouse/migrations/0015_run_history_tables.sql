-- The history tables each run's records went to. A run with no records for a table can only
-- close intervals its source holds there, and asking every such table costs a scan each (on
-- a DuckLake, several catalog queries each: 117 ms of a 340 ms run). The union of a
-- source's lists names every table that can hold its intervals, so ingest asks only those.
-- Runs written before: the tables where they opened intervals (the same union); [] for the
-- rest. Never NULL for a run pricewatch wrote; a NULL makes ingest ask every table.
ALTER TABLE runs ADD COLUMN history_tables VARCHAR[];
UPDATE runs SET history_tables = opened.tables
FROM (SELECT run_id, list_sort(list(DISTINCT table_name)) AS tables FROM (
          SELECT opened_by_run AS run_id, 'price_history' AS table_name FROM price_history
          UNION ALL SELECT opened_by_run, 'offer_history' FROM offer_history
          UNION ALL SELECT opened_by_run, 'rate_limit_history' FROM rate_limit_history
          UNION ALL SELECT opened_by_run, 'provider_directory_history'
                    FROM provider_directory_history
          UNION ALL SELECT opened_by_run, 'score_history' FROM score_history
          UNION ALL SELECT opened_by_run, 'map_audit_history' FROM map_audit_history)
      GROUP BY run_id) AS opened
WHERE runs.run_id = opened.run_id;
UPDATE runs SET history_tables = [] WHERE history_tables IS NULL;
