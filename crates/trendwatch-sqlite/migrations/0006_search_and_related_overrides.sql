-- Changes to article text are counted apart from other writes, so the search index can tell
-- whether it is stale without being rebuilt after every storyline or forecast edit.
INSERT INTO meta (name, value) VALUES ('text_generation', 0);

-- Editors' pins and exclusions of similar articles. Kept apart from the engine's lists, which
-- are replaced on every rebuild, and applied when a list is read, so they always hold.
CREATE TABLE related_overrides (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    related_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('pin', 'exclude')),
    created    INTEGER NOT NULL,  -- order of pins: the first pinned is listed first
    PRIMARY KEY (article_id, related_id),
    CHECK (article_id <> related_id)
);
