-- Published prices whose effective date is still ahead ("Starting January 1, 2027").
CREATE OR REPLACE VIEW upcoming_prices AS
SELECT h.provider, h.model, canonical_id(i.canonical_model, h.model)
       AS canonical_model, h.route, h.component, h.service_tier, h.context_threshold, h.unit,
       h.price, h.currency, h.effective_from, h.valid_from, h.source, h.usage_tier_start
FROM price_history h
LEFT JOIN model_identity_overrides i USING (provider, model)
WHERE h.valid_to IS NULL AND h.effective_from > CAST(timezone('UTC', now()) AS DATE);
