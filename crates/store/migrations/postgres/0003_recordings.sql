-- Sealed recording segments: the file at `path` (relative to the recordings store) hashes to
-- `sha256`; each is also a ledger event (`recording.segment_sealed`).
CREATE TABLE recording_segments (
    id BIGSERIAL PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES room_inputs (id),
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    prev_sha256 TEXT,
    damaged BOOLEAN NOT NULL,
    video_frames BIGINT NOT NULL,
    audio_frames BIGINT NOT NULL,
    lost_packets BIGINT NOT NULL
);
CREATE INDEX recording_segments_by_input ON recording_segments (input_id, start_us);
