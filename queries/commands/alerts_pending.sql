-- `pricewatch alerts --pending`: the outbox, alerts not yet delivered, per channel.
SELECT channel, alert_id, kind, status, attempts, next_attempt_at, last_error, message
FROM alert_outbox WHERE status <> 'delivered'
ORDER BY channel, detected_at
