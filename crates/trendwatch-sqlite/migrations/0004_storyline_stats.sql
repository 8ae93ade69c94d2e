-- Per-storyline, per-language figures that every page's "Recent trends" shows. Kept up to
-- date whenever articles are assigned, moved or rewritten, so reading a storyline's summary
-- never aggregates its articles (a storyline can run for years).

CREATE TABLE storyline_stats (
    storyline_id      INTEGER NOT NULL REFERENCES storylines (id) ON DELETE CASCADE,
    lang              TEXT    NOT NULL,
    articles          INTEGER NOT NULL,
    first_period      INTEGER NOT NULL,
    last_period       INTEGER NOT NULL,
    last_published_at TEXT    NOT NULL,
    latest_title      TEXT    NOT NULL,
    latest_status     TEXT    NOT NULL,
    topics            TEXT    NOT NULL,   -- topic slugs, most frequent first, comma-separated
    PRIMARY KEY (storyline_id, lang)
);
CREATE INDEX storyline_stats_recent ON storyline_stats (lang, last_published_at);
