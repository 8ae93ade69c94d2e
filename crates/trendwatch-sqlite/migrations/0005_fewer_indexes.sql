-- Two indexes that cost every import more than they saved: pages are rendered once per
-- content generation, and the queries they served scan the table in about a millisecond.
DROP INDEX articles_by_title;
DROP INDEX articles_by_lang_published;
