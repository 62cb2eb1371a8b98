-- The report's upcoming prices: published, not yet in force.
SELECT * FROM upcoming_prices ORDER BY effective_from, provider, model, route, component
