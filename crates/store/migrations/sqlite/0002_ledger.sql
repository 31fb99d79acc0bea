-- The transparency log. The events table is the log's content (leaf i = event seq i + 1); these
-- tables hold what the sequencer has sealed. Checkpoints are immutable.
CREATE TABLE ledger_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    state BLOB NOT NULL
);
INSERT INTO ledger_state (id, size, state) VALUES (1, 0, X'000000000000000000');

CREATE TABLE ledger_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    at_us INTEGER NOT NULL
);
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;

CREATE TABLE ledger_cosignatures (
    size INTEGER NOT NULL REFERENCES ledger_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    PRIMARY KEY (size, witness)
);
