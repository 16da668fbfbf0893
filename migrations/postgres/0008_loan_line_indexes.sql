-- Reading many loans at once (the program's PAR, a meeting's repayments)
-- reads every installment, payment line and charge of each loan. Indexes
-- holding those columns let that read be an index-only scan instead of a
-- heap fetch per line: see the SQLite migration of the same number.

DROP INDEX loan_allocations_loan;
CREATE INDEX loan_allocations_loan ON loan_allocations (loan_id, version)
    INCLUDE (paid_on, entry_id, installment, component, amount);

DROP INDEX loan_adjustments_loan;
CREATE INDEX loan_adjustments_loan ON loan_adjustments (loan_id, version)
    INCLUDE (on_date, id, installment, component, kind, amount);

CREATE INDEX loan_installments_lines ON loan_installments (loan_id, version)
    INCLUDE (number, due_date, principal, interest, fee, penalty);
