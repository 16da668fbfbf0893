-- The group's rules, the money it borrows or is granted from outside, its
-- share-outs, and when each loan schedule version took effect (so arrears and
-- PAR as of a past date use the schedule that was in force then).

CREATE TABLE group_rules (
    group_id                      INTEGER PRIMARY KEY REFERENCES shg_groups (id),
    thrift_amount                 BIGINT NOT NULL CHECK (thrift_amount >= 0),
    share_basis                   TEXT NOT NULL CHECK (share_basis IN ('savings', 'equal')),
    return_savings_at_share_out   BOOLEAN NOT NULL,
    updated_at                    TEXT NOT NULL
);

CREATE TABLE loan_schedule_versions (
    loan_id       INTEGER NOT NULL REFERENCES loans (id),
    version       INTEGER NOT NULL,
    effective_on  TEXT NOT NULL,
    PRIMARY KEY (loan_id, version)
);
INSERT INTO loan_schedule_versions (loan_id, version, effective_on)
SELECT id, 1, disbursed_on FROM loans WHERE disbursed_on IS NOT NULL AND schedule_version >= 1;
INSERT INTO loan_schedule_versions (loan_id, version, effective_on)
SELECT loan_id, 1 + ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY id), on_date
FROM loan_events WHERE kind IN ('rescheduled', 'prepayment-rescheduled');

CREATE TABLE group_borrowings (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES shg_groups (id),
    source             TEXT NOT NULL CHECK (source IN ('bank-linkage', 'community-investment-fund', 'revolving-fund')),
    lender             TEXT NOT NULL,
    reference          TEXT NOT NULL,
    principal          BIGINT NOT NULL CHECK (principal > 0),
    -- The lender's terms as LoanSettings JSON; NULL for a grant.
    terms              TEXT,
    received_on        TEXT NOT NULL,
    resolution         TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    closed_on          TEXT,
    receipt_entry_id   INTEGER NOT NULL UNIQUE REFERENCES journal_entries (id)
);
CREATE INDEX group_borrowings_group ON group_borrowings (group_id);

CREATE TABLE group_borrowing_installments (
    borrowing_id  INTEGER NOT NULL REFERENCES group_borrowings (id),
    number        INTEGER NOT NULL,
    due_date      TEXT NOT NULL,
    principal     BIGINT NOT NULL CHECK (principal >= 0),
    interest      BIGINT NOT NULL CHECK (interest >= 0),
    PRIMARY KEY (borrowing_id, number)
);

CREATE TABLE group_borrowing_allocations (
    entry_id      INTEGER NOT NULL REFERENCES journal_entries (id),
    borrowing_id  INTEGER NOT NULL REFERENCES group_borrowings (id),
    installment   INTEGER NOT NULL,
    component     TEXT NOT NULL CHECK (component IN ('penalty', 'fee', 'interest', 'principal')),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    paid_on       TEXT NOT NULL,
    PRIMARY KEY (entry_id, installment, component)
);
CREATE INDEX group_borrowing_allocations_borrowing ON group_borrowing_allocations (borrowing_id);

CREATE TABLE share_outs (
    id                       INTEGER PRIMARY KEY,
    group_id                 INTEGER NOT NULL REFERENCES shg_groups (id),
    on_date                  TEXT NOT NULL,
    share_basis              TEXT NOT NULL CHECK (share_basis IN ('savings', 'equal')),
    returned_savings         BOOLEAN NOT NULL,
    surplus                  BIGINT NOT NULL CHECK (surplus > 0),
    distribution_entry_id    INTEGER NOT NULL UNIQUE REFERENCES journal_entries (id),
    recorded_at              TEXT NOT NULL
);
CREATE INDEX share_outs_group ON share_outs (group_id);

INSERT INTO accounts (book_id, code, name, account_type, normal_side, postable)
SELECT b.id, '2210', 'Community investment fund payable', 'liability', 'credit', TRUE
FROM books b WHERE b.kind = 'group'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = '2210');
INSERT INTO accounts (book_id, code, name, account_type, normal_side, postable)
SELECT b.id, '5020', 'Interest paid on borrowings', 'expense', 'debit', TRUE
FROM books b WHERE b.kind = 'group'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = '5020');

CREATE TRIGGER loan_schedule_versions_no_change BEFORE UPDATE ON loan_schedule_versions
BEGIN
    SELECT RAISE(ABORT, 'loan_schedule_versions are immutable');
END;
CREATE TRIGGER loan_schedule_versions_no_delete BEFORE DELETE ON loan_schedule_versions
BEGIN
    SELECT RAISE(ABORT, 'loan_schedule_versions are immutable');
END;
CREATE TRIGGER group_borrowing_installments_no_update BEFORE UPDATE ON group_borrowing_installments
BEGIN
    SELECT RAISE(ABORT, 'group_borrowing_installments are immutable');
END;
CREATE TRIGGER group_borrowing_installments_no_delete BEFORE DELETE ON group_borrowing_installments
BEGIN
    SELECT RAISE(ABORT, 'group_borrowing_installments are immutable');
END;
CREATE TRIGGER group_borrowing_allocations_no_update BEFORE UPDATE ON group_borrowing_allocations
BEGIN
    SELECT RAISE(ABORT, 'group_borrowing_allocations are immutable');
END;
CREATE TRIGGER group_borrowing_allocations_no_delete BEFORE DELETE ON group_borrowing_allocations
BEGIN
    SELECT RAISE(ABORT, 'group_borrowing_allocations are immutable');
END;
CREATE TRIGGER share_outs_no_update BEFORE UPDATE ON share_outs
BEGIN
    SELECT RAISE(ABORT, 'share_outs are immutable');
END;
CREATE TRIGGER share_outs_no_delete BEFORE DELETE ON share_outs
BEGIN
    SELECT RAISE(ABORT, 'share_outs are immutable');
END;
