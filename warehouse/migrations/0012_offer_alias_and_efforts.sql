-- Two offer attributes OpenRouter's catalogue carries since 2026: `alias_of`, the model an
-- alias id (`~deepseek/deepseek-pro-latest`) stands for (its `alias_target`), so rankings
-- count one offer, not two; and `reasoning_efforts`, the reasoning efforts a model accepts.
-- Both are values of the offer, so value_hash is recomputed over the new value (same
-- expression as history.py's _value_digest); existing rows, without them, keep their
-- intervals.
ALTER TABLE offer_history ADD COLUMN alias_of VARCHAR;
ALTER TABLE offer_history ADD COLUMN reasoning_efforts VARCHAR[];
UPDATE offer_history SET value_hash = hash(status, retiring_on, display_name, context_length,
    max_output_tokens, max_prompt_tokens, input_modalities, output_modalities, capabilities,
    supported_parameters, quantization, alias_of, reasoning_efforts);
