-- cost_of('TABLE'): every call of a usage table priced at the price in force at its time, as
-- `pricewatch cost` prices a log (the CLI runs this macro). TABLE names a table or view with
-- the columns timestamp (TIMESTAMPTZ), provider, model, route, service_tier, input_tokens,
-- output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, requests (NULL: ""
-- route, the standard tier, 0 tokens). Returns its columns plus priced_model,
-- input_price and output_price (USD per 1M tokens), price_valid_from, cost_usd (exact,
-- DECIMAL(38,24)), status and price_note.
--
-- The price of a call at t is the one prices_as_of(t) gives, by the same macros:
-- price_in_force (valid_from <= t < valid_to, a published effective date already reached),
-- price_pick (the latest effective date, Vertex's billing catalog before the page) and
-- base_rate_order (the base usage tier). cached_tokens and cache_write_tokens are part of
-- input_tokens, reasoning_tokens part of output_tokens (as OpenAI and OpenRouter count
-- them): cached tokens pay cache_read, written ones cache_write, reasoning tokens the
-- reasoning price where the offer has one. An offer that publishes no
-- cache price bills cached (or written) tokens as input: price_note says so for that call
-- (a missing price is never taken as 0). A prompt (input_tokens) over a context_threshold pays that
-- threshold's prices for the whole request. requests pay a per-request price if any. A
-- time-of-day or weekday price applies when its window holds the call's timestamp (UTC):
-- of the highest threshold the prompt is over, its windowed price, else its price without
-- a window, else the base's windowed price, else the base price (overrides.py's reading).
-- status: priced, unknown_model, ambiguous_model (a canonical id naming several of the
-- provider's models), before_history, not_listed_at_time, dynamic_price,
-- no_price_for_component. Only priced calls have a cost.
CREATE OR REPLACE MACRO cost_of(usage) AS TABLE
WITH calls AS (
    SELECT row_number() OVER () AS cost_call_id, *,
           coalesce(CAST(route AS VARCHAR), '') AS cost_route,
           coalesce(CAST(service_tier AS VARCHAR), 'standard') AS cost_tier
    FROM query_table(usage)
),
names AS (SELECT DISTINCT provider, model FROM calls),
exact AS (  -- the provider's own id, in any case
    SELECT n.provider, n.model, min(k.model) AS priced_model
    FROM names n
    JOIN (SELECT DISTINCT provider, model FROM price_history) k
      ON k.provider = n.provider AND lower(k.model) = lower(n.model)
    GROUP BY ALL
),
by_canonical AS (  -- else a canonical id, when it names one of the provider's models
    SELECT n.provider, n.model, list(DISTINCT i.model ORDER BY i.model) AS candidates
    FROM names n
    JOIN model_identity i
      ON i.provider = n.provider AND i.canonical_model = canonical_model_rules(n.model)
    GROUP BY ALL
),
resolved AS (
    SELECT n.provider, n.model,
           coalesce(e.priced_model, CASE WHEN len(c.candidates) = 1 THEN c.candidates[1] END)
           AS priced_model,
           CASE WHEN e.priced_model IS NOT NULL OR len(c.candidates) = 1 THEN NULL
                WHEN len(c.candidates) > 1 THEN 'ambiguous_model'
                ELSE 'unknown_model' END AS name_status
    FROM names n
    LEFT JOIN exact e USING (provider, model)
    LEFT JOIN by_canonical c USING (provider, model)
),
offers AS (
    SELECT DISTINCT c.provider, r.priced_model, c.cost_route, c.cost_tier
    FROM calls c JOIN resolved r USING (provider, model)
    WHERE r.priced_model IS NOT NULL
),
rows AS (  -- the history of those offers, in the components a call pays
    SELECT h.*
    FROM price_history h
    JOIN offers o ON h.provider = o.provider AND h.model = o.priced_model
                 AND h.route = o.cost_route AND h.service_tier = o.cost_tier
    WHERE (h.unit = 'per_1m_tokens'
           AND h.component IN ('input', 'output', 'cache_read', 'cache_write', 'reasoning'))
       OR (h.unit = 'per_request' AND h.component = 'request')
),
edges AS (  -- every time an offer's prices can change: segments start here
    SELECT DISTINCT provider, model, route, service_tier, starts FROM (
        SELECT provider, model, route, service_tier, valid_from AS starts FROM rows
        UNION ALL
        SELECT provider, model, route, service_tier, valid_to FROM rows
        WHERE valid_to IS NOT NULL
        UNION ALL
        SELECT provider, model, route, service_tier,
               timezone('UTC', CAST(effective_from AS TIMESTAMP)) FROM rows
        WHERE effective_from IS NOT NULL)
),
in_force AS (  -- per segment start, each component's price as prices_as_of would pick it,
               -- by its macros; windows are kept apart (a call's time picks among them)
    SELECT e.starts, r.*,
           row_number() OVER (
               PARTITION BY r.provider, r.model, r.route, r.service_tier, e.starts,
                            r.component, r.context_threshold, r.usage_tier_start,
                            r.utc_days, r.utc_start_minute, r.utc_end_minute
               ORDER BY price_pick(false, r.effective_from, r.source)) AS pick
    FROM edges e
    JOIN rows r ON r.provider = e.provider AND r.model = e.model AND r.route = e.route
               AND r.service_tier = e.service_tier
               AND price_in_force(r.valid_from, r.valid_to, r.effective_from, e.starts)
),
base_rate AS (
    SELECT *, row_number() OVER (
                  PARTITION BY provider, model, route, service_tier, starts, component,
                               context_threshold, utc_days, utc_start_minute, utc_end_minute
                  ORDER BY base_rate_order(price, usage_tier_start)) = 1 AS is_base
    FROM in_force WHERE pick = 1
),
tiers AS (  -- one row per segment start, context threshold and window, components as columns
    SELECT provider, model, route, service_tier, starts, context_threshold, utc_days,
           utc_start_minute, utc_end_minute,
           (utc_days, utc_start_minute, utc_end_minute) <> ('', 0, 1440) AS windowed,
           max(price) FILTER (component = 'input') AS input,
           max(price) FILTER (component = 'output') AS output,
           max(price) FILTER (component = 'cache_read') AS cache_read,
           max(price) FILTER (component = 'cache_write') AS cache_write,
           max(price) FILTER (component = 'reasoning') AS reasoning,
           max(price) FILTER (component = 'request') AS request,
           bool_or(dynamic) AS dynamic, max(valid_from) AS since
    FROM base_rate WHERE is_base
    GROUP BY ALL
),
segments AS (  -- a segment with no price at all: the offer was not listed then
    SELECT e.provider, e.model, e.route, e.service_tier, e.starts,
           list(t ORDER BY t.context_threshold DESC) FILTER (t.starts IS NOT NULL) AS tiers
    FROM edges e
    LEFT JOIN tiers t USING (provider, model, route, service_tier, starts)
    GROUP BY ALL
),
located AS (
    SELECT c.*, r.priced_model, r.name_status, s.starts AS segment_at,
           -- the tiers whose window holds the call's time, and the highest threshold the
           -- prompt is over
           list_filter(s.tiers, lambda t: price_window_holds(
               t.utc_days, t.utc_start_minute, t.utc_end_minute, c.timestamp)) AS holding,
           coalesce(list_max(list_transform(
               list_filter(s.tiers, lambda t: t.context_threshold > 0
                           AND coalesce(c.input_tokens, 0) > t.context_threshold),
               lambda t: t.context_threshold)), 0) AS over
    FROM calls c
    JOIN resolved r USING (provider, model)
    ASOF LEFT JOIN segments s
      ON s.provider = c.provider AND s.model = r.priced_model AND s.route = c.cost_route
     AND s.service_tier = c.cost_tier AND c.timestamp >= s.starts
),
matched AS (
    SELECT * EXCLUDE (holding, over),
           list_filter(holding, lambda t: t.context_threshold = over AND over > 0
                       AND t.windowed)[1] AS long_window,
           list_filter(holding, lambda t: t.context_threshold = over AND over > 0
                       AND NOT t.windowed)[1] AS long_tier,
           list_filter(holding, lambda t: t.context_threshold = 0 AND t.windowed)[1]
               AS base_window,
           list_filter(holding, lambda t: t.context_threshold = 0 AND NOT t.windowed)[1]
               AS base
    FROM located
),
prices AS (
    SELECT *,
           coalesce(long_window.input, long_tier.input, base_window.input,
                    base.input) AS p_input,
           coalesce(long_window.output, long_tier.output, base_window.output,
                    base.output) AS p_output,
           coalesce(long_window.cache_read, long_tier.cache_read, base_window.cache_read,
                    base.cache_read) AS p_cache_read,
           coalesce(long_window.cache_write, long_tier.cache_write, base_window.cache_write,
                    base.cache_write) AS p_cache_write,
           coalesce(long_window.reasoning, long_tier.reasoning, base_window.reasoning,
                    base.reasoning) AS p_reasoning,
           coalesce(long_window.request, long_tier.request, base_window.request,
                    base.request) AS p_request,
           coalesce(long_window.dynamic, false) OR coalesce(long_tier.dynamic, false)
               OR coalesce(base_window.dynamic, false) OR coalesce(base.dynamic, false)
               AS p_dynamic,
           greatest(long_window.since, long_tier.since, base_window.since, base.since)
               AS p_since,
           coalesce(input_tokens, 0) - coalesce(cached_tokens, 0)
               - coalesce(cache_write_tokens, 0) AS t_uncached,
           coalesce(output_tokens, 0) AS t_output
    FROM matched
),
judged AS (
    SELECT *,
           CASE WHEN name_status IS NOT NULL THEN name_status
                WHEN segment_at IS NULL THEN 'before_history'
                WHEN p_dynamic THEN 'dynamic_price'
                WHEN p_input IS NULL AND p_output IS NULL THEN 'not_listed_at_time'
                WHEN (coalesce(input_tokens, 0) > 0 AND p_input IS NULL)
                  OR (t_output > 0 AND p_output IS NULL) THEN 'no_price_for_component'
                ELSE 'priced' END AS status
    FROM prices
)
SELECT * EXCLUDE (cost_call_id, cost_route, cost_tier, name_status, segment_at, long_tier,
                  long_window, base_window, base, p_input, p_output, p_cache_read, p_cache_write, p_reasoning,
                  p_request, p_dynamic, p_since, t_uncached, t_output, status),
       p_input AS input_price, p_output AS output_price, p_since AS price_valid_from,
       CASE WHEN status = 'priced' THEN
           (t_uncached * coalesce(p_input, 0)
            + coalesce(cached_tokens, 0) * coalesce(p_cache_read, p_input, 0)
            + coalesce(cache_write_tokens, 0) * coalesce(p_cache_write, p_input, 0)
            + CASE WHEN p_reasoning IS NOT NULL
                   THEN (t_output - coalesce(reasoning_tokens, 0)) * coalesce(p_output, 0)
                        + coalesce(reasoning_tokens, 0) * p_reasoning
                   ELSE t_output * coalesce(p_output, 0) END) * 0.000001
           + coalesce(requests, 0) * coalesce(p_request, 0)
       END AS cost_usd,
       status,
       nullif(concat_ws('; ',
           CASE WHEN status = 'priced' AND coalesce(cached_tokens, 0) > 0
                     AND p_cache_read IS NULL
                THEN 'cached tokens billed at the input price (no cache_read price published)'
           END,
           CASE WHEN status = 'priced' AND coalesce(cache_write_tokens, 0) > 0
                     AND p_cache_write IS NULL
                THEN 'cache writes billed at the input price (no cache_write price published)'
           END), '') AS price_note
FROM judged;
