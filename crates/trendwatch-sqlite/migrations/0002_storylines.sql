-- Storylines: trends followed across weeks. Every article belongs to at most one storyline;
-- the threader assigns new articles, editors' decisions (manual = 1) are never changed by it.

CREATE TABLE storylines (
    id    INTEGER PRIMARY KEY,
    title TEXT    -- set by an editor; NULL means "derive from the articles"
);

CREATE TABLE article_storylines (
    article_id   INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    storyline_id INTEGER NOT NULL REFERENCES storylines (id) ON DELETE CASCADE,
    confidence   REAL    NOT NULL,
    manual       INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1))
);
CREATE INDEX article_storylines_by_storyline ON article_storylines (storyline_id);
