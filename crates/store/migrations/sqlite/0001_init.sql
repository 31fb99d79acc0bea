-- Glassroom schema, SQLite. Instants are UTC microseconds since the Unix epoch (`*_us`), civil dates
-- 'YYYY-MM-DD' and local times 'HH:MM' in the organisation's zone. Keep in step with ../postgres.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES organisations(id),
    kind TEXT NOT NULL CHECK (kind IN ('akimat', 'department', 'gkp', 'ao')),
    name_ru TEXT NOT NULL,
    name_kk TEXT NOT NULL,
    name_en TEXT NOT NULL,
    bin TEXT,
    time_zone TEXT NOT NULL,
    calendar TEXT NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    position_ru TEXT NOT NULL,
    position_kk TEXT NOT NULL,
    position_en TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    public_servant BOOLEAN NOT NULL,
    iin TEXT,
    phone TEXT
);

CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL CHECK (role IN ('official', 'commission', 'compliance', 'auditor', 'admin')),
    PRIMARY KEY (person_id, org_id, role)
);

CREATE TABLE businesses (
    id INTEGER PRIMARY KEY,
    bin TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    person_id INTEGER REFERENCES people(id),
    business_id INTEGER REFERENCES businesses(id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((person_id IS NULL) <> (business_id IS NULL))
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_us INTEGER NOT NULL
);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    building TEXT NOT NULL,
    floor INTEGER NOT NULL,
    designated BOOLEAN NOT NULL
);

CREATE TABLE room_inputs (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    code TEXT NOT NULL,
    video BOOLEAN NOT NULL,
    audio BOOLEAN NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('recording', 'ready', 'reconnecting', 'offline')),
    state_since_us INTEGER NOT NULL,
    UNIQUE (room_id, code)
);

CREATE TABLE input_state_log (
    id INTEGER PRIMARY KEY,
    input_id INTEGER NOT NULL REFERENCES room_inputs(id),
    at_us INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX input_state_log_by_input ON input_state_log (input_id, at_us);

CREATE TABLE conflicts (
    person_id INTEGER NOT NULL REFERENCES people(id),
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    note TEXT NOT NULL,
    PRIMARY KEY (person_id, business_id)
);
CREATE INDEX conflicts_by_business ON conflicts (business_id);

CREATE TABLE awards (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    reference TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('award', 'contract')),
    award_date TEXT NOT NULL,
    end_date TEXT,
    active BOOLEAN NOT NULL,
    UNIQUE (org_id, kind, reference)
);
CREATE INDEX awards_by_business ON awards (business_id);

CREATE TABLE calendar_days (
    calendar TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('day_off', 'working_day')),
    name TEXT NOT NULL,
    PRIMARY KEY (calendar, day)
);

CREATE TABLE work_schedules (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    effective_from TEXT NOT NULL,
    week TEXT NOT NULL CHECK (week IN ('five_day', 'six_day')),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    lunch_start TEXT,
    lunch_end TEXT,
    PRIMARY KEY (org_id, effective_from)
);

CREATE TABLE policy_settings (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    effective_from TEXT NOT NULL,
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (org_id, setting, effective_from)
);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    host_id INTEGER NOT NULL REFERENCES people(id),
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    wished_from_us INTEGER NOT NULL,
    wished_to_us INTEGER NOT NULL,
    status TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    room_id INTEGER REFERENCES rooms(id),
    start_us INTEGER,
    end_us INTEGER,
    actual_start_us INTEGER,
    actual_end_us INTEGER,
    host_checked_in_us INTEGER,
    business_checked_in_us INTEGER,
    reason TEXT,
    protocol_summary TEXT,
    protocol_outcome TEXT,
    business_confirmed_us INTEGER,
    requested_by INTEGER NOT NULL REFERENCES accounts(id),
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX meetings_register ON meetings (start_us, id) WHERE listed;
-- The public register pages newest first; filtered pages walk one of these in order.
CREATE INDEX meetings_register_by_org ON meetings (org_id, start_us, id) WHERE listed;
CREATE INDEX meetings_register_by_business ON meetings (business_id, start_us, id) WHERE listed;
CREATE INDEX meetings_by_org ON meetings (org_id, status);
CREATE INDEX meetings_by_business ON meetings (business_id);
-- Bookings (meetings holding a room and people): looked up by start within a window as long as the
-- longest meeting, so an overlap check costs the same whatever the history.
CREATE INDEX meetings_room_bookings ON meetings (room_id, start_us) WHERE status IN ('scheduled', 'in_progress');
CREATE INDEX meetings_host_bookings ON meetings (host_id, start_us) WHERE status IN ('scheduled', 'in_progress');
CREATE INDEX meetings_bookings_by_start ON meetings (start_us) WHERE status IN ('scheduled', 'in_progress');

CREATE TABLE meeting_commission (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    checked_in_us INTEGER,
    signed_us INTEGER,
    PRIMARY KEY (meeting_id, person_id)
);
CREATE INDEX meeting_commission_by_person ON meeting_commission (person_id);

CREATE TABLE meeting_representatives (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    position INTEGER NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT,
    iin TEXT,
    phone TEXT,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE overrides (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    rule TEXT NOT NULL,
    justification TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    at_us INTEGER NOT NULL
);
CREATE INDEX overrides_by_meeting ON overrides (meeting_id);

CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    meeting_id INTEGER REFERENCES meetings(id),
    rule TEXT NOT NULL,
    details TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_us INTEGER NOT NULL
);
CREATE INDEX violations_by_org ON violations (org_id, opened_us);

-- Bumped by every directory change, so each server knows when its in-memory snapshot of the
-- directory (organisations, people, rooms, calendars, policies, conflicts, awards) is stale.
CREATE TABLE directory_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);

-- The event journal: append-only. The ledger (Merkle log) seals these rows in `seq` order.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    actor TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_by_subject ON events (subject, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
