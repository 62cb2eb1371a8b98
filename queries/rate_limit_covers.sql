-- Whether a published rate limit's scope covers an offer of the same provider:
--   ':free models'                      the ':free' variants only (OpenRouter)
--   'api key', 'account', 'serverless inference'   every offer of the provider
--   'standard paygo models'             every Gemini model (Vertex's Standard PayGo)
--   '<Family> ... models'               a model family ("Gemini Pro models", "Gemini Flash
--                                       and Flash-Lite models"): the first word starts the
--                                       model id and another word is one of its parts
--   anything else                       one model, by id or canonical id
-- So a paid OpenRouter model never shows the ':free' limits, and Vertex's Llama never shows
-- Gemini's dynamic shared quota.
CREATE OR REPLACE MACRO rate_limit_covers(limit_provider, scope, offer_provider, offer_model) AS (
    limit_provider = offer_provider AND CASE
        WHEN scope = ':free models' THEN offer_model LIKE '%:free'
        WHEN lower(scope) IN ('api key', 'account', 'serverless inference') THEN true
        WHEN lower(scope) = 'standard paygo models' THEN lower(offer_model) LIKE 'gemini-%'
        WHEN lower(scope) LIKE '% models' THEN
            starts_with(lower(offer_model),
                        string_split(lower(scope), ' ')[1] || '-')
            AND len(list_intersect(
                    list_filter(string_split(regexp_replace(lower(scope), ' models$', ''), ' ')[2:],
                                lambda w: w <> 'and'),
                    list_concat(string_split(lower(offer_model), '-'),
                                [regexp_replace(lower(offer_model), '^[a-z]+-[0-9.]+-', '')]))) > 0
        ELSE lower(scope) = lower(offer_model)
             OR canonical_model_rules(scope) = canonical_model_rules(offer_model)
    END
);
