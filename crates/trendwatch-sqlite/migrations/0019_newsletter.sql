-- The weekly digest by e-mail: readers' subscriptions, the secret that signs their links,
-- and each digest send with its queue of recipients. The queue is what lets a send that
-- stopped half-way resume without sending anyone the same digest twice.
CREATE TABLE subscribers (
    id           INTEGER PRIMARY KEY,
    email        TEXT    NOT NULL UNIQUE,
    lang         TEXT    NOT NULL CHECK (lang IN ('en', 'ru')),
    -- Topic slugs, comma-separated; empty: every topic.
    topics       TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL
                 CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'suppressed')),
    created_at   TEXT    NOT NULL,
    confirmed_at TEXT,
    -- Why the address is suppressed (the SMTP server's answer), when it is.
    failure      TEXT
);
CREATE INDEX subscribers_by_lang_state ON subscribers (lang, state);

-- Secrets of the site, made once on first use (the key that signs readers' links).
CREATE TABLE site_secrets (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) WITHOUT ROWID;

-- One digest send: a week in one language. Sending the same week again resumes it.
CREATE TABLE digest_sends (
    id          INTEGER PRIMARY KEY,
    period_key  INTEGER NOT NULL,
    lang        TEXT    NOT NULL CHECK (lang IN ('en', 'ru')),
    created_by  INTEGER REFERENCES users (id),
    created_at  TEXT    NOT NULL,
    UNIQUE (period_key, lang)
);

-- Every recipient of a send, fixed when the send starts.
CREATE TABLE digest_recipients (
    send_id       INTEGER NOT NULL REFERENCES digest_sends (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    state         TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'interrupted', 'skipped')),
    updated_at    TEXT,
    error         TEXT,
    PRIMARY KEY (send_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX digest_recipients_by_state ON digest_recipients (send_id, state);
