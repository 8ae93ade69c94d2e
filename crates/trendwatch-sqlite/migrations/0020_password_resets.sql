-- Password resets of desk accounts: a one-time link e-mailed to the account's address; only
-- the SHA-256 of its token is kept. Using one sets the password and ends the account's
-- sessions, in one transaction.
CREATE TABLE password_resets (
    token_hash  BLOB    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT
) WITHOUT ROWID;
CREATE INDEX password_resets_of_user ON password_resets (user_id);
