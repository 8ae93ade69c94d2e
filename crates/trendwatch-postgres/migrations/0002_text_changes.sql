-- Which articles each text generation changed (written, rewritten or taken off), so that a
-- search index that is behind the store (another web node's) catches up on those articles
-- alone instead of rebuilding. `text_log_from`: the log is complete for every generation
-- after it (older entries are pruned).
CREATE TABLE text_changes (
    generation BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    PRIMARY KEY (generation, article_id)
);
INSERT INTO meta (name, value) SELECT 'text_log_from', value FROM meta WHERE name = 'text_generation';
