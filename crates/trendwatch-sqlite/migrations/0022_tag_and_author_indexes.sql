-- A tag or an author can be on most of the archive. Their archive pages probed every
-- article of the language and then sorted the matches by reading each one's row, whose
-- ordering columns sit behind the article's body: 80 to 120 ms a page at 10,000 articles,
-- more than half of a static export's time. Tags and authors now keep a copy of their
-- article's language and dates (written with the article, in its transaction, and replaced
-- with it), so that counting a tag's articles, its year links and any page of it read one
-- range of one index.
ALTER TABLE article_tags ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE article_tags ADD COLUMN period_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE article_tags ADD COLUMN published_at TEXT NOT NULL DEFAULT '';
UPDATE article_tags SET (lang, period_key, published_at) =
    (SELECT a.lang, a.period_key, a.published_at FROM articles a WHERE a.id = article_tags.article_id);
CREATE INDEX article_tags_in_order ON article_tags (tag, lang, period_key, published_at, article_id);

ALTER TABLE article_authors ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE article_authors ADD COLUMN period_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE article_authors ADD COLUMN published_at TEXT NOT NULL DEFAULT '';
UPDATE article_authors SET (lang, period_key, published_at) =
    (SELECT a.lang, a.period_key, a.published_at FROM articles a WHERE a.id = article_authors.article_id);
CREATE INDEX article_authors_in_order ON article_authors (name, lang, period_key, published_at, article_id);

-- The whole edition's listing, in the same way: the language's index now holds the
-- publication time too, so a page of it is read from the index alone.
DROP INDEX articles_by_lang_period;
CREATE INDEX articles_by_lang_period ON articles (lang, period_key, published_at);
