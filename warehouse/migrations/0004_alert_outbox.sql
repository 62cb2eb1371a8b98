-- Alerts waiting for delivery, one row per alert and channel: delivered exactly once, and a
-- failed delivery stays pending (with its next attempt time) across restarts.
CREATE TABLE alert_channels (
    channel     VARCHAR PRIMARY KEY,
    added_at    TIMESTAMPTZ NOT NULL      -- alerts before this are not sent on it
);

CREATE TABLE alert_outbox (
    alert_id         VARCHAR NOT NULL,
    channel          VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    provider         VARCHAR,
    message          VARCHAR NOT NULL,
    payload          VARCHAR NOT NULL,    -- the JSON object sent to a webhook
    detected_at      TIMESTAMPTZ NOT NULL,
    enqueued_at      TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL,    -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    last_error       VARCHAR,
    PRIMARY KEY (alert_id, channel)
);
