-- `pricewatch alerts`: every alert detected since $since, of one $kind or all (NULL), with
-- the command's thresholds.
SELECT * FROM price_alerts_with($since, $since, $min_drop_pct, $min_rise_pct,
                                $min_failing_runs)
WHERE ($kind IS NULL OR kind = $kind)
ORDER BY detected_at, kind, alert_id
