-- Loans: products, applications, schedules (versioned: a reschedule adds a
-- version and keeps the old one), and how each repayment was allocated.
-- Money moves only through journal entries; these tables say what the
-- entries were for, so loan state can be rebuilt from entries plus schedules.

CREATE TABLE loan_products (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER REFERENCES shg_groups (id),
    name        TEXT NOT NULL,
    -- LoanProduct as JSON: rate, method, schedule shape, allocation rule, fines.
    settings    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE loans (
    id                      INTEGER PRIMARY KEY,
    group_id                INTEGER NOT NULL REFERENCES shg_groups (id),
    member_id               INTEGER NOT NULL REFERENCES members (id),
    product_id              INTEGER REFERENCES loan_products (id),
    source                  TEXT NOT NULL CHECK (source IN ('group-fund', 'bank-linkage', 'revolving-fund')),
    purpose                 TEXT NOT NULL,
    principal               BIGINT NOT NULL CHECK (principal > 0),
    -- The product settings as they were when the loan was applied for.
    settings                TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('applied', 'approved', 'rejected', 'active', 'closed', 'written-off')),
    applied_on              TEXT NOT NULL,
    approved_on             TEXT,
    resolution              TEXT,
    disbursed_on            TEXT,
    disbursement_entry_id   INTEGER REFERENCES journal_entries (id),
    closed_on               TEXT,
    schedule_version        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX loans_group ON loans (group_id, status);
CREATE INDEX loans_member ON loans (member_id);

CREATE TABLE loan_installments (
    loan_id     INTEGER NOT NULL REFERENCES loans (id),
    version     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    due_date    TEXT NOT NULL,
    principal   BIGINT NOT NULL CHECK (principal >= 0),
    interest    BIGINT NOT NULL CHECK (interest >= 0),
    fee         BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    penalty     BIGINT NOT NULL DEFAULT 0 CHECK (penalty >= 0),
    PRIMARY KEY (loan_id, version, number)
);

CREATE TABLE loan_allocations (
    entry_id     INTEGER NOT NULL REFERENCES journal_entries (id),
    loan_id      INTEGER NOT NULL REFERENCES loans (id),
    version      INTEGER NOT NULL,
    installment  INTEGER NOT NULL,
    component    TEXT NOT NULL CHECK (component IN ('penalty', 'fee', 'interest', 'principal')),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    paid_on      TEXT NOT NULL,
    PRIMARY KEY (entry_id, loan_id, installment, component)
);
CREATE INDEX loan_allocations_loan ON loan_allocations (loan_id, version);

-- Penalties charged to an installment (late fines), and amounts waived at a
-- write-off or carried into a new schedule version at a reschedule.
CREATE TABLE loan_adjustments (
    id           INTEGER PRIMARY KEY,
    loan_id      INTEGER NOT NULL REFERENCES loans (id),
    version      INTEGER NOT NULL,
    installment  INTEGER NOT NULL,
    component    TEXT NOT NULL CHECK (component IN ('penalty', 'fee', 'interest', 'principal')),
    kind         TEXT NOT NULL CHECK (kind IN ('charge', 'waiver')),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    on_date      TEXT NOT NULL,
    entry_id     INTEGER REFERENCES journal_entries (id)
);
CREATE INDEX loan_adjustments_loan ON loan_adjustments (loan_id, version);

-- The loan's history: approvals, reschedules (reason as a code, never
-- clinical detail), write-off, recovery, closure.
CREATE TABLE loan_events (
    id           INTEGER PRIMARY KEY,
    loan_id      INTEGER NOT NULL REFERENCES loans (id),
    on_date      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    reason_code  TEXT,
    resolution   TEXT,
    entry_id     INTEGER REFERENCES journal_entries (id),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX loan_events_loan ON loan_events (loan_id);

-- Accounts the loan engine needs in every group book (new books get them
-- from the chart; this adds them to books created before).
INSERT INTO accounts (book_id, code, name, account_type, normal_side, postable)
SELECT b.id, '4020', 'Recoveries of written-off loans', 'income', 'credit', TRUE
FROM books b WHERE b.kind = 'group'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = '4020');
INSERT INTO accounts (book_id, code, name, account_type, normal_side, postable)
SELECT b.id, '5010', 'Loans written off', 'expense', 'debit', TRUE
FROM books b WHERE b.kind = 'group'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = '5010');

CREATE TRIGGER loan_installments_no_update BEFORE UPDATE ON loan_installments
BEGIN
    SELECT RAISE(ABORT, 'loan_installments are immutable');
END;
CREATE TRIGGER loan_installments_no_delete BEFORE DELETE ON loan_installments
BEGIN
    SELECT RAISE(ABORT, 'loan_installments are immutable');
END;

CREATE TRIGGER loan_allocations_no_update BEFORE UPDATE ON loan_allocations
BEGIN
    SELECT RAISE(ABORT, 'loan_allocations are immutable');
END;
CREATE TRIGGER loan_allocations_no_delete BEFORE DELETE ON loan_allocations
BEGIN
    SELECT RAISE(ABORT, 'loan_allocations are immutable');
END;

CREATE TRIGGER loan_adjustments_no_update BEFORE UPDATE ON loan_adjustments
BEGIN
    SELECT RAISE(ABORT, 'loan_adjustments are immutable');
END;
CREATE TRIGGER loan_adjustments_no_delete BEFORE DELETE ON loan_adjustments
BEGIN
    SELECT RAISE(ABORT, 'loan_adjustments are immutable');
END;
