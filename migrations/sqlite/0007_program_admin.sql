-- Program admin: products can be retired, and the program has settings.
--
-- A retired product is offered to no new loan; loans made with it keep the
-- copy of its settings they were made with (loans.settings), so retiring one
-- changes no loan.

ALTER TABLE loan_products ADD COLUMN retired_on TEXT
    CHECK (retired_on IS NULL OR date(retired_on) = retired_on);

-- Two active program products with one name could not be told apart in a
-- treasurer's list. Before this release only the demo wrote program
-- products (one per name); should a database hold the same name twice, the
-- oldest stays on offer and the others are retired, so the index can exist.
UPDATE loan_products SET retired_on = CURRENT_DATE
WHERE group_id IS NULL AND retired_on IS NULL
  AND id NOT IN (SELECT MIN(id) FROM loan_products WHERE group_id IS NULL GROUP BY name);
CREATE UNIQUE INDEX loan_products_program_name_unique ON loan_products (name)
    WHERE group_id IS NULL AND retired_on IS NULL;

-- The built-in products (loans::product::templates(), as JSON of
-- LoanSettings) become stored program products where the database has none,
-- so what groups are offered is always what the admin sees and can retire.
-- tests/migrations.rs holds this text to templates() on both backends.
INSERT INTO loan_products (name, settings, created_at)
SELECT name, settings, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM (
SELECT 1 AS seq, 'Business loan, 12 months, 2% a month declining' AS name,
        '{"rate":"24","rate_per":"year","method":"declining","amortization":"equal-installments","interest_period":"repayment","frequency":"month","every":1,"installments":12,"grace_principal":0,"grace_interest":0,"interest_free":0,"installment_multiple":100,"allocation":"interest-first","prepayment":"shorten-term","late_fine":{"kind":"none"},"late_fine_grace_days":7}' AS settings
    UNION ALL SELECT 2 AS seq, 'Petty trade loan, 26 weeks, 1% a month flat' AS name,
        '{"rate":"1","rate_per":"month","method":"flat","amortization":"equal-installments","interest_period":"repayment","frequency":"week","every":1,"installments":26,"grace_principal":0,"grace_interest":0,"interest_free":0,"installment_multiple":100,"allocation":"standard","prepayment":"shorten-term","late_fine":{"kind":"flat","amount":1000},"late_fine_grace_days":7}' AS settings
    UNION ALL SELECT 3 AS seq, 'Start-up loan, 18 months, 2 months'' principal grace' AS name,
        '{"rate":"24","rate_per":"year","method":"declining","amortization":"equal-installments","interest_period":"repayment","frequency":"month","every":1,"installments":18,"grace_principal":2,"grace_interest":0,"interest_free":0,"installment_multiple":100,"allocation":"interest-first","prepayment":"shorten-term","late_fine":{"kind":"none"},"late_fine_grace_days":7}' AS settings
) AS builtin
WHERE NOT EXISTS (SELECT 1 FROM loan_products WHERE group_id IS NULL)
ORDER BY seq;

-- One row: the program's name (none until the admin sets it), and the
-- defaults a new account or member login (language) and a new group's books
-- (currency) start from. The list of currencies is data in the binary
-- (money/currencies.toml), so only the shape of a code is checked here.
CREATE TABLE program_settings (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    program_name      TEXT CHECK (program_name IS NULL OR (
                          length(program_name) BETWEEN 1 AND 80
                          AND program_name = trim(program_name)
                          AND instr(program_name, char(10)) = 0
                          AND instr(program_name, char(13)) = 0)),
    default_lang      TEXT NOT NULL DEFAULT 'en' CHECK (default_lang IN ('en', 'hi', 'mni')),
    default_currency  TEXT NOT NULL DEFAULT 'INR' CHECK (default_currency GLOB '[A-Z][A-Z][A-Z]'),
    updated_at        TEXT NOT NULL
);
INSERT INTO program_settings (id, updated_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
