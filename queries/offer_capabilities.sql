-- One row per offer listed at `ts` and capability. Derived from collected attributes; coding from
-- the model's name (is_coding_model); long context from context_length and the setting
-- long_context_tokens; "text" is every text-generating offer (the "any model" capability).
CREATE OR REPLACE MACRO capabilities_as_of(ts) AS TABLE
SELECT provider, model, canonical_model, route, source, status, context_length,
       unnest(list_filter([
           CASE WHEN list_contains(output_modalities, 'text') OR output_modalities IS NULL
                THEN 'text' END,
           CASE WHEN list_contains(capabilities, 'reasoning') THEN 'reasoning' END,
           CASE WHEN is_coding_model(model) THEN 'coding' END,
           CASE WHEN list_contains(capabilities, 'image_input') THEN 'vision' END,
           CASE WHEN list_contains(capabilities, 'audio_input') THEN 'audio' END,
           CASE WHEN list_contains(capabilities, 'tools') THEN 'tool_use' END,
           CASE WHEN list_contains(capabilities, 'structured_outputs')
                THEN 'structured_output' END,
           CASE WHEN context_length >= view_setting('long_context_tokens')
                THEN 'long_context' END,
           CASE WHEN list_contains(capabilities, 'image_output') THEN 'image_generation' END,
           CASE WHEN list_contains(capabilities, 'embeddings') THEN 'embeddings' END,
           CASE WHEN list_contains(capabilities, 'free') THEN 'free' END
       ], lambda c: c IS NOT NULL)) AS capability
FROM offers_as_of(ts)
WHERE status IN ('available', 'preview', 'retiring');

CREATE OR REPLACE VIEW offer_capabilities AS
SELECT * FROM capabilities_as_of(now());
