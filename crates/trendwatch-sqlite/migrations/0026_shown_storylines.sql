-- Readers are pointed only to storylines with at least two commentaries in a language
-- (trendwatch_core::storyline::SHOWN_FROM_ARTICLES): "Recent trends", related storylines and
-- the sitemap read them newest first through this index instead of skipping the one-article
-- storylines, which are most of a freshly threaded archive.
CREATE INDEX storyline_stats_shown ON storyline_stats (lang, last_published_at)
    WHERE articles >= 2;
