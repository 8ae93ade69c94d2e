-- Addresses articles had on an older site (a WordPress archive's `/2017/08/07/slug/` and
-- `/?p=123`), which redirect permanently to the article. Written with the article, in its
-- transaction; they go with it.
CREATE TABLE legacy_paths (
    path        TEXT    PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX legacy_paths_of_article ON legacy_paths (article_id);
