-- Articles and everything that hangs off one article. Every article row is written together
-- with its authors, tags and listed-similar titles in one transaction (see lib.rs).

CREATE TABLE articles (
    id                INTEGER PRIMARY KEY,
    key               TEXT    NOT NULL UNIQUE,
    lang              TEXT    NOT NULL CHECK (lang IN ('en', 'ru')),
    kind              TEXT    NOT NULL CHECK (kind IN ('weekly', 'annual_review', 'other')),
    topic             TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (title <> ''),
    lead              TEXT    NOT NULL,
    body_html         TEXT    NOT NULL,
    body_text         TEXT    NOT NULL,
    published_at      TEXT    NOT NULL,              -- 'YYYY-MM-DD HH:MM:SS', site-local
    period_key        INTEGER NOT NULL,              -- ISO year * 100 + ISO week
    status            TEXT    NOT NULL CHECK (status IN ('improved', 'unchanged', 'worsened', 'not_rated')),
    rationale         TEXT    NOT NULL DEFAULT '',
    alert             TEXT    NOT NULL CHECK (alert IN ('none', 'risk', 'opportunity')),
    image_url         TEXT,
    image_credit      TEXT,
    source_url        TEXT,
    slug              TEXT    NOT NULL,
    translation_group TEXT,
    UNIQUE (lang, slug)
);

-- The rule the reference site breaks: one weekly commentary per topic, week and language.
CREATE UNIQUE INDEX one_weekly_per_topic_week_lang
    ON articles (topic, period_key, lang) WHERE kind = 'weekly';
CREATE UNIQUE INDEX one_translation_per_lang
    ON articles (translation_group, lang) WHERE translation_group IS NOT NULL;
CREATE INDEX articles_by_lang_period ON articles (lang, period_key);
CREATE INDEX articles_by_lang_topic_period ON articles (lang, topic, period_key, published_at);
CREATE INDEX articles_by_lang_published ON articles (lang, published_at);
CREATE INDEX articles_by_title ON articles (lang, title);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag)
);

-- Titles the source page listed under "Similar articles"; resolved to articles by title when
-- read, so the order of import does not matter.
CREATE TABLE article_listed_similar (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    PRIMARY KEY (article_id, position)
);

-- Lists computed by the related-articles engine.
CREATE TABLE related (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    score      REAL    NOT NULL,
    PRIMARY KEY (article_id, position)
);

-- Site-wide counters; 'generation' changes with every content write so page caches in every
-- process can tell when to drop their pages.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (name, value) VALUES ('generation', 0);
