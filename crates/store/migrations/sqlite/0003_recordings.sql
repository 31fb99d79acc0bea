-- Sealed recording segments: the file at `path` (relative to the recordings store) hashes to
-- `sha256`; each is also a ledger event (`recording.segment_sealed`).
CREATE TABLE recording_segments (
    id INTEGER PRIMARY KEY,
    input_id INTEGER NOT NULL REFERENCES room_inputs (id),
    start_us INTEGER NOT NULL,
    end_us INTEGER NOT NULL,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    prev_sha256 TEXT,
    damaged BOOLEAN NOT NULL,
    video_frames INTEGER NOT NULL,
    audio_frames INTEGER NOT NULL,
    lost_packets INTEGER NOT NULL
);
CREATE INDEX recording_segments_by_input ON recording_segments (input_id, start_us);
