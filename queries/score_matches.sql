-- Every published score (score_history) with the canonical model it is the score of, and by
-- which rule; or why it is none. In order: an override (model_identity_overrides with the
-- publisher as provider and the label as model; an empty canonical_model keeps a label
-- unmatched on purpose); a run of two models (architect + editor) is never one model's
-- score; the publisher's own model id (OpenRouter's benchmarks name its models: that
-- model's canonical id, as model_identity has it); the label by score_label_rules, when a
-- provider offers that canonical model; the model the run's command named (model_ref, by
-- canonical_model_rules), likewise, and only when it carries the label's numbers (a command's alias moves: `deepseek/deepseek-chat`
-- ran "DeepSeek Chat V2.5" in 2024 and is V3 now). Nothing is matched by similarity: what
-- no rule matches is listed in unmatched_scores.
CREATE OR REPLACE VIEW score_matches AS
WITH known AS (SELECT DISTINCT canonical_model FROM model_identity),
candidates AS (
    SELECT s.*, o.canonical_model AS override,
           score_label_rules(s.model_label) AS by_label,
           CASE WHEN regexp_extract_all(canonical_model_rules(s.model_ref), '[0-9]+')
                     = regexp_extract_all(score_label_rules(s.model_label), '[0-9]+')
                THEN canonical_model_rules(s.model_ref) END AS by_ref
    FROM score_history s
    LEFT JOIN model_identity_overrides o
      ON o.provider = s.provider AND o.model = s.model_label
),
identified AS (
    SELECT c.*, i.canonical_model AS by_id
    FROM candidates c
    LEFT JOIN model_identity i ON i.provider = c.provider AND i.model = c.model_label
)
SELECT c.* EXCLUDE (override, by_id, by_label, by_ref, key_hash, value_hash),
       CASE WHEN c.override IS NOT NULL THEN nullif(c.override, '')
            WHEN c.combined THEN NULL
            WHEN c.by_id IS NOT NULL THEN c.by_id
            WHEN c.by_label IN (SELECT canonical_model FROM known) THEN c.by_label
            WHEN c.by_ref IN (SELECT canonical_model FROM known) THEN c.by_ref
       END AS canonical_model,
       CASE WHEN c.override IS NOT NULL AND c.override <> '' THEN 'override'
            WHEN c.override IS NOT NULL THEN NULL
            WHEN c.combined THEN NULL
            WHEN c.by_id IS NOT NULL THEN 'id'
            WHEN c.by_label IN (SELECT canonical_model FROM known) THEN 'label'
            WHEN c.by_ref IN (SELECT canonical_model FROM known) THEN 'command'
       END AS matched_by,
       CASE WHEN c.override = '' THEN 'kept unmatched by an override'
            WHEN c.override IS NOT NULL THEN NULL
            WHEN c.combined THEN 'two models in one run (architect and editor)'
            WHEN c.by_id IS NOT NULL THEN NULL
            WHEN c.by_label IN (SELECT canonical_model FROM known)
              OR c.by_ref IN (SELECT canonical_model FROM known) THEN NULL
            ELSE 'no offer of ' || c.by_label
                 || coalesce(' or ' || nullif(c.by_ref, c.by_label), '')
       END AS unmatched_reason
FROM identified c;
