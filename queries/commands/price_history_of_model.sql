-- `pricewatch history MODEL`: every interval of every price of one model.
SELECT provider, model, route, component, service_tier, context_threshold, unit, price,
       currency, dynamic, effective_from, valid_from, valid_to, source, opened_by_run,
       closed_by_run
FROM price_history
WHERE model = $model AND ($provider IS NULL OR provider = $provider)
ORDER BY provider, route, component, service_tier, context_threshold, unit, valid_from
