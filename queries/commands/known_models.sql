-- Every current model with its canonical id and display name (for close matches).
SELECT DISTINCT model, canonical_model, display_name FROM current_offers
