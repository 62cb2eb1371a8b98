-- `pricewatch export --format litellm`: the prices in force now, one route per offer
-- (map_prices_as_of), with the offer's context and modalities and the URL each price was
-- fetched from.
SELECT p.provider, p.model, p.route, p.component, p.service_tier, p.context_threshold,
       p.unit, p.price, p.utc_days, p.utc_start_minute, p.utc_end_minute, p.usage_tier_start,
       o.context_length, o.max_output_tokens, o.input_modalities, o.output_modalities,
       (SELECT min(url) FROM fetch_log f WHERE f.run_id = p.run_id) AS source_url
FROM map_prices_as_of(now()) p
LEFT JOIN current_offers o USING (provider, model, route)
ORDER BY p.provider, p.model, p.component, p.service_tier, p.context_threshold, p.unit
