-- What each community price map audited on a schedule (the `audit.maps` setting, sources
-- audit.<map>) gets wrong now, by its latest audit: every component classed wrong, stale,
-- unit_error or missing_component, with the day the disagreement was first found and the
-- audit that last found it. map_audit_history keeps every audit's classes, agreements
-- too, with their intervals.
CREATE OR REPLACE VIEW map_disagreements AS
SELECT split_part(h.source, '.', 2) AS map, h.map_key AS key, h.provider, h.model,
       h.component, h.service_tier, h.context_threshold, h.unit, h.map_price,
       h.provider_price,
       CASE WHEN h.provider_price > 0 AND h.map_price IS NOT NULL
            THEN round(CAST(h.map_price AS DOUBLE) / CAST(h.provider_price AS DOUBLE), 6)
       END AS ratio,
       h.map_class AS class, h.valid_from AS since, r.observed_at AS audited_at,
       h.map_field AS field, h.source, h.opened_by_run AS run_id
FROM map_audit_history h
JOIN (SELECT source, max(observed_at) AS observed_at FROM runs
      WHERE is_good_run(status) GROUP BY source) r USING (source)
WHERE h.valid_to IS NULL AND h.map_class <> 'agree';
