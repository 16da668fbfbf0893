-- People who sign in, their sessions and API tokens; meetings as the
-- treasurer records them; cash counts and bank passbook readings. Sessions
-- live here so that several servers can share one database.

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL,
    display_name          TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'treasurer')),
    password_hash         TEXT NOT NULL,
    must_change_password  BOOLEAN NOT NULL,
    lang                  TEXT NOT NULL DEFAULT 'en',
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    created_at            TEXT NOT NULL,
    CONSTRAINT users_username_unique UNIQUE (username)
);

CREATE TABLE treasurer_groups (
    user_id   INTEGER NOT NULL REFERENCES users (id),
    group_id  INTEGER NOT NULL REFERENCES shg_groups (id),
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX treasurer_groups_group ON treasurer_groups (group_id);

-- A member signs in with her member code (unique across the program among
-- members who can sign in) and a PIN.
CREATE TABLE member_logins (
    member_id   INTEGER PRIMARY KEY REFERENCES members (id),
    login_code  TEXT NOT NULL,
    pin_hash    TEXT NOT NULL,
    lang        TEXT NOT NULL DEFAULT 'en',
    updated_at  TEXT NOT NULL,
    CONSTRAINT member_logins_code_unique UNIQUE (login_code)
);

-- Only a hash of the session token is stored. Times are Unix seconds.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER REFERENCES users (id),
    member_id     INTEGER REFERENCES members (id),
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    CHECK ((user_id IS NULL) <> (member_id IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    label         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);

CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY,
    group_id         INTEGER NOT NULL REFERENCES shg_groups (id),
    held_on          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    recorded_by      INTEGER REFERENCES users (id),
    present          INTEGER NOT NULL DEFAULT 0,
    enrolled         INTEGER NOT NULL DEFAULT 0,
    cash_in          BIGINT NOT NULL DEFAULT 0,
    cash_out         BIGINT NOT NULL DEFAULT 0,
    expected_cash    BIGINT NOT NULL DEFAULT 0,
    counted_cash     BIGINT,
    recorded_at      TEXT NOT NULL,
    CONSTRAINT meetings_key_unique UNIQUE (group_id, idempotency_key)
);
CREATE INDEX meetings_group ON meetings (group_id, held_on);

CREATE TABLE meeting_attendance (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    member_id   INTEGER NOT NULL REFERENCES members (id),
    present     BOOLEAN NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE meeting_entries (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    entry_id    INTEGER NOT NULL UNIQUE REFERENCES journal_entries (id),
    PRIMARY KEY (meeting_id, entry_id)
);

CREATE TABLE cash_counts (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES shg_groups (id),
    counted_on   TEXT NOT NULL,
    counted      BIGINT NOT NULL CHECK (counted >= 0),
    books        BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    entry_id     INTEGER REFERENCES journal_entries (id),
    recorded_by  INTEGER REFERENCES users (id),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX cash_counts_group ON cash_counts (group_id, counted_on);

CREATE TABLE bank_readings (
    id                INTEGER PRIMARY KEY,
    group_id          INTEGER NOT NULL REFERENCES shg_groups (id),
    passbook_date     TEXT NOT NULL,
    passbook_balance  BIGINT NOT NULL,
    books             BIGINT NOT NULL,
    recorded_by       INTEGER REFERENCES users (id),
    recorded_at       TEXT NOT NULL
);
CREATE INDEX bank_readings_group ON bank_readings (group_id, passbook_date);

INSERT INTO accounts (book_id, code, name, account_type, normal_side, postable)
SELECT b.id, '5030', 'Cash differences (shortage less overage)', 'expense', 'debit', TRUE
FROM books b WHERE b.kind = 'group'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = '5030');
