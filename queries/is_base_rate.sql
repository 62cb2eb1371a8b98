-- Of a tiered rate's picked rows for one key (`grp`, a row of the key's columns without
-- usage_tier_start), whether this tier is the base rate: the first tier that charges (a
-- catalog's first tier is often a $0 allowance), else the first. Every tier stays in
-- price_history and current_price_tiers. prices_as_of, cost_of and
-- vertex_price_discrepancies all take the base rate by it.
CREATE OR REPLACE MACRO is_base_rate(usage_tier_start, price, grp) AS (
    usage_tier_start = coalesce(min(usage_tier_start) FILTER (price > 0)
                                    OVER (PARTITION BY grp),
                                min(usage_tier_start) OVER (PARTITION BY grp)));
