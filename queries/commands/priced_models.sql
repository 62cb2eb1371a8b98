-- Every model with a recorded price (close matches for an unknown one).
SELECT DISTINCT model FROM price_history
