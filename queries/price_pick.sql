-- Of the rows in force for one key (`grp`, a row of the key's columns), which one is the
-- price: 1 for the winner. A time-of-day window that holds the time before the price without
-- one (`windowed`; false where windows are kept apart), then the latest effective date
-- reached, then source_rank (an exact catalog over a rounding page), then the source's name.
-- prices_as_of, cost_of and vertex_price_discrepancies all pick by it.
CREATE OR REPLACE MACRO price_pick(grp, windowed, effective_from, source) AS (
    row_number() OVER (PARTITION BY grp
                       ORDER BY windowed DESC, effective_from DESC NULLS LAST,
                                source_rank(source), source));
