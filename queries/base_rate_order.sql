-- The order in which a tiered rate's tiers (one picked row per tier of a key) are taken as
-- its base rate: the least is it. The first tier that charges (a catalog's first tier is
-- often a $0 allowance), else the first. Every tier stays in price_history and
-- current_price_tiers. prices_as_of, cost_of and vertex_price_discrepancies all take the
-- base rate by it.
CREATE OR REPLACE MACRO base_rate_order(price, usage_tier_start) AS (
    (NOT coalesce(price > 0, false), usage_tier_start));
