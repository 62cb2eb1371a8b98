-- Every model with its canonical id (close matches for a name that names none).
SELECT DISTINCT model, canonical_model FROM model_identity
