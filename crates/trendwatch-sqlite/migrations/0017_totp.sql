-- Optional two-step sign-in (TOTP, RFC 6238). The secret is what the authenticator app holds;
-- `totp_pending` a secret shown but not yet confirmed with a code; `totp_last_step` the last
-- time step a code was accepted for, so that no code works twice. Recovery codes are kept as
-- SHA-256 only and work once. A sign-in that passed the password and waits for its code is a
-- pending login, found by the hash of its token.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
CREATE TABLE pending_logins (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL
) WITHOUT ROWID;
