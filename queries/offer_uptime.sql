-- Uptime per offer and UTC day over the last 30 days (offer_uptime_as_of(now(), 30)).
CREATE OR REPLACE VIEW offer_uptime AS
SELECT * FROM offer_uptime_as_of(now(), 30);
