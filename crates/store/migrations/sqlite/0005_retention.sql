-- Retention: a deleted segment keeps its row (and its sealing event); the deletion is an event too.
ALTER TABLE recording_segments ADD COLUMN deleted_us INTEGER;
