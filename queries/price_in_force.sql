-- Whether a price_history row is in force at `ts`: its interval covers ts (a price starting
-- exactly at ts applies) and a published effective date, if any, is reached (as a UTC date).
-- prices_as_of, cost_of and vertex_price_discrepancies all ask it.
CREATE OR REPLACE MACRO price_in_force(valid_from, valid_to, effective_from, ts) AS (
    valid_from <= ts AND (valid_to IS NULL OR valid_to > ts)
    AND (effective_from IS NULL
         OR effective_from <= CAST(timezone('UTC', CAST(ts AS TIMESTAMPTZ)) AS DATE)));
