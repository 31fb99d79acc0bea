-- Passwords (argon2id PHC strings) and browser sessions (only the SHA-256 of the session token is
-- kept; the CSRF token is per session).
CREATE TABLE account_passwords (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    hash TEXT NOT NULL,
    set_us INTEGER NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_us);
