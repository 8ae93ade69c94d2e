-- The newsroom's articles, in tables of their own: nothing a reader's page queries reads
-- them, and publishing copies an article into `articles` (key `desk-<id>`). A draft cannot
-- leak through a public query that forgot a status filter, because public queries never
-- see these tables.
CREATE TABLE desk_articles (
    id                 INTEGER PRIMARY KEY,
    -- Copied from the current revision for the week grid and lists.
    lang               TEXT    NOT NULL,
    topic              TEXT    NOT NULL,
    period             INTEGER NOT NULL,
    title              TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    author_id          INTEGER NOT NULL REFERENCES users (id),
    revision           INTEGER NOT NULL,
    translation_of     INTEGER REFERENCES desk_articles (id),
    scheduled_at       TEXT,
    published_revision INTEGER,
    -- First publication (UTC): republishing an edited article keeps its date.
    published_at       TEXT,
    updated_at         TEXT    NOT NULL,
    updated_by         INTEGER NOT NULL REFERENCES users (id),
    locked_by          INTEGER REFERENCES users (id),
    locked_at          TEXT
);
CREATE INDEX desk_articles_by_week ON desk_articles (period, topic, lang);
CREATE INDEX desk_articles_by_author ON desk_articles (author_id, state);
CREATE INDEX desk_articles_due ON desk_articles (scheduled_at) WHERE state = 'scheduled';
CREATE INDEX desk_articles_translations ON desk_articles (translation_of);

-- Every save that changes content; `content` is the form's fields as JSON.
CREATE TABLE desk_revisions (
    desk_id   INTEGER NOT NULL REFERENCES desk_articles (id) ON DELETE CASCADE,
    number    INTEGER NOT NULL,
    content   TEXT    NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users (id),
    at        TEXT    NOT NULL,
    note      TEXT    NOT NULL,
    PRIMARY KEY (desk_id, number)
) WITHOUT ROWID;

-- Review comments stay with the article.
CREATE TABLE desk_comments (
    id        INTEGER PRIMARY KEY,
    desk_id   INTEGER NOT NULL REFERENCES desk_articles (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users (id),
    at        TEXT    NOT NULL,
    text      TEXT    NOT NULL
);
CREATE INDEX desk_comments_of ON desk_comments (desk_id, id);
