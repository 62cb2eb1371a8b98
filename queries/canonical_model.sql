-- Canonical model id by rules: the same model at OpenRouter, nscale and Vertex AI gets one id.
--   lower case; drop the vendor/org prefix ("meta-llama/"); drop ":free"-style variants and
--   Vertex "@version"; spaces and underscores become "-"; "meta-llama-" -> "llama-"; drop
--   "-instruct", "-maas", "-it", "-chat", "-hf" words; drop a trailing date or snapshot
--   number ("-2507", "-0324", "-20240620", "-2024-08-06", "-03-25", "-001"); join the family
--   name and its version ("llama-3.1-8b" -> "llama3.1-8b", as "qwen3-8b" is written), and
--   nothing after it: joining every letter and digit made "qwen2.5-coder32b" and
--   "gpt-oss120b", which read as typos and matched no more models across providers.
-- What the rules cannot decide goes into model_identity_overrides (see model_identity).
CREATE OR REPLACE MACRO canonical_model_rules(model_id) AS (
    regexp_replace(
      regexp_replace(
        regexp_replace(
          regexp_replace(
            regexp_replace(
              regexp_replace(
                regexp_replace(
                  regexp_replace(lower(trim(model_id)), '^.*/', ''),
                '[:@].*$', ''),
              '[\s_]+', '-', 'g'),
            '^meta-llama-', 'llama-'),
          '-(instruct|maas|it|chat|hf)(-|$)', '\2', 'g'),
        '-(instruct|maas|it|chat|hf)(-|$)', '\2', 'g'),
      '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}|[0-9]{6}|[0-9]{4}|[0-9]{3}|[0-9]{2}-[0-9]{2})$',
      ''),
    '^([a-z]+)-([0-9])', '\1\2')
);

-- A model's canonical id: its override first (model_identity_overrides.canonical_model,
-- joined on provider and model), else the rules. Every view that names a model's canonical
-- id computes it with this and that join; model_identity lists it for every model seen.
CREATE OR REPLACE MACRO canonical_id(override, model_id) AS
    coalesce(override, canonical_model_rules(model_id));
