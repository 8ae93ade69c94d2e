-- Forecasts made in commentaries. Written with their article; an editor's resolution
-- (resolved_manually = 1) survives re-imports of the article.

CREATE TABLE forecasts (
    id                INTEGER PRIMARY KEY,
    article_id        INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    statement         TEXT    NOT NULL,
    probability       REAL    NOT NULL CHECK (probability >= 0 AND probability <= 1),
    resolve_by        TEXT    NOT NULL,   -- 'YYYY-MM-DD'
    outcome           TEXT    CHECK (outcome IN ('happened', 'did_not_happen', 'void')),
    resolved_manually INTEGER NOT NULL DEFAULT 0 CHECK (resolved_manually IN (0, 1)),
    UNIQUE (article_id, statement)
);
CREATE INDEX forecasts_open_by_date ON forecasts (resolve_by) WHERE outcome IS NULL;
