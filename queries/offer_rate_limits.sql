-- The published limits in force now for each current offer: a limit attaches to the offers
-- its scope covers (rate_limit_covers), never to every offer of its provider.
CREATE OR REPLACE VIEW offer_rate_limits AS
SELECT o.provider, o.model, o.route, l.scope, l.metric, l.value, l.enforced, l.condition,
       l.note, l.source, l.valid_from
FROM current_offers o
JOIN rate_limit_history l
  ON l.valid_to IS NULL AND rate_limit_covers(l.provider, l.scope, o.provider, o.model);
