-- The text generation at which storylines and similar lists were last brought up to date.
-- An import that dies between writing articles and deriving them leaves it behind the text
-- generation, and the next start finishes the work. Existing archives start as up to date.
INSERT INTO meta (name, value)
SELECT 'derived_generation', value FROM meta WHERE name = 'text_generation';
