-- Throttles shared by every process on the archive: failed sign-ins and API authentications,
-- and requests that send e-mail, by scope and key (a client address or an account). Each
-- web node keeps its own copy in memory and follows this table, so a client cannot multiply
-- its attempts by spreading them over nodes. `last` is in Unix milliseconds.
CREATE TABLE throttles (
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    failures INTEGER NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX throttles_by_last ON throttles (last);
