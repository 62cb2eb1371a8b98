-- Likely the same model at two providers but not matched: canonical ids that differ only a
-- little and carry the same numbers (so "8b" and "70b" never pair up). Fix a true pair with
-- an override (model_identity_overrides, from the TOML file).
CREATE OR REPLACE VIEW unmatched_models AS
WITH ids AS (SELECT DISTINCT provider, canonical_model FROM model_identity)
SELECT a.provider AS provider_a, a.canonical_model AS canonical_a,
       b.provider AS provider_b, b.canonical_model AS canonical_b,
       round(jaro_winkler_similarity(a.canonical_model, b.canonical_model), 3) AS similarity
FROM ids a
JOIN ids b ON a.provider < b.provider AND a.canonical_model <> b.canonical_model
WHERE jaro_winkler_similarity(a.canonical_model, b.canonical_model) >= 0.9
  AND regexp_extract_all(a.canonical_model, '[0-9]+') =
      regexp_extract_all(b.canonical_model, '[0-9]+')
  AND NOT EXISTS (SELECT 1 FROM ids x WHERE x.provider = b.provider
                  AND x.canonical_model = a.canonical_model)
ORDER BY similarity DESC, provider_a, canonical_a;
