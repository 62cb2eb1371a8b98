-- The prices in force at `ts` on one route per offer, as a map with one price per model
-- has them: the provider's own route ('') where it has prices, else the first other route
-- by name (nscale's prices reach pricewatch through the Hugging Face router). What
-- `pricewatch audit` compares a map with, and `export --format litellm` writes.
CREATE OR REPLACE MACRO map_prices_as_of(ts) AS TABLE
WITH offered AS (
    SELECT *, dense_rank() OVER (PARTITION BY provider, model ORDER BY route <> '', route)
              AS route_pick
    FROM prices_as_of(ts)
    WHERE price IS NOT NULL AND currency = 'USD'
)
SELECT * EXCLUDE (route_pick) FROM offered WHERE route_pick = 1;
