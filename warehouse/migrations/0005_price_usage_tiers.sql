-- Tiered rates: a price applies from `usage_tier_start` units of usage (tokens for token
-- prices) in the billing period. The Cloud Billing Catalog publishes several tiers per SKU,
-- the first often a $0 allowance; every other source's prices start at 0. The column joins
-- the key, so key_hash is recomputed over the new key (same expression as history.py's
-- _key_digest); existing rows keep their intervals.
ALTER TABLE price_history ADD COLUMN usage_tier_start BIGINT DEFAULT 0;
UPDATE price_history SET key_hash = md5(concat_ws(chr(31),
    coalesce(CAST(source AS VARCHAR), chr(0)), coalesce(CAST(provider AS VARCHAR), chr(0)),
    coalesce(CAST(model AS VARCHAR), chr(0)), coalesce(CAST(route AS VARCHAR), chr(0)),
    coalesce(CAST(component AS VARCHAR), chr(0)),
    coalesce(CAST(service_tier AS VARCHAR), chr(0)),
    coalesce(CAST(context_threshold AS VARCHAR), chr(0)),
    coalesce(CAST(unit AS VARCHAR), chr(0)), coalesce(CAST(currency AS VARCHAR), chr(0)),
    coalesce(CAST(effective_from AS VARCHAR), chr(0)),
    coalesce(CAST(usage_tier_start AS VARCHAR), chr(0))));
