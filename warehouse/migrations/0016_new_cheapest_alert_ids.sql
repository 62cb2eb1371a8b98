-- new_cheapest alerts are named by the state they announce (the offer, the capability, the
-- unit and the blended price), no longer by when the winner's price began: a run ingested
-- late that saw the same price earlier moved that time, gave the alert a new id, and the
-- channel was sent it again (queries/price_alerts.sql). The outbox's new_cheapest rows take
-- their new ids, made from what they sent, so no current winner is sent again after the
-- upgrade. Where the old ids gave one state several rows on a channel (the repeats this
-- mends), one takes the new id (a delivered one first) and the others keep theirs, as the
-- record of what was sent. Rows not sent yet carry the new id in their body too.
UPDATE alert_outbox SET
    alert_id = renamed.new_id,
    payload = CASE WHEN alert_outbox.status IN ('pending', 'sending')
                   THEN replace(alert_outbox.payload,
                                '"alert_id": "' || alert_outbox.alert_id || '"',
                                '"alert_id": "' || renamed.new_id || '"')
                   ELSE alert_outbox.payload END
FROM (
    SELECT alert_id, channel, new_id FROM (
        SELECT alert_id, channel, new_id,
               row_number() OVER (PARTITION BY channel, new_id
                                  ORDER BY status = 'delivered' DESC, enqueued_at, alert_id)
               AS nth
        FROM (SELECT alert_id, channel, status, enqueued_at,
                     md5(concat_ws('|', kind, provider,
                                   json_extract_string(payload, '$.model'),
                                   json_extract_string(payload, '$.route'),
                                   coalesce(json_extract_string(payload, '$.component'), ''),
                                   json_extract_string(payload, '$.unit'),
                                   json_extract_string(payload, '$.new_price'))) AS new_id
              FROM alert_outbox WHERE kind = 'new_cheapest'))
    WHERE nth = 1) AS renamed
WHERE alert_outbox.alert_id = renamed.alert_id AND alert_outbox.channel = renamed.channel;
