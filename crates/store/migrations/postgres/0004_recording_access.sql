-- Every opening of a meeting's recordings, with its stated purpose (also a ledger event, written
-- before the first byte is served). Segments are served only under such a grant.
CREATE TABLE recording_access (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    purpose TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX recording_access_by_meeting ON recording_access (meeting_id, at_us);
