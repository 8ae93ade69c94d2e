-- When a published article was last changed by an editor, and the correction note readers
-- see with it ("Updated 3 December 2026: the ministry's figure was corrected"). Empty for
-- articles never changed after publication, and for imported ones.
ALTER TABLE articles ADD COLUMN updated_at TEXT;
ALTER TABLE articles ADD COLUMN correction TEXT;
