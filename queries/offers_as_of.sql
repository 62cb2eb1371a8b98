-- Offers listed at a time, with what availability meant then.
CREATE OR REPLACE MACRO offers_as_of(ts) AS TABLE
SELECT o.provider, o.model, canonical_id(i.canonical_model, o.model)
       AS canonical_model, o.route, o.status, o.retiring_on, o.display_name, o.context_length,
       o.max_output_tokens, o.max_prompt_tokens, o.input_modalities, o.output_modalities,
       o.capabilities, o.supported_parameters, o.quantization, o.source, o.valid_from,
       o.alias_of, o.reasoning_efforts
FROM offer_history o
LEFT JOIN model_identity_overrides i USING (provider, model)
WHERE o.valid_from <= ts AND (o.valid_to IS NULL OR o.valid_to > ts);
