-- What the article's image shows, for readers who cannot see it: the source's `alt` text.
ALTER TABLE articles ADD COLUMN image_alt TEXT;
