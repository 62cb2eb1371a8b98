-- Time-of-day and weekday prices (OpenRouter's `pricing.overrides` with `utc_start`,
-- `utc_end` and `utc_days`): a price holds on `utc_days` (three-letter names, "" for every
-- day) from minute `utc_start_minute` to `utc_end_minute` (exclusive) of the UTC day. The
-- columns join the key, so key_hash is recomputed over the new key (same expression as
-- history.py's _key_digest); existing rows, without a window, keep their intervals.
ALTER TABLE price_history ADD COLUMN utc_days VARCHAR DEFAULT '';
ALTER TABLE price_history ADD COLUMN utc_start_minute INTEGER DEFAULT 0;
ALTER TABLE price_history ADD COLUMN utc_end_minute INTEGER DEFAULT 1440;
UPDATE price_history SET key_hash = md5(concat_ws(chr(31),
    coalesce(CAST(source AS VARCHAR), chr(0)), coalesce(CAST(provider AS VARCHAR), chr(0)),
    coalesce(CAST(model AS VARCHAR), chr(0)), coalesce(CAST(route AS VARCHAR), chr(0)),
    coalesce(CAST(component AS VARCHAR), chr(0)),
    coalesce(CAST(service_tier AS VARCHAR), chr(0)),
    coalesce(CAST(context_threshold AS VARCHAR), chr(0)),
    coalesce(CAST(unit AS VARCHAR), chr(0)), coalesce(CAST(currency AS VARCHAR), chr(0)),
    coalesce(CAST(effective_from AS VARCHAR), chr(0)),
    coalesce(CAST(usage_tier_start AS VARCHAR), chr(0)),
    coalesce(CAST(utc_days AS VARCHAR), chr(0)),
    coalesce(CAST(utc_start_minute AS VARCHAR), chr(0)),
    coalesce(CAST(utc_end_minute AS VARCHAR), chr(0))));
