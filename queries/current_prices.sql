-- What each offer costs now. Prices published with a future effective date are in
-- upcoming_prices, not here.
CREATE OR REPLACE VIEW current_prices AS
SELECT * FROM prices_as_of(now());
