-- `pricewatch audit`: every model each provider has priced, ever: a map whose entries name
-- their models by rules (genai-prices) is matched against these.
SELECT DISTINCT provider, model FROM price_history ORDER BY provider, model
