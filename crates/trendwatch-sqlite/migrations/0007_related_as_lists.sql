-- One row per article for the engine's similar list instead of one row per entry: a full
-- rebuild of 100,000 lists writes 100,000 rows, not a million. `ids` is a JSON array of
-- article ids, best first (read with json_each); `scores` the matching JSON array of scores.
-- Ids of articles deleted since are skipped when the list is read.
DROP TABLE related;
CREATE TABLE related (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    ids        TEXT    NOT NULL,
    scores     TEXT    NOT NULL
);
