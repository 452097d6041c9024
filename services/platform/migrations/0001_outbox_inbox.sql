-- Transactional outbox: events are written here in the same transaction as the
-- state change; the relay publishes them to JetStream with Nats-Msg-Id = id.
CREATE TABLE outbox (
    id            uuid PRIMARY KEY,           -- UUIDv7: time-ordered
    event_type    text NOT NULL,              -- e.g. contracts.agreement.signed (subject without prefix)
    payload       bytea NOT NULL,             -- kumppani.events.v1.Envelope
    headers       jsonb NOT NULL DEFAULT '{}',-- trace context
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Idempotent consumers: the event id is recorded in the same transaction as the effect.
CREATE TABLE inbox (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    event_type    text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
