-- Throttles shared by every web node: failed sign-ins and API authentications, and requests
-- that send e-mail, by scope and key (a client address or an account). Each node keeps its
-- own copy in memory and follows this table, so a client cannot multiply its attempts by
-- spreading them over nodes. `last` is in Unix milliseconds, as in the SQLite backend.
CREATE TABLE throttles (
    scope    TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    failures INTEGER NOT NULL,
    last     BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX throttles_by_last ON throttles (last);
