-- The double-entry core: books, accounts, journal entries and their postings.
-- Amounts are BIGINT minor units (paise). Entries and postings are immutable:
-- the triggers at the end refuse UPDATE and DELETE.

CREATE TABLE books (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('group', 'program')),
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE shg_groups (
    id          INTEGER PRIMARY KEY,
    book_id     INTEGER NOT NULL UNIQUE REFERENCES books (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER NOT NULL REFERENCES shg_groups (id),
    member_code   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    joined_on     TEXT NOT NULL,
    CONSTRAINT members_code_unique UNIQUE (group_id, member_code)
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    book_id       INTEGER NOT NULL REFERENCES books (id),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    account_type  TEXT NOT NULL CHECK (account_type IN ('asset', 'liability', 'equity', 'income', 'expense')),
    normal_side   TEXT NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    parent_id     INTEGER REFERENCES accounts (id),
    postable      BOOLEAN NOT NULL,
    member_id     INTEGER REFERENCES members (id),
    loan_id       INTEGER,
    -- Maintained in the same transaction as the postings; `sakhi verify`
    -- recomputes it. SQLite turns an overflowing integer into a REAL, so the
    -- type check makes overflow an error instead.
    balance       BIGINT NOT NULL DEFAULT 0 CHECK (typeof(balance) = 'integer'),
    CONSTRAINT accounts_code_unique UNIQUE (book_id, code),
    UNIQUE (id, book_id)
);
CREATE INDEX accounts_parent ON accounts (parent_id);
CREATE INDEX accounts_member ON accounts (member_id);

CREATE TABLE journal_entries (
    id                 INTEGER PRIMARY KEY,
    book_id            INTEGER NOT NULL REFERENCES books (id),
    business_date      TEXT NOT NULL,
    recorded_at        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    memo               TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    content_hash       BLOB NOT NULL,
    reverses_entry_id  INTEGER,
    CONSTRAINT entries_idempotency_unique UNIQUE (book_id, idempotency_key),
    CONSTRAINT entries_reversed_once UNIQUE (reverses_entry_id),
    UNIQUE (id, book_id),
    FOREIGN KEY (reverses_entry_id, book_id) REFERENCES journal_entries (id, book_id)
);
CREATE INDEX entries_book_date ON journal_entries (book_id, business_date);

CREATE TABLE postings (
    entry_id       INTEGER NOT NULL,
    line_no        INTEGER NOT NULL,
    book_id        INTEGER NOT NULL,
    account_id     INTEGER NOT NULL,
    amount         BIGINT NOT NULL CHECK (amount <> 0),
    business_date  TEXT NOT NULL,
    PRIMARY KEY (entry_id, line_no),
    FOREIGN KEY (entry_id, book_id) REFERENCES journal_entries (id, book_id),
    FOREIGN KEY (account_id, book_id) REFERENCES accounts (id, book_id)
);
CREATE INDEX postings_account_date ON postings (account_id, business_date, entry_id);

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal entries are immutable: post a reversal instead');
END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal entries are immutable: post a reversal instead');
END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN
    SELECT RAISE(ABORT, 'postings are immutable: post a reversal instead');
END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN
    SELECT RAISE(ABORT, 'postings are immutable: post a reversal instead');
END;
