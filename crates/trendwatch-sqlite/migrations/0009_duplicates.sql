-- An article imported as a copy of another (`trendwatch import --keep-duplicates`) names its
-- original; copies stay out of similar lists, search and storylines.
ALTER TABLE articles ADD COLUMN duplicate_of INTEGER REFERENCES articles(id) ON DELETE SET NULL;
