-- The newest run each channel's alerts were looked for in: the next pass reads only the
-- changes of later runs (from the earliest observation among them), not every alert since
-- the channel was added. NULL: not looked yet, the next pass starts at added_at.
ALTER TABLE alert_channels ADD COLUMN seen_through_run BIGINT;
