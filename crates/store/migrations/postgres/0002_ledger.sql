-- The transparency log. The events table is the log's content (leaf i = event seq i + 1); these
-- tables hold what the sequencer has sealed. Checkpoints are immutable. Event sequence numbers are
-- assigned at commit under an advisory lock (see postgres.rs), so they are dense and in commit order.
CREATE TABLE ledger_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    state BYTEA NOT NULL
);
INSERT INTO ledger_state (id, size, state) VALUES (1, 0, '\x000000000000000000'::bytea);

CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE FUNCTION ledger_checkpoints_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'checkpoints are immutable'; END $$;
CREATE TRIGGER ledger_checkpoints_no_change BEFORE UPDATE OR DELETE ON ledger_checkpoints
FOR EACH ROW EXECUTE FUNCTION ledger_checkpoints_immutable();

CREATE TABLE ledger_cosignatures (
    size BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (size, witness)
);
