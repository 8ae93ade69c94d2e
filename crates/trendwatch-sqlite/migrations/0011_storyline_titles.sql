-- The headline that names each storyline in each language: the one whose words its
-- commentaries share most (`trendwatch_core::storyline::representative_headline`), kept with
-- the other statistics so that lists read it without aggregating. An editor's title wins.
ALTER TABLE storyline_stats ADD COLUMN title TEXT;
