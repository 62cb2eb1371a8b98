-- A display name per canonical id of $models: the shortest its offers give, a `(free)`
-- variant's only when there is no other.
SELECT i.canonical_model,
       arg_min(o.display_name, (o.display_name LIKE '%(free)', length(o.display_name),
                                o.display_name)) AS display_name
FROM offer_history o JOIN model_identity i USING (provider, model)
WHERE list_contains($models, i.canonical_model) AND o.display_name <> ''
GROUP BY 1
