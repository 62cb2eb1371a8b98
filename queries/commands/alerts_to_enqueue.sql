-- Alert delivery: alerts since a time, with the URL the detecting run fetched.
SELECT a.*, (SELECT min(url) FROM fetch_log f WHERE f.run_id = a.run_id) AS source_url
FROM price_alerts_since($since) a ORDER BY detected_at, alert_id
