-- The providers that price a model (`history MODEL --provider P` names them when P does not).
SELECT DISTINCT provider FROM price_history WHERE model = $model ORDER BY provider
