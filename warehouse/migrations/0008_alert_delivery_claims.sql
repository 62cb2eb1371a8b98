-- A delivery pass claims the rows it sends before sending them (status 'sending', with its
-- owner and a lease), in a transaction a second pass cannot see past: two jobs finishing
-- together once sent every alert twice. The result is recorded after the request, by the
-- owner. A lease that runs out (the process died between claim and record) makes the row
-- due again: that alert may be sent twice, and the receiver can tell by its alert id.
ALTER TABLE alert_outbox ADD COLUMN claimed_by VARCHAR;
ALTER TABLE alert_outbox ADD COLUMN lease_until TIMESTAMPTZ;
