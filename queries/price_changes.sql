-- Every change of every price component from `since` on: `changed` (old -> new), `listed`
-- (old_price NULL: a first listing or a relisting after a gap) and `unlisted` (new_price
-- NULL). History is written only by good runs, so no change comes from a suspect or failed
-- run. Only intervals that start or end from `since` on take part, which keeps a 7-day
-- window fast on years of history; the price_changes view is the whole history.
-- Each interval is read beside its key's previous and next ones among the recent intervals
-- (window functions, as offer_changes): the previous one ends where it starts (changed) or
-- not (listed); an end without a following interval is an unlisting.
-- interval_no counts the key's intervals up to the one a change starts (the one that ended,
-- for an unlisting) over the whole history: a late run between two stored ones moves a
-- change's time and its neighbours' but not its number, so alert ids are made of it. A key's
-- intervals never overlap, so those that ended before `since` all come before its recent
-- ones: their count plus the place among the recent ones (a count per interval over the
-- whole history was quadratic: the full view took 28x longer at 1M rows).
-- The recent intervals are read as two disjoint filters (started from `since`; started
-- before and ended from it): as one `valid_from >= since OR valid_to >= since` duckdb 1.5
-- read every column of every row, 321 ms against 125 at 10M rows (2.0: 80 against 74).
CREATE OR REPLACE MACRO price_changes_since(since) AS TABLE
WITH touched AS (
    SELECT * FROM price_history WHERE valid_from >= since
    UNION ALL
    SELECT * FROM price_history WHERE valid_from < since AND valid_to >= since
),
recent AS (
    SELECT *,
           lag(valid_from) OVER w AS previous_from, lag(valid_to) OVER w AS previous_to,
           lag(price) OVER w AS previous_price, lead(valid_from) OVER w AS next_from,
           row_number() OVER w AS recent_no
    FROM touched
    WINDOW w AS (PARTITION BY key_hash ORDER BY valid_from)
),
earlier AS (  -- ended before since, so started before it: one column to read
    SELECT key_hash, count(*) AS intervals FROM price_history
    WHERE valid_to < since GROUP BY key_hash
),
starts AS (
    SELECT n.provider, n.model, n.route, n.component, n.service_tier, n.context_threshold,
           n.unit, n.currency, n.source, n.usage_tier_start, n.utc_days, n.utc_start_minute,
           n.utc_end_minute,
           CASE WHEN n.previous_to = n.valid_from THEN n.previous_price END AS old_price,
           n.price AS new_price, n.valid_from AS changed_at, n.opened_by_run AS run_id,
           CASE WHEN n.previous_to = n.valid_from THEN n.previous_from END AS old_valid_from,
           CASE WHEN n.previous_to = n.valid_from THEN 'changed' ELSE 'listed' END AS kind,
           coalesce(e.intervals, 0) + n.recent_no AS interval_no
    FROM recent n
    LEFT JOIN earlier e ON e.key_hash = n.key_hash
    WHERE n.valid_from >= since
),
ends AS (
    SELECT o.provider, o.model, o.route, o.component, o.service_tier, o.context_threshold,
           o.unit, o.currency, o.source, o.usage_tier_start, o.utc_days, o.utc_start_minute,
           o.utc_end_minute, o.price AS old_price,
           NULL AS new_price,
           o.valid_to AS changed_at, o.closed_by_run AS run_id, o.valid_from AS old_valid_from,
           'unlisted' AS kind, coalesce(e.intervals, 0) + o.recent_no AS interval_no
    FROM recent o
    LEFT JOIN earlier e ON e.key_hash = o.key_hash
    WHERE o.valid_to >= since AND o.next_from IS DISTINCT FROM o.valid_to
)
SELECT c.provider, c.model, canonical_id(i.canonical_model, c.model)
       AS canonical_model, c.route, c.component, c.service_tier, c.context_threshold, c.unit,
       c.old_price, c.new_price, c.new_price - c.old_price AS change_abs,
       CASE WHEN c.old_price > 0 AND c.new_price IS NOT NULL
            THEN CAST(round(100 * (c.new_price - c.old_price) / c.old_price, 2)
                      AS DECIMAL(18, 2)) END AS change_pct,
       c.changed_at, c.run_id, c.kind, c.currency, c.source, c.usage_tier_start, c.utc_days,
       c.utc_start_minute, c.utc_end_minute, c.old_valid_from, c.interval_no
FROM (SELECT * FROM starts UNION ALL SELECT * FROM ends) c
LEFT JOIN model_identity_overrides i USING (provider, model);

CREATE OR REPLACE VIEW price_changes AS
SELECT * FROM price_changes_since(TIMESTAMPTZ '-infinity');
