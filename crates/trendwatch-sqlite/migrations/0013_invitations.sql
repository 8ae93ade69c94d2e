-- Invitations to the desk: an admin invites an address with a role; the one-time link holds
-- a random token, of which only the SHA-256 is kept here.
CREATE TABLE invitations (
    token_hash  BLOB    PRIMARY KEY,
    email       TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('analyst', 'editor', 'admin')),
    invited_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT
) WITHOUT ROWID;
