-- Counts the changes to what storyline threading reads (articles written or taken off the
-- archive, editors' storyline decisions), but not the threader's own assignments: a running
-- site keeps its threader between publications and threads only the new articles, as long
-- as this counter moved by its own writes alone.
INSERT INTO meta (name, value) VALUES ('threading_generation', 0);
