-- A run whose snapshot is whole: its records (or, for `unchanged`, the previous run's) are
-- the provider's state at its observation time. Failed, suspect, skipped and duplicate
-- runs are not. warehouse/ingest.py's BOUNDARY_STATUSES is this set (a test holds them equal).
CREATE OR REPLACE MACRO is_good_run(status) AS (status IN ('ok', 'partial', 'unchanged'));
