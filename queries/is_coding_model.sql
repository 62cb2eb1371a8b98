-- The coding capability where a provider gives no flag: the model's family or name.
-- Change the pattern here; `pricewatch` reinstalls the views when this file changes.
CREATE OR REPLACE MACRO is_coding_model(model_id) AS (
    regexp_matches(lower(model_id),
        '(coder|codestral|devstral|codellama|code-llama|starcoder|codegemma|codex|'
        || 'wizardcoder|code-?qwen|granite-[0-9.]+b?-code|qwen3-coder|kimi-dev|swe-)')
);
