-- Counsellors join the roles, and the records that link a woman's livelihood
-- to her rehabilitation: pseudonymous clients, sealed identities, outcome
-- records, incidents and the access log.
--
-- SQLite cannot change a CHECK constraint in place, and migrations run inside
-- a transaction (where foreign keys cannot be switched off), so `users` is
-- rebuilt under deferred foreign keys: the rows are copied aside, the table
-- is dropped and created again under the same name, and the rows come back.
-- Their children (sessions, treasurer_groups, ...) are orphaned only in
-- between, and the commit checks that every one has its parent again.

PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_before_counsellors AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL,
    display_name          TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'counsellor', 'treasurer')),
    password_hash         TEXT NOT NULL,
    must_change_password  BOOLEAN NOT NULL,
    lang                  TEXT NOT NULL DEFAULT 'en',
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    created_at            TEXT NOT NULL,
    CONSTRAINT users_username_unique UNIQUE (username)
);
INSERT INTO users
    (id, username, display_name, role, password_hash, must_change_password, lang, active, created_at)
SELECT id, username, display_name, role, password_hash, must_change_password, lang, active, created_at
FROM users_before_counsellors;
DROP TABLE users_before_counsellors;

-- The code is random and says nothing about her; see outcomes::ClientCode.
CREATE TABLE clients (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    CONSTRAINT clients_code_unique UNIQUE (code)
);

-- Her member accounts, in one or more groups. A member account belongs to
-- one woman.
CREATE TABLE client_members (
    client_id  INTEGER NOT NULL REFERENCES clients (id),
    member_id  INTEGER NOT NULL REFERENCES members (id),
    PRIMARY KEY (client_id, member_id),
    CONSTRAINT client_members_member_unique UNIQUE (member_id)
);

-- Name and contacts, sealed with a key that is never in the database; the
-- fingerprint tells a wrong key from a missing one.
CREATE TABLE identities (
    client_id        INTEGER PRIMARY KEY REFERENCES clients (id),
    sealed           BLOB NOT NULL,
    key_fingerprint  TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       INTEGER NOT NULL REFERENCES users (id)
);

-- Rehabilitation, livelihood and consent records: typed values as JSON,
-- written once and never changed.
CREATE TABLE outcome_records (
    id               INTEGER PRIMARY KEY,
    client_id        INTEGER NOT NULL REFERENCES clients (id),
    kind             TEXT NOT NULL CHECK (kind IN ('detox', 'ost', 'shelter', 'training',
                        'reintegration', 'relapse', 'review', 'business', 'status_check',
                        'income', 'consent')),
    event_on         TEXT NOT NULL,
    payload          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    recorded_by      INTEGER NOT NULL REFERENCES users (id),
    recorded_at      TEXT NOT NULL,
    CONSTRAINT outcome_records_key_unique UNIQUE (client_id, idempotency_key)
);
CREATE INDEX outcome_records_client ON outcome_records (client_id, event_on);
CREATE TRIGGER outcome_records_no_update BEFORE UPDATE ON outcome_records
BEGIN
    SELECT RAISE(ABORT, 'outcome_records are immutable');
END;
CREATE TRIGGER outcome_records_no_delete BEFORE DELETE ON outcome_records
BEGIN
    SELECT RAISE(ABORT, 'outcome_records are immutable');
END;

-- Incidents change as the response goes on (first response, actions,
-- resolution); the narrative is sealed like an identity.
CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES clients (id),
    reported_at       TEXT NOT NULL,
    payload           TEXT NOT NULL,
    narrative         BLOB,
    key_fingerprint   TEXT,
    idempotency_key   TEXT NOT NULL,
    recorded_by       INTEGER NOT NULL REFERENCES users (id),
    recorded_at       TEXT NOT NULL,
    updated_by        INTEGER NOT NULL REFERENCES users (id),
    updated_at        TEXT NOT NULL,
    CONSTRAINT incidents_key_unique UNIQUE (client_id, idempotency_key)
);
CREATE INDEX incidents_client ON incidents (client_id, reported_at);

-- Who read which sensitive record, when, from which page and why. Nobody
-- edits it.
CREATE TABLE access_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    client_id   INTEGER REFERENCES clients (id),
    record      TEXT NOT NULL,
    page        TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX access_log_client ON access_log (client_id, at);
CREATE INDEX access_log_at ON access_log (at);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

