-- What users are alerted about, each with a stable alert_id (md5 of what it is about and
-- the change or state it announces), so an outbox can deliver it exactly once:
--   price_drop        a price fell by at least view_setting('drop_pct') percent
--   price_rise        a price rose by at least view_setting('rise_pct') percent
--   new_offer         an offer listed after its source's first run
--   offer_unlisted    an offer missing from a good run
--   new_cheapest      an offer became the cheapest paid one of a capability, or the cheapest
--                     one's price changed (dated when that price began)
--   rate_limit_change a published limit appeared, changed or went away
--   collector_failing a source failed or was suspect view_setting('failing_runs') runs in a row
--   format_drift      a source's body held a key, column or section its parser does not
--                     read, for the first time (unread_fields): once per source and path
--   frontier_change   an offer entered or left a benchmark's quality front (quality_frontier
--                     at the configured mix) between `since` and now
--   map_drift         a scheduled audit found a community price map disagreeing with a
--                     provider's own price in a way it did not before (map_disagreements)
-- Changes found on a source's first run are its initial load, not news.
-- price_alerts_since(ts) looks at price changes from ts on only (fast on long histories);
-- the price_alerts view is every alert ever. price_alerts_window(ts, cheapest_ts) takes a
-- separate time for new_cheapest, which compares the cheapest offers just before it with
-- those now (not the price's start: an offer can become the cheapest long after that,
-- when a cheaper one rises or goes away).
-- price_alerts_with(since, cheapest_since, min_drop_pct, min_rise_pct, min_failing_runs) takes the
-- thresholds as arguments (a command's own [views] figures); the others read view_settings.
-- frontier_change compares two fronts, just before `since` (or when every source had loaded
-- once, if later: an initial load is not news) and now, and is dated at the newest good
-- run: a run at `since` is in the window, as it is for every other kind (an alert pass's
-- window starts at the earliest run it has not seen; compared at `since` itself, the front
-- already held that run's change and it was never sent). Its
-- id is the offer, the front, the direction and the price and score it entered or left at
-- (one alert per such state: leaving and coming back at the same price and score again is
-- not a second alert).
-- new_cheapest compares the cheapest paid offer of each capability and unit just before
-- `cheapest_since` (or when every source had loaded once) with now, both at the [views]
-- mix; its id is the offer, the capability, the unit and the blended price it is the
-- cheapest at (one alert per such state, as for frontier_change).
-- alert_id is fixed by the change it announces (which of its key's intervals it starts or
-- ends, and the values on either side) or the state, never by a time (a timestamp's text
-- also follows the reading session's TimeZone): a run ingested late, between two stored
-- ones, moves a change earlier, the start of the interval the next change ends, and when
-- a winner's price began, without giving any of them a new id (the outbox then knows it
-- was sent).
CREATE OR REPLACE MACRO price_alerts_with(since, cheapest_since, min_drop_pct, min_rise_pct,
                                          min_failing_runs) AS TABLE
WITH first_runs AS (
    SELECT source, min(observed_at) AS first_at FROM runs
    WHERE is_good_run(status) GROUP BY source
),
prices AS (
    SELECT CASE WHEN change_pct < 0 THEN 'price_drop' ELSE 'price_rise' END AS kind,
           provider, model, route, component, old_price, new_price, change_pct,
           changed_at AS detected_at, unit, run_id, interval_no,
           -- a long-context tier or a time window is its own price: said, and in the id
           nullif(concat_ws(', ',
               CASE WHEN context_threshold > 0
                    THEN format('prompts over {} tokens', context_threshold) END,
               nullif(price_window_text(utc_days, utc_start_minute, utc_end_minute), '')),
               '') AS condition_text
    FROM price_changes_since(since)
    WHERE kind = 'changed' AND (change_pct <= -min_drop_pct OR change_pct >= min_rise_pct)
),
offers AS (
    SELECT CASE c.kind WHEN 'listed' THEN 'new_offer' ELSE 'offer_unlisted' END AS kind,
           c.provider, c.model, c.route, NULL AS component, NULL AS old_price,
           NULL AS new_price, NULL AS change_pct, c.changed_at AS detected_at, NULL AS unit,
           c.run_id, c.interval_no
    FROM offer_changes c JOIN first_runs f USING (source)
    WHERE c.kind IN ('listed', 'unlisted') AND c.changed_at > f.first_at
),
cheapest_then AS (
    SELECT * FROM cheapest_as_of(
        greatest(cheapest_since - INTERVAL 1 MICROSECOND,
                 (SELECT max(first_at) FROM first_runs)),
        view_setting('mix_input'), view_setting('mix_output'), view_setting('cache_share'))
    WHERE rank = 1 AND NOT is_free
),
cheapest AS (
    SELECT 'new_cheapest' AS kind, provider, model, route, capability AS component,
           NULL AS old_price, blended_price AS new_price, NULL AS change_pct,
           price_since AS detected_at, price_unit AS unit, NULL AS run_id
    FROM cheapest_per_capability n
    WHERE rank = 1 AND NOT is_free AND NOT EXISTS (
        SELECT 1 FROM cheapest_then t
        WHERE t.capability = n.capability AND t.price_unit = n.price_unit
          AND t.provider = n.provider AND t.model = n.model
          AND t.route IS NOT DISTINCT FROM n.route
          AND t.blended_price = n.blended_price)
),
limits AS (
    SELECT 'rate_limit_change' AS kind, c.provider, c.scope AS model,
           c.condition AS route, c.metric AS component, NULL AS old_price,
           NULL AS new_price, c.old_value, c.new_value,
           CASE WHEN c.old_value > 0 AND c.new_value IS NOT NULL
                THEN CAST(round(100 * (c.new_value - c.old_value) / c.old_value, 2)
                          AS DECIMAL(18, 2)) END AS change_pct,
           c.changed_at AS detected_at, NULL AS unit, c.run_id, c.interval_no
    FROM rate_limit_changes c JOIN first_runs f USING (source)
    WHERE c.changed_at > f.first_at
),
failing AS (
    SELECT 'collector_failing' AS kind, split_part(source, '.', 1) AS provider,
           source AS model, '' AS route, NULL AS component, NULL AS old_price,
           NULL AS new_price, NULL AS change_pct, last_failing_at AS detected_at,
           NULL AS unit, first_failing_run AS run_id
    FROM collector_health WHERE failing_runs >= min_failing_runs
),
drift AS (
    SELECT 'format_drift' AS kind, split_part(source, '.', 1) AS provider, source AS model,
           '' AS route, path AS component, NULL AS old_price, NULL AS new_price,
           NULL AS change_pct, first_seen_at AS detected_at, NULL AS unit,
           first_run_id AS run_id, last_items AS drift_items, example AS drift_example
    FROM unread_fields
),
newest AS (
    SELECT max(observed_at) AS newest_at, max_by(run_id, observed_at) AS newest_run
    FROM runs WHERE is_good_run(status)
),
front_then AS (
    SELECT * FROM quality_frontier_as_of(
        greatest(since - INTERVAL 1 MICROSECOND, (SELECT max(first_at) FROM first_runs)),
        view_setting('mix_input'), view_setting('mix_output'))
),
front_now AS (
    SELECT * FROM quality_frontier_as_of(now(), view_setting('mix_input'),
                                         view_setting('mix_output'))
),
frontier AS (
    SELECT 'frontier_change' AS kind, n.provider, n.model, n.route,
           n.benchmark || ' ' || n.metric AS component, NULL AS old_price,
           n.blended_price AS new_price, NULL AS change_pct, NULL AS old_value,
           n.score AS new_value, w.newest_at AS detected_at, 'per_1m_tokens' AS unit,
           w.newest_run AS run_id, n.rank AS front_rank
    FROM front_now n CROSS JOIN newest w
    WHERE NOT EXISTS (SELECT 1 FROM front_then t
                      WHERE t.benchmark = n.benchmark AND t.metric = n.metric
                        AND t.provider = n.provider AND t.model = n.model
                        AND t.route IS NOT DISTINCT FROM n.route)
    UNION ALL
    SELECT 'frontier_change' AS kind, t.provider, t.model, t.route,
           t.benchmark || ' ' || t.metric AS component, t.blended_price AS old_price,
           NULL AS new_price, NULL AS change_pct, t.score AS old_value, NULL AS new_value,
           w.newest_at AS detected_at, 'per_1m_tokens' AS unit, w.newest_run AS run_id,
           NULL AS front_rank
    FROM front_then t CROSS JOIN newest w
    WHERE NOT EXISTS (SELECT 1 FROM front_now n
                      WHERE n.benchmark = t.benchmark AND n.metric = t.metric
                        AND n.provider = t.provider AND n.model = t.model
                        AND n.route IS NOT DISTINCT FROM t.route)
),
drift_maps AS (  -- a disagreement that began after the map's first audit
    SELECT 'map_drift' AS kind, h.provider, h.model, '' AS route,
           h.component, h.map_price AS old_price, h.provider_price AS new_price,
           NULL AS change_pct, h.valid_from AS detected_at, h.unit,
           h.opened_by_run AS run_id, h.source AS map_source, h.map_key, h.map_class,
           h.context_threshold AS map_threshold, h.service_tier AS map_tier
    FROM map_audit_history h JOIN first_runs f USING (source)
    WHERE h.map_class <> 'agree' AND h.valid_from > f.first_at AND h.valid_from >= since
),
everything AS (
    SELECT * FROM prices UNION ALL BY NAME SELECT * FROM offers
    UNION ALL BY NAME SELECT * FROM cheapest UNION ALL BY NAME SELECT * FROM limits
    UNION ALL BY NAME SELECT * FROM failing UNION ALL BY NAME SELECT * FROM drift
    UNION ALL BY NAME SELECT * FROM frontier UNION ALL BY NAME SELECT * FROM drift_maps
)
SELECT md5(concat_ws('|', kind, provider, model, route, coalesce(component, ''),
                     CASE kind
                       -- a failing streak is one alert however long it lasts
                       WHEN 'collector_failing' THEN CAST(run_id AS VARCHAR)
                       -- the state announced: a late run moves when it began, not it
                       WHEN 'new_cheapest' THEN concat_ws('|', unit, decimal_text(new_price))
                       -- one alert per source and path, ever
                       WHEN 'format_drift' THEN NULL
                       -- the map, its entry and what it says against the provider
                       WHEN 'map_drift' THEN concat_ws('|', map_source, map_key,
                            map_class, map_tier, map_threshold, old_price, new_price)
                       -- the state the offer entered or left the front at
                       WHEN 'frontier_change' THEN concat_ws('|',
                            CASE WHEN new_price IS NULL THEN 'left' ELSE 'entered' END,
                            coalesce(new_price, old_price), coalesce(new_value, old_value))
                       -- a change by its place in its key's history and the values
                       -- either side; a late run between two stored ones moves times only
                       ELSE concat_ws('|', interval_no, old_price, new_price, old_value,
                                      new_value) END,
                     condition_text))  -- NULL for a base price
       AS alert_id,
       kind, provider, model, route, component,
       CAST(old_price AS DECIMAL(38, 18)) AS old_price,
       CAST(new_price AS DECIMAL(38, 18)) AS new_price,
       CAST(change_pct AS DECIMAL(18, 2)) AS change_pct, detected_at,
       CASE kind
         WHEN 'price_drop' THEN format('{} at {}{}: {}{} {} -> {} {} ({}%)', model, provider,
              CASE WHEN route <> '' THEN '/' || route ELSE '' END, component,
              coalesce(' (' || condition_text || ')', ''),
              price_text(old_price), price_text(new_price), unit, price_text(change_pct))
         WHEN 'price_rise' THEN format('{} at {}{}: {}{} {} -> {} {} (+{}%)', model, provider,
              CASE WHEN route <> '' THEN '/' || route ELSE '' END, component,
              coalesce(' (' || condition_text || ')', ''),
              price_text(old_price), price_text(new_price), unit, price_text(change_pct))
         WHEN 'new_offer' THEN format('new offer: {} at {}{}', model, provider,
              CASE WHEN route <> '' THEN '/' || route ELSE '' END)
         WHEN 'offer_unlisted' THEN format('unlisted: {} at {}{}', model, provider,
              CASE WHEN route <> '' THEN '/' || route ELSE '' END)
         WHEN 'new_cheapest' THEN format('cheapest for {} now: {} at {}{}, {} blended {}',
              component, model, provider, CASE WHEN route <> '' THEN '/' || route ELSE '' END,
              price_text(new_price), unit)
         WHEN 'rate_limit_change' THEN format('{} {} ({}): {} -> {}', model, component,
              coalesce(nullif(route, ''), 'no condition'), price_text(old_value),
              price_text(new_value))
         WHEN 'frontier_change' THEN CASE WHEN new_price IS NOT NULL
              THEN format('{} at {}{} is on the {} front now (rank {}): {} points at {} {} '
                          'blended', model, provider,
                          CASE WHEN route <> '' THEN '/' || route ELSE '' END, component,
                          front_rank, price_text(new_value), price_text(new_price), unit)
              ELSE format('{} at {}{} left the {} front (it had {} points at {} {} '
                          'blended)', model, provider,
                          CASE WHEN route <> '' THEN '/' || route ELSE '' END, component,
                          price_text(old_value), price_text(old_price), unit) END
         WHEN 'map_drift' THEN format('{} ({}) says {} for {} at {}{}: {}, the provider '
              'charges {} {}', split_part(map_source, '.', 2), map_key,
              CASE WHEN old_price IS NULL THEN 'no price' ELSE price_text(old_price) END,
              component, provider,
              CASE WHEN map_threshold > 0 THEN format(' over {} tokens', map_threshold)
                   ELSE '' END, map_class,
              CASE WHEN new_price IS NULL THEN 'no price' ELSE price_text(new_price) END,
              unit)
         WHEN 'format_drift' THEN format('{} sends {} that pricewatch does not read ({} '
              'items, e.g. {}): see unread_fields', model, component, drift_items,
              drift_example)
         ELSE format('{} failed or was suspect {} runs in a row', model,
              CAST(min_failing_runs AS INTEGER))
       END AS message,
       run_id, unit,
       -- after the contract's columns: a rate limit's figures are not prices
       CAST(old_value AS DECIMAL(38, 18)) AS old_value,
       CAST(new_value AS DECIMAL(38, 18)) AS new_value
FROM everything
WHERE kind = 'new_cheapest' OR detected_at >= since;  -- new_cheapest: compared above

CREATE OR REPLACE MACRO price_alerts_window(since, cheapest_since) AS TABLE
SELECT * FROM price_alerts_with(since, cheapest_since, view_setting('drop_pct'),
                                view_setting('rise_pct'), view_setting('failing_runs'));

CREATE OR REPLACE MACRO price_alerts_since(since) AS TABLE
SELECT * FROM price_alerts_window(since, since);

CREATE OR REPLACE VIEW price_alerts AS
SELECT * FROM price_alerts_since(TIMESTAMPTZ '-infinity');
