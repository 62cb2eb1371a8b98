-- Prices in force at a time: the interval that covers `ts`, and for a key with several
-- published effective dates, the latest one already in effect. Priced per 1M tokens or in
-- the unit named. `source_rank` prefers an exact machine-readable source (Vertex's billing
-- catalog) over a page that rounds, when both priced the same key.
CREATE OR REPLACE MACRO prices_as_of(ts) AS TABLE
WITH open_at AS (
    SELECT h.*,
           CASE h.source WHEN 'vertex.skus' THEN 0 ELSE 1 END AS source_rank
    FROM price_history h
    WHERE h.valid_from <= ts AND (h.valid_to IS NULL OR h.valid_to > ts)
      AND (h.effective_from IS NULL OR h.effective_from <= CAST(ts AS DATE))
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY provider, model, route, component, service_tier, context_threshold, unit
        ORDER BY effective_from DESC NULLS LAST, source_rank, source) AS pick
    FROM open_at
)
SELECT r.provider, r.model, coalesce(i.canonical_model, canonical_model_rules(r.model))
       AS canonical_model, r.route, r.component, r.service_tier, r.context_threshold, r.unit,
       r.price, r.currency, r.valid_from, r.dynamic, r.effective_from, r.source,
       r.opened_by_run AS run_id
FROM ranked r
LEFT JOIN model_identity_overrides i USING (provider, model)
WHERE r.pick = 1;
