-- Every change of every price component from `since` on: `changed` (old -> new), `listed`
-- (old_price NULL: a first listing or a relisting after a gap) and `unlisted` (new_price
-- NULL). History is written only by good runs, so no change comes from a suspect or failed
-- run. Only intervals that start or end from `since` on take part, which keeps a 7-day
-- window fast on years of history; the price_changes view is the whole history.
-- interval_no counts the key's intervals up to the one a change starts (the one that ended,
-- for an unlisting) over the whole history: a late run between two stored ones moves a
-- change's time and its neighbours' but not its number, so alert ids are made of it.
CREATE OR REPLACE MACRO price_changes_since(since) AS TABLE
WITH recent AS (
    SELECT * FROM price_history WHERE valid_from >= since OR valid_to >= since
),
starts AS (
    SELECT n.provider, n.model, n.route, n.component, n.service_tier, n.context_threshold,
           n.unit, n.currency, n.source, n.usage_tier_start, n.utc_days, n.utc_start_minute,
           n.utc_end_minute, o.price AS old_price, n.price AS new_price,
           n.valid_from AS changed_at, n.opened_by_run AS run_id, o.valid_from AS old_valid_from,
           CASE WHEN o.key_hash IS NULL THEN 'listed' ELSE 'changed' END AS kind,
           (SELECT count(*) FROM price_history h
            WHERE h.key_hash = n.key_hash AND h.valid_from <= n.valid_from) AS interval_no
    FROM recent n
    LEFT JOIN recent o ON o.key_hash = n.key_hash AND o.valid_to = n.valid_from
    WHERE n.valid_from >= since
),
ends AS (
    SELECT o.provider, o.model, o.route, o.component, o.service_tier, o.context_threshold,
           o.unit, o.currency, o.source, o.usage_tier_start, o.utc_days, o.utc_start_minute,
           o.utc_end_minute, o.price AS old_price,
           NULL AS new_price,
           o.valid_to AS changed_at, o.closed_by_run AS run_id, o.valid_from AS old_valid_from,
           'unlisted' AS kind,
           (SELECT count(*) FROM price_history h
            WHERE h.key_hash = o.key_hash AND h.valid_from <= o.valid_from) AS interval_no
    FROM recent o
    WHERE o.valid_to >= since
      AND NOT EXISTS (SELECT 1 FROM recent n
                      WHERE n.key_hash = o.key_hash AND n.valid_from = o.valid_to)
)
SELECT c.provider, c.model, coalesce(i.canonical_model, canonical_model_rules(c.model))
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
