-- Glassroom schema, PostgreSQL. Instants are UTC microseconds since the Unix epoch (`*_us`), civil dates
-- 'YYYY-MM-DD' and local times 'HH:MM' in the organisation's zone. Keep in step with ../sqlite.

CREATE TABLE organisations (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES organisations(id),
    kind TEXT NOT NULL CHECK (kind IN ('akimat', 'department', 'gkp', 'ao')),
    name_ru TEXT NOT NULL,
    name_kk TEXT NOT NULL,
    name_en TEXT NOT NULL,
    bin TEXT,
    time_zone TEXT NOT NULL,
    calendar TEXT NOT NULL
);

CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    position_ru TEXT NOT NULL,
    position_kk TEXT NOT NULL,
    position_en TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    public_servant BOOLEAN NOT NULL,
    iin TEXT,
    phone TEXT
);

CREATE TABLE person_roles (
    person_id BIGINT NOT NULL REFERENCES people(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL CHECK (role IN ('official', 'commission', 'compliance', 'auditor', 'admin')),
    PRIMARY KEY (person_id, org_id, role)
);

CREATE TABLE businesses (
    id BIGSERIAL PRIMARY KEY,
    bin TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT
);

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    person_id BIGINT REFERENCES people(id),
    business_id BIGINT REFERENCES businesses(id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((person_id IS NULL) <> (business_id IS NULL))
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_us BIGINT NOT NULL
);

CREATE TABLE rooms (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    building TEXT NOT NULL,
    floor BIGINT NOT NULL,
    designated BOOLEAN NOT NULL
);

CREATE TABLE room_inputs (
    id BIGSERIAL PRIMARY KEY,
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    code TEXT NOT NULL,
    video BOOLEAN NOT NULL,
    audio BOOLEAN NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('recording', 'ready', 'reconnecting', 'offline')),
    state_since_us BIGINT NOT NULL,
    UNIQUE (room_id, code)
);

CREATE TABLE input_state_log (
    id BIGSERIAL PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES room_inputs(id),
    at_us BIGINT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX input_state_log_by_input ON input_state_log (input_id, at_us);

CREATE TABLE conflicts (
    person_id BIGINT NOT NULL REFERENCES people(id),
    business_id BIGINT NOT NULL REFERENCES businesses(id),
    note TEXT NOT NULL,
    PRIMARY KEY (person_id, business_id)
);
CREATE INDEX conflicts_by_business ON conflicts (business_id);

CREATE TABLE awards (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    business_id BIGINT NOT NULL REFERENCES businesses(id),
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
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    effective_from TEXT NOT NULL,
    week TEXT NOT NULL CHECK (week IN ('five_day', 'six_day')),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    lunch_start TEXT,
    lunch_end TEXT,
    PRIMARY KEY (org_id, effective_from)
);

CREATE TABLE policy_settings (
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    effective_from TEXT NOT NULL,
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (org_id, setting, effective_from)
);

CREATE TABLE meetings (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    host_id BIGINT NOT NULL REFERENCES people(id),
    business_id BIGINT NOT NULL REFERENCES businesses(id),
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    wished_from_us BIGINT NOT NULL,
    wished_to_us BIGINT NOT NULL,
    status TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    room_id BIGINT REFERENCES rooms(id),
    start_us BIGINT,
    end_us BIGINT,
    actual_start_us BIGINT,
    actual_end_us BIGINT,
    host_checked_in_us BIGINT,
    business_checked_in_us BIGINT,
    reason TEXT,
    protocol_summary TEXT,
    protocol_outcome TEXT,
    business_confirmed_us BIGINT,
    requested_by BIGINT NOT NULL REFERENCES accounts(id),
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL
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
    meeting_id BIGINT NOT NULL REFERENCES meetings(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    checked_in_us BIGINT,
    signed_us BIGINT,
    PRIMARY KEY (meeting_id, person_id)
);
CREATE INDEX meeting_commission_by_person ON meeting_commission (person_id);

CREATE TABLE meeting_representatives (
    meeting_id BIGINT NOT NULL REFERENCES meetings(id),
    position BIGINT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT,
    iin TEXT,
    phone TEXT,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE overrides (
    id BIGSERIAL PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meetings(id),
    rule TEXT NOT NULL,
    justification TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    at_us BIGINT NOT NULL
);
CREATE INDEX overrides_by_meeting ON overrides (meeting_id);

CREATE TABLE violations (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    meeting_id BIGINT REFERENCES meetings(id),
    rule TEXT NOT NULL,
    details TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_us BIGINT NOT NULL
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
    seq BIGSERIAL PRIMARY KEY,
    at_us BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    actor TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_by_subject ON events (subject, seq);

CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'events are immutable'; END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION events_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION events_immutable();
