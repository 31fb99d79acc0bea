-- Imported OCDS releases, kept whole (any scheme, any extension), and each ocid's record: its
-- compiled release (releases merged by the OCDS rules), or NULL when the ocid has one release, whose
-- compiled form is that release itself (tag "compiled", id "{ocid}-{date}"; see docs/TENDERS.md).
-- Tender winners derived from them go to `awards`.
CREATE TABLE ocds_releases (
    id INTEGER PRIMARY KEY,
    ocid TEXT NOT NULL,
    release_id TEXT NOT NULL,
    date TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (ocid, release_id)
);

CREATE TABLE ocds_records (
    ocid TEXT PRIMARY KEY,
    compiled TEXT,
    releases INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);

-- Where a pull of the procurement portal's contracts (per customer BIN) stopped: the next page to
-- fetch, so an interrupted pull resumes there.
CREATE TABLE portal_cursors (
    customer_bin TEXT PRIMARY KEY,
    next_url TEXT,
    updated_us INTEGER NOT NULL
);
