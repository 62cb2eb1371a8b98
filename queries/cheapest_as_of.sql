-- Offers available at `ts`, per capability, ranked by blended price per 1M tokens:
--   (mix_input x input + mix_output x output) / (mix_input + mix_output),
-- (to 12 decimal places), where input is (1 - cache_share) x input + cache_share x
-- cache_read when a cache-read price exists. Free offers are ranked apart from paid ones (is_free). Ties: input, output,
-- then provider, model, route. Offers priced in other units (per megapixel for image
-- generation) are ranked among their own unit only (price_unit). An offer is free only when
-- every price it publishes is 0 and it outputs nothing but text or embeddings: an image or
-- video model at prompt/completion 0 bills what it makes (per image, per second), priced or
-- not published, so it is never free; one that makes no tokens, or charges nothing per
-- token, is not ranked by token prices.
CREATE OR REPLACE MACRO cheapest_as_of(ts, mix_input, mix_output, cache_share) AS TABLE
WITH priced AS (
    SELECT provider, model, route, unit,
           max(price) FILTER (component = 'input') AS input_price,
           max(price) FILTER (component = 'output') AS output_price,
           max(price) FILTER (component = 'cache_read') AS cache_read_price,
           max(valid_from) AS price_since,
           any_value(source) AS price_source
    FROM prices_as_of(ts)
    WHERE context_threshold = 0 AND service_tier = 'standard' AND NOT dynamic
      AND component IN ('input', 'output', 'cache_read')
    GROUP BY provider, model, route, unit
),
outputs AS (  -- what each offer makes: tokens (text, embeddings) or something billed otherwise
    SELECT provider, model, route,
           bool_or(len(list_filter(coalesce(output_modalities, ['text']),
                                   lambda m: m IN ('text', 'embeddings'))) > 0) AS makes_tokens,
           bool_or(len(list_filter(coalesce(output_modalities, ['text']),
                                   lambda m: m NOT IN ('text', 'embeddings'))) > 0) AS makes_other,
           bool_or(alias_of IS NOT NULL) AS is_alias
    FROM offers_as_of(ts) GROUP BY ALL
),
charged AS (  -- offers with a price other than 0 at ts
    SELECT DISTINCT provider, model, route FROM prices_as_of(ts)
    WHERE context_threshold = 0 AND service_tier = 'standard' AND (dynamic OR price <> 0)
),
blended AS (
    SELECT c.capability, c.provider, c.model, c.canonical_model, c.route, p.unit AS price_unit,
           p.input_price, p.output_price, p.cache_read_price,
           CASE
             WHEN p.input_price IS NOT NULL AND p.output_price IS NOT NULL THEN
               -- decimal products; DuckDB divides decimals as DOUBLE: round to 12 places
               round(CAST(mix_input * ((1 - cache_share) * p.input_price
                          + cache_share * coalesce(p.cache_read_price, p.input_price))
                          + mix_output * p.output_price AS DOUBLE)
                     / CAST(mix_input + mix_output AS DOUBLE), 12)
             ELSE coalesce(p.input_price, p.output_price)
           END AS blended_price,
           coalesce(p.input_price, 0) = 0 AND coalesce(p.output_price, 0) = 0
               AND NOT coalesce(o.makes_other, false)
               AND NOT EXISTS (SELECT 1 FROM charged x WHERE x.provider = p.provider
                               AND x.model = p.model AND x.route = p.route) AS is_free,
           p.price_since, p.price_source
    FROM capabilities_as_of(ts) c
    JOIN priced p USING (provider, model, route)
    LEFT JOIN outputs o USING (provider, model, route)
    -- a model that makes no tokens is not ranked by token prices (flux at 0 per 1M tokens),
    -- nor one that bills what else it makes and charges nothing per token (lyria, text and
    -- audio at 0 per 1M: its cost is the audio, not sent, so it is not the cheapest)
    WHERE (p.input_price IS NOT NULL OR p.output_price IS NOT NULL)
      AND (p.unit <> 'per_1m_tokens' OR coalesce(o.makes_tokens, true))
      AND NOT (p.unit = 'per_1m_tokens' AND coalesce(o.makes_other, false)
               AND coalesce(p.input_price, 0) = 0 AND coalesce(p.output_price, 0) = 0)
      AND NOT coalesce(o.is_alias, false)  -- an alias id is the offer it names: counted once
),
seen AS (
    SELECT source, max(observed_at) AS observed_at FROM runs
    WHERE is_good_run(status) AND observed_at <= ts GROUP BY source
)
SELECT b.capability,
       row_number() OVER (PARTITION BY b.capability, b.price_unit, b.is_free
                          ORDER BY b.blended_price, b.input_price NULLS LAST,
                                   b.output_price NULLS LAST, b.provider, b.model, b.route)
       AS rank,
       b.provider, b.model, b.canonical_model, b.route, b.input_price, b.output_price,
       CAST(b.blended_price AS DECIMAL(38, 12)) AS blended_price, b.is_free,
       s.observed_at, b.price_unit, b.cache_read_price, b.price_since, b.price_source
FROM blended b
LEFT JOIN seen s ON s.source = b.price_source;
