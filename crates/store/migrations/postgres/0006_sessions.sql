-- Passwords (argon2id PHC strings) and browser sessions (only the SHA-256 of the session token is
-- kept; the CSRF token is per session).
CREATE TABLE account_passwords (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    hash TEXT NOT NULL,
    set_us BIGINT NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    expires_us BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_us);
