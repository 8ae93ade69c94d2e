-- Article bodies are compressed with LZ4 instead of PostgreSQL's default pglz where the server
-- was built with it (Debian's is): pglz was the largest single cost of writing an article
-- (TOAST compression), and LZ4 also decompresses faster on every uncached page. Existing rows
-- keep their compression until rewritten; a server without LZ4 keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE articles ALTER COLUMN body_html SET COMPRESSION lz4;
        ALTER TABLE articles ALTER COLUMN body_text SET COMPRESSION lz4;
    END IF;
END
$$;
