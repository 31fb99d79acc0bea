-- Registers of unreliable suppliers (реестр недобросовестных участников государственных закупок):
-- one row per BIN and register, kept whatever the directory holds (a business added later is
-- known at once). A complete import of a register delists those it no longer names; a row is
-- never deleted, so who was listed when stays answerable (docs/TENDERS.md).
CREATE TABLE unreliable_suppliers (
    id INTEGER PRIMARY KEY,
    bin TEXT NOT NULL,
    name TEXT NOT NULL,
    registry TEXT NOT NULL,
    since TEXT NOT NULL,
    until TEXT,
    reason TEXT,
    delisted TEXT,
    -- The import run that last named it: a complete run delists the rows it did not name.
    seen_run TEXT NOT NULL,
    UNIQUE (bin, registry)
);

-- Where a pull of a register from the procurement portal stands: its run (so the pages of one
-- pull, resumed or not, count as one complete import) and the next page to fetch.
CREATE TABLE registry_pulls (
    registry TEXT PRIMARY KEY,
    run TEXT NOT NULL,
    next_url TEXT,
    updated_us INTEGER NOT NULL
);
