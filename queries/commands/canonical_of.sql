-- The canonical id the identity rules give a name as typed.
SELECT canonical_model_rules($name) AS canonical_model
