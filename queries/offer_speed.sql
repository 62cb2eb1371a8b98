-- Speed per offer over the last 7 days (offer_speed_as_of(now(), 7)).
CREATE OR REPLACE VIEW offer_speed AS
SELECT * FROM offer_speed_as_of(now(), 7);
