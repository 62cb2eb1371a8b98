-- What is available now: one row per listed offer (provider, model, route).
CREATE OR REPLACE VIEW current_offers AS
SELECT * FROM offers_as_of(now());
