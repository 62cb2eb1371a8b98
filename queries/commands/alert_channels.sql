-- `pricewatch status`: delivered, pending and failed alerts per channel. A row being sent
-- right now ('sending': claimed, result not recorded yet) counts as pending.
SELECT channel, count(*) FILTER (status = 'delivered') AS delivered,
       count(*) FILTER (status IN ('pending', 'sending')) AS pending,
       count(*) FILTER (status = 'failed') AS failed,
       arg_max(last_error, next_attempt_at) FILTER (last_error IS NOT NULL) AS last_error
FROM alert_outbox GROUP BY channel ORDER BY channel
