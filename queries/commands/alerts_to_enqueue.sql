-- Alert delivery: the alerts of the runs a channel has not seen yet ($since is the earliest
-- of them, or when the channel was added), with the URL the detecting run fetched.
SELECT a.*, (SELECT min(url) FROM fetch_log f WHERE f.run_id = a.run_id) AS source_url
FROM price_alerts_with($since, $since, $min_drop_pct, $min_rise_pct, $min_failing_runs) a
ORDER BY detected_at, alert_id
