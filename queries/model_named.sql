-- Whether any of `names`, as people type them, names this model: its id in any case, or
-- its canonical id (canonical_model_rules of the name). compare, budget, report and the
-- CLI's unknown-model check all match names so.
CREATE OR REPLACE MACRO model_named(model, canonical_model, names) AS (
    list_contains(list_transform(names, lambda n: lower(n)), lower(model))
    OR list_contains(list_transform(names, lambda n: canonical_model_rules(n)),
                     canonical_model)
);
