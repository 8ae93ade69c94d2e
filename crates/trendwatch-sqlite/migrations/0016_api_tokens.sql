-- Per-user tokens of the JSON API: each acts with its owner's role, is stored only as the
-- SHA-256 of its value, and can be revoked; a disabled account's tokens stop working.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_of_user ON api_tokens (user_id);
