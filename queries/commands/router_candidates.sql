-- `pricewatch router-config`: paid, token-priced offers per capability, cheapest first.
SELECT c.capability, c.rank, c.provider, c.model, c.route, c.input_price, c.output_price,
       c.blended_price, o.context_length, o.supported_parameters
FROM cheapest_per_capability c
JOIN current_offers o USING (provider, model, route)
WHERE NOT c.is_free AND c.price_unit = 'per_1m_tokens'
ORDER BY c.capability, c.rank
