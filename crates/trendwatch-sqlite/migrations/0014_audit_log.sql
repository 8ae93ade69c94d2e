-- Who changed what and when in the desk: sign-ins, invitations, account changes (and, as the
-- newsroom grows, publications and state changes). Never a password, hash or token.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    action   TEXT    NOT NULL,
    subject  TEXT    NOT NULL
);
