//! SQL for `FundsStore`, stamped out for both backends like `impl_loan_store!`.

use super::StoreError;
use crate::borrowings::BorrowingError;
use crate::groups::RulesError;
use crate::savings::shareout::ShareBasis;
use crate::savings::SavingsError;

pub(super) fn basis_text(basis: ShareBasis) -> &'static str {
    match basis {
        ShareBasis::ProportionalToSavings => "savings",
        ShareBasis::Equal => "equal",
    }
}

pub(super) fn basis_of(text: &str) -> Result<ShareBasis, StoreError> {
    match text {
        "savings" => Ok(ShareBasis::ProportionalToSavings),
        "equal" => Ok(ShareBasis::Equal),
        other => Err(StoreError::Corrupt(format!(
            "unknown share basis {other:?}"
        ))),
    }
}

impl From<RulesError> for StoreError {
    fn from(e: RulesError) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

impl From<BorrowingError> for StoreError {
    fn from(e: BorrowingError) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

impl From<SavingsError> for StoreError {
    fn from(e: SavingsError) -> StoreError {
        match e {
            SavingsError::Entry(e) => StoreError::Entry(e),
            other => StoreError::Invalid(other.to_string()),
        }
    }
}

pub(super) const BORROWING_COLUMNS: &str = "SELECT id, group_id, source, lender, reference, \
     principal, terms, received_on, resolution, status, closed_on, receipt_entry_id \
     FROM group_borrowings";

pub(super) type BorrowingRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    chrono::NaiveDate,
    String,
    String,
    Option<chrono::NaiveDate>,
    i64,
);

pub(super) fn borrowing_of(r: BorrowingRow) -> Result<crate::borrowings::Borrowing, StoreError> {
    let (
        id,
        group_id,
        source,
        lender,
        reference,
        principal,
        terms,
        received_on,
        resolution,
        status,
        closed_on,
        receipt_entry_id,
    ) = r;
    Ok(crate::borrowings::Borrowing {
        id,
        group_id,
        source: source.parse().map_err(StoreError::Corrupt)?,
        lender,
        reference,
        principal,
        terms: terms
            .as_deref()
            .map(super::loans_sql::settings_from_json)
            .transpose()?,
        received_on,
        resolution,
        status: status.parse().map_err(StoreError::Corrupt)?,
        closed_on,
        receipt_entry_id,
    })
}

macro_rules! impl_funds_store {
    ($store:ident, $db:ty, $lock:expr) => {
        mod funds_impl {
            use super::$store;
            use $crate::borrowings::{
                Borrowing, BorrowingAccounts, BorrowingError, BorrowingId, BorrowingStatus,
                BorrowingWithState, NewBorrowing,
            };
            use $crate::groups::{GroupId, GroupRules};
            use $crate::ledger::{
                chart, Account, Book, EntryId, IdempotencyKey, MemberId, TrialBalance,
                TrialBalanceLine,
            };
            use $crate::loans::allocation;
            use $crate::loans::schedule::generate;
            use $crate::loans::state::{AllocationLine, LoanState, Parts};
            use $crate::savings::shareout::Share;
            use $crate::savings::{MemberSavings, ShareOutTerms};
            use $crate::store::funds::{
                BorrowingOperation, FundsStore, ShareOutDone, ShareOutRequest,
            };
            use $crate::store::funds_sql::{
                basis_of, basis_text, borrowing_of, BorrowingRow, BORROWING_COLUMNS,
            };
            use $crate::store::gathered::{AllRows, BorrowingAllocation, BorrowingInstallment, Gathered};
            use $crate::store::loans_sql::{component, settings_to_json};
            use $crate::store::shared::{AccountRow, BookRow, ACCOUNT_COLUMNS};
            use $crate::store::{Fund, PostOutcome, StoreError, StoreResult};
            use chrono::{NaiveDate, Utc};
            use std::collections::HashMap;

            type Exec<'c> = &'c mut <$db as sqlx::Database>::Connection;

            impl $store {
                /// The rules of the groups that have set any, in one query;
                /// a group missing from the answer keeps the defaults.
                pub(super) async fn rules_of(
                    tx: Exec<'_>,
                    groups: &[GroupId],
                ) -> StoreResult<HashMap<GroupId, GroupRules>> {
                    if groups.is_empty() {
                        return Ok(HashMap::new());
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT group_id, thrift_amount, share_basis, return_savings_at_share_out \
                         FROM group_rules WHERE group_id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for id in groups {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(GroupId, i64, String, bool)> = qb.build_query_as().fetch_all(tx).await?;
                    rows.into_iter()
                        .map(|(group_id, thrift_amount, basis, return_savings_at_share_out)| {
                            Ok((group_id, GroupRules {
                                thrift_amount,
                                share_basis: basis_of(&basis)?,
                                return_savings_at_share_out,
                            }))
                        })
                        .collect()
                }

                pub(super) async fn group_book(tx: Exec<'_>, group_id: GroupId) -> StoreResult<Book> {
                    Self::group_books(tx, &[group_id])
                        .await?
                        .remove(&group_id)
                        .ok_or_else(|| StoreError::not_found("group", group_id))
                }

                /// The books of the groups, by group, in one query; a group
                /// that does not exist is not found.
                pub(super) async fn group_books(
                    tx: Exec<'_>,
                    groups: &[GroupId],
                ) -> StoreResult<HashMap<GroupId, Book>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT g.id, b.id, b.kind, b.name, b.currency FROM books b \
                         JOIN shg_groups g ON g.book_id = b.id WHERE g.id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for id in groups {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(GroupId, i64, String, String, String)> = if groups.is_empty() {
                        Vec::new()
                    } else {
                        qb.build_query_as().fetch_all(tx).await?
                    };
                    let mut books = HashMap::with_capacity(rows.len());
                    for (group_id, id, kind, name, currency) in rows {
                        books.insert(group_id, BookRow { id, kind, name, currency }.try_into()?);
                    }
                    match groups.iter().find(|g| !books.contains_key(*g)) {
                        Some(missing) => Err(StoreError::not_found("group", missing)),
                        None => Ok(books),
                    }
                }

                pub(super) async fn accounts_by_code(
                    tx: Exec<'_>,
                    book_id: i64,
                    codes: &[&str],
                ) -> StoreResult<Vec<Account>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(ACCOUNT_COLUMNS);
                    qb.push(" WHERE a.book_id = ").push_bind(book_id).push(" AND a.code IN (");
                    let mut list = qb.separated(", ");
                    for code in codes {
                        list.push_bind(code.to_string());
                    }
                    qb.push(")");
                    let rows: Vec<AccountRow> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    let accounts: Vec<Account> = rows
                        .into_iter()
                        .map(Account::try_from)
                        .collect::<StoreResult<_>>()?;
                    codes
                        .iter()
                        .map(|code| {
                            accounts
                                .iter()
                                .find(|a| a.code == *code)
                                .cloned()
                                .ok_or_else(|| StoreError::not_found("account", code))
                        })
                        .collect()
                }

                async fn borrowing_accounts(
                    tx: Exec<'_>,
                    book: Book,
                    owed_code: &str,
                    fund: Fund,
                ) -> StoreResult<BorrowingAccounts> {
                    let codes = [fund.account_code(), owed_code, chart::shg::BORROWING_INTEREST];
                    let mut found = Self::accounts_by_code(&mut *tx, book.id, &codes).await?;
                    let interest_expense = found.pop();
                    let owed_to = found.pop();
                    let fund = found.pop();
                    match (fund, owed_to, interest_expense) {
                        (Some(fund), Some(owed_to), Some(interest_expense)) => Ok(BorrowingAccounts {
                            book,
                            fund,
                            owed_to,
                            interest_expense,
                        }),
                        _ => Err(StoreError::Corrupt("borrowing accounts missing".into())),
                    }
                }

                async fn lock_borrowing(tx: Exec<'_>, id: BorrowingId) -> StoreResult<Borrowing> {
                    let row: Option<BorrowingRow> =
                        sqlx::query_as(&format!("{BORROWING_COLUMNS} WHERE id = $1{}", $lock))
                            .bind(id)
                            .fetch_optional(tx)
                            .await?;
                    row.ok_or_else(|| StoreError::not_found("borrowing", id))
                        .and_then(borrowing_of)
                }

                /// The borrowings (one, or all of a group) with their state.
                async fn borrowings_where(
                    tx: Exec<'_>,
                    filter: &str,
                    id: i64,
                ) -> StoreResult<Vec<BorrowingWithState>> {
                    let rows: Vec<BorrowingRow> =
                        sqlx::query_as(&format!("{BORROWING_COLUMNS} WHERE {filter} = $1 ORDER BY id"))
                            .bind(id)
                            .fetch_all(&mut *tx)
                            .await?;
                    let scope = format!(
                        "JOIN group_borrowings b ON b.id = x.borrowing_id WHERE b.{filter} = $1"
                    );
                    // Gathered into one row each (see `gathered`), put in order here.
                    let AllRows::<BorrowingInstallment>(mut installments) = sqlx::query_as(&format!(
                        "SELECT {} FROM group_borrowing_installments x {scope}",
                        <BorrowingInstallment as Gathered<$db>>::gather("x.borrowing_id, x.number, x.due_date, x.principal, x.interest")
                    ))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    installments.sort_unstable_by_key(|&(b, n, ..)| (b, n));
                    let AllRows::<BorrowingAllocation>(mut allocations) = sqlx::query_as(&format!(
                        "SELECT {} FROM group_borrowing_allocations x {scope}",
                        <BorrowingAllocation as Gathered<$db>>::gather(
                            "x.borrowing_id, x.entry_id, x.paid_on, x.installment, x.component, x.amount"
                        )
                    ))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    allocations.sort_unstable_by(|a, b| (a.0, a.2, a.1, a.3, &a.4).cmp(&(b.0, b.2, b.1, b.3, &b.4)));
                    let mut schedules: HashMap<i64, Vec<(u32, NaiveDate, Parts)>> = HashMap::new();
                    for (b, n, due, principal, interest) in installments {
                        schedules.entry(b).or_default().push((
                            n as u32,
                            due,
                            Parts { principal, interest, ..Parts::default() },
                        ));
                    }
                    let mut paid: HashMap<i64, Vec<(i64, NaiveDate, AllocationLine)>> = HashMap::new();
                    for (b, entry, on, n, c, amount) in allocations {
                        paid.entry(b).or_default().push((
                            entry,
                            on,
                            AllocationLine { installment: n as u32, component: component(&c)?, amount },
                        ));
                    }
                    rows.into_iter()
                        .map(|row| {
                            let borrowing = borrowing_of(row)?;
                            let state = LoanState::assemble(
                                schedules.remove(&borrowing.id).unwrap_or_default(),
                                paid.remove(&borrowing.id).unwrap_or_default(),
                                Vec::new(),
                            );
                            Ok(BorrowingWithState { borrowing, state })
                        })
                        .collect()
                }

                /// The entry already posted under `key` in the group's book.
                pub(super) async fn keyed_entry(
                    tx: Exec<'_>,
                    book_id: i64,
                    key: &IdempotencyKey,
                ) -> StoreResult<Option<(EntryId, NaiveDate)>> {
                    Ok(sqlx::query_as(
                        "SELECT id, business_date FROM journal_entries \
                         WHERE book_id = $1 AND idempotency_key = $2",
                    )
                    .bind(book_id)
                    .bind(key.as_str())
                    .fetch_optional(tx)
                    .await?)
                }

                /// The book's trial balance read with its account rows locked
                /// (PostgreSQL), or under the single writer (SQLite), so that
                /// nothing posts to the book until this transaction ends.
                async fn locked_trial_balance(
                    tx: Exec<'_>,
                    book: &Book,
                ) -> StoreResult<(TrialBalance, Vec<Account>)> {
                    let balances: Vec<(i64, i64)> = sqlx::query_as(&format!(
                        "SELECT a.id, a.balance FROM accounts a WHERE a.book_id = $1 \
                         ORDER BY a.id{}",
                        $lock
                    ))
                    .bind(book.id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let balances: HashMap<i64, i64> = balances.into_iter().collect();
                    let rows: Vec<AccountRow> = sqlx::query_as(&format!(
                        "{ACCOUNT_COLUMNS} WHERE a.book_id = $1 ORDER BY a.code"
                    ))
                    .bind(book.id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let accounts: Vec<Account> = rows
                        .into_iter()
                        .map(Account::try_from)
                        .collect::<StoreResult<_>>()?;
                    let lines = accounts
                        .iter()
                        .filter(|a| a.postable)
                        .map(|a| TrialBalanceLine {
                            account_id: a.id,
                            code: a.code.clone(),
                            name: a.name.clone(),
                            account_type: a.account_type,
                            balance: balances.get(&a.id).copied().unwrap_or(0),
                        })
                        .collect();
                    Ok((TrialBalance { book: book.clone(), as_of: None, lines }, accounts))
                }

                async fn share_out_replay(
                    tx: Exec<'_>,
                    request: &ShareOutRequest<'_>,
                    entry_id: EntryId,
                    key: &IdempotencyKey,
                ) -> StoreResult<ShareOutDone> {
                    let found: Option<(i64, i64, NaiveDate)> = sqlx::query_as(
                        "SELECT id, surplus, on_date FROM share_outs \
                         WHERE distribution_entry_id = $1 AND group_id = $2",
                    )
                    .bind(entry_id)
                    .bind(request.group_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    // The same key for a share-out on another day is a different request.
                    let Some((share_out_id, surplus, _)) = found.filter(|f| f.2 == request.on) else {
                        return Err(StoreError::IdempotencyConflict {
                            key: key.as_str().to_string(),
                            entry_id,
                        });
                    };
                    let shares: Vec<(i64, i64)> = sqlx::query_as(
                        "SELECT a.member_id, -p.amount FROM postings p \
                         JOIN accounts a ON a.id = p.account_id \
                         WHERE p.entry_id = $1 AND a.member_id IS NOT NULL ORDER BY a.member_id",
                    )
                    .bind(entry_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    Ok(ShareOutDone {
                        share_out_id,
                        surplus,
                        shares: shares
                            .into_iter()
                            .map(|(member_id, amount)| Share { member_id, amount })
                            .collect(),
                        distribution_entry_id: entry_id,
                        replayed: true,
                    })
                }
            }

            #[async_trait::async_trait]
            impl FundsStore for $store {
                async fn group_rules(&self, group_id: GroupId) -> StoreResult<GroupRules> {
                    let mut conn = self.pool.acquire().await?;
                    Self::group_book(&mut conn, group_id).await?;
                    let mut rules = Self::rules_of(&mut conn, &[group_id]).await?;
                    Ok(rules.remove(&group_id).unwrap_or_default())
                }

                async fn set_group_rules(&self, group_id: GroupId, rules: &GroupRules) -> StoreResult<()> {
                    rules.check()?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    Self::group_book(&mut tx, group_id).await?;
                    sqlx::query(
                        "INSERT INTO group_rules (group_id, thrift_amount, share_basis, \
                         return_savings_at_share_out, updated_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (group_id) DO UPDATE SET thrift_amount = excluded.thrift_amount, \
                         share_basis = excluded.share_basis, \
                         return_savings_at_share_out = excluded.return_savings_at_share_out, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(group_id)
                    .bind(rules.thrift_amount)
                    .bind(basis_text(rules.share_basis))
                    .bind(rules.return_savings_at_share_out)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn pay_thrift(
                    &self,
                    member_id: MemberId,
                    amount: i64,
                    on: NaiveDate,
                    into: Fund,
                    key: &IdempotencyKey,
                ) -> StoreResult<PostOutcome> {
                    let found: Option<(i64, String)> = sqlx::query_as(
                        "SELECT group_id, member_code FROM members WHERE id = $1",
                    )
                    .bind(member_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    let (group_id, code) = found.ok_or_else(|| StoreError::not_found("member", member_id))?;
                    self.group_rules(group_id).await?.check_thrift(amount)?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    let book = Self::group_book(&mut tx, group_id).await?;
                    let savings_code = chart::member_account_code(chart::shg::COMPULSORY_SAVINGS, &code);
                    let found = Self::accounts_by_code(&mut tx, book.id, &[into.account_code(), &savings_code]).await?;
                    let [fund, savings] = found.as_slice() else {
                        return Err(StoreError::Corrupt("thrift accounts missing".into()));
                    };
                    let entry = $crate::savings::deposit(&book, fund, savings, amount, on, key)?;
                    let outcome = Self::post_one_in_tx(&mut tx, &entry).await?;
                    tx.commit().await?;
                    Ok(outcome)
                }

                async fn receive_borrowing(
                    &self,
                    new: &NewBorrowing,
                    into: Fund,
                    key: &IdempotencyKey,
                ) -> StoreResult<BorrowingOperation> {
                    new.check()?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    let book = Self::group_book(&mut tx, new.group_id).await?;
                    let accounts =
                        Self::borrowing_accounts(&mut tx, book, new.source.account_code(), into).await?;
                    let units = accounts.book.currency.minor_units();
                    let schedule = match &new.terms {
                        Some(terms) => Some(generate(&terms.terms(new.principal, new.received_on, new.first_due, units))?),
                        None => None,
                    };
                    let memo = format!(
                        "{} from {} ({})",
                        new.source,
                        new.lender.trim(),
                        new.reference.trim()
                    );
                    let entry = accounts.receipt(new.principal, new.received_on, key, &memo)?;
                    let outcome = Self::post_one_in_tx(&mut tx, &entry).await?;
                    if outcome.replayed {
                        let row: Option<BorrowingRow> = sqlx::query_as(&format!(
                            "{BORROWING_COLUMNS} WHERE receipt_entry_id = $1"
                        ))
                        .bind(outcome.entry_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let borrowing = row
                            .ok_or_else(|| StoreError::IdempotencyConflict {
                                key: key.as_str().to_string(),
                                entry_id: outcome.entry_id,
                            })
                            .and_then(borrowing_of)?;
                        return Ok(BorrowingOperation {
                            borrowing,
                            entry_id: outcome.entry_id,
                            replayed: true,
                            allocation: Vec::new(),
                        });
                    }
                    let terms = new.terms.as_ref().map(settings_to_json).transpose()?;
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO group_borrowings (group_id, source, lender, reference, principal, \
                         terms, received_on, resolution, status, receipt_entry_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9) RETURNING id",
                    )
                    .bind(new.group_id)
                    .bind(new.source.as_str())
                    .bind(new.lender.trim())
                    .bind(new.reference.trim())
                    .bind(new.principal)
                    .bind(terms)
                    .bind(new.received_on)
                    .bind(new.resolution.trim())
                    .bind(outcome.entry_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if let Some(schedule) = &schedule {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO group_borrowing_installments (borrowing_id, number, due_date, \
                             principal, interest) ",
                        );
                        qb.push_values(&schedule.installments, |mut row, i| {
                            row.push_bind(id)
                                .push_bind(i.number as i32)
                                .push_bind(i.due_date)
                                .push_bind(i.principal)
                                .push_bind(i.interest);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    let borrowing = Self::lock_borrowing(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(BorrowingOperation {
                        borrowing,
                        entry_id: outcome.entry_id,
                        replayed: false,
                        allocation: Vec::new(),
                    })
                }

                async fn repay_borrowing(
                    &self,
                    id: BorrowingId,
                    amount: i64,
                    on: NaiveDate,
                    from: Fund,
                    key: &IdempotencyKey,
                ) -> StoreResult<BorrowingOperation> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let mut borrowing = Self::lock_borrowing(&mut tx, id).await?;
                    let book = Self::group_book(&mut tx, borrowing.group_id).await?;
                    if let Some((entry_id, date)) = Self::keyed_entry(&mut tx, book.id, key).await? {
                        let lines: Vec<(i64, i32, String, i64)> = sqlx::query_as(
                            "SELECT borrowing_id, installment, component, amount \
                             FROM group_borrowing_allocations WHERE entry_id = $1 \
                             ORDER BY installment, component",
                        )
                        .bind(entry_id)
                        .fetch_all(&mut *tx)
                        .await?;
                        let same = date == on
                            && !lines.is_empty()
                            && lines.iter().all(|l| l.0 == id)
                            && lines.iter().map(|l| l.3).sum::<i64>() == amount;
                        if !same {
                            return Err(StoreError::IdempotencyConflict {
                                key: key.as_str().to_string(),
                                entry_id,
                            });
                        }
                        let allocation = lines
                            .into_iter()
                            .map(|(_, n, c, amount)| {
                                Ok(AllocationLine { installment: n as u32, component: component(&c)?, amount })
                            })
                            .collect::<StoreResult<Vec<_>>>()?;
                        return Ok(BorrowingOperation { borrowing, entry_id, replayed: true, allocation });
                    }
                    let Some(terms) = borrowing.terms.clone() else {
                        return Err(BorrowingError::NotRepayable.into());
                    };
                    if borrowing.status == BorrowingStatus::Closed {
                        return Err(StoreError::LoanState(format!(
                            "borrowing {id} is already repaid in full"
                        )));
                    }
                    if on < borrowing.received_on {
                        return Err(StoreError::Invalid(
                            "a repayment cannot be dated before the money was received".into(),
                        ));
                    }
                    let mut state = Self::borrowings_where(&mut tx, "id", id)
                        .await?
                        .pop()
                        .map(|b| b.state)
                        .ok_or_else(|| StoreError::not_found("borrowing", id))?;
                    let lines = allocation::allocate(&state, amount, on, terms.allocation)?;
                    let accounts =
                        Self::borrowing_accounts(&mut tx, book, borrowing.source.account_code(), from)
                            .await?;
                    let memo = format!("to {} ({})", borrowing.lender, borrowing.reference);
                    let entry = accounts.repayment(&lines, on, key, &memo)?;
                    let entry_id = Self::post_one_in_tx(&mut tx, &entry).await?.entry_id;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO group_borrowing_allocations (entry_id, borrowing_id, installment, \
                         component, amount, paid_on) ",
                    );
                    qb.push_values(&lines, |mut row, l| {
                        row.push_bind(entry_id)
                            .push_bind(id)
                            .push_bind(l.installment as i32)
                            .push_bind(l.component.as_str())
                            .push_bind(l.amount)
                            .push_bind(on);
                    });
                    qb.build().execute(&mut *tx).await?;
                    allocation::apply(&mut state, on, &lines);
                    // Principal repaid in full settles it: interest on the
                    // declining balance of later periods is never owed.
                    let settled = state.principal_outstanding() == 0
                        && allocation::payable(&state, on, terms.allocation) == 0;
                    if settled {
                        sqlx::query("UPDATE group_borrowings SET status = 'closed', closed_on = $1 WHERE id = $2")
                            .bind(on)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        borrowing.status = BorrowingStatus::Closed;
                        borrowing.closed_on = Some(on);
                    }
                    tx.commit().await?;
                    Ok(BorrowingOperation { borrowing, entry_id, replayed: false, allocation: lines })
                }

                async fn borrowing(&self, id: BorrowingId) -> StoreResult<BorrowingWithState> {
                    let mut conn = self.pool.acquire().await?;
                    Self::borrowings_where(&mut conn, "id", id)
                        .await?
                        .pop()
                        .ok_or_else(|| StoreError::not_found("borrowing", id))
                }

                async fn borrowings(&self, group_id: GroupId) -> StoreResult<Vec<BorrowingWithState>> {
                    let mut conn = self.pool.acquire().await?;
                    Self::group_book(&mut conn, group_id).await?;
                    Self::borrowings_where(&mut conn, "group_id", group_id).await
                }

                async fn share_out(&self, request: &ShareOutRequest<'_>) -> StoreResult<ShareOutDone> {
                    let shares_key = IdempotencyKey::new(&format!("{}/shares", request.key_prefix))?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    let book = Self::group_book(&mut tx, request.group_id).await?;
                    if let Some((entry_id, _)) = Self::keyed_entry(&mut tx, book.id, &shares_key).await? {
                        return Self::share_out_replay(&mut tx, request, entry_id, &shares_key).await;
                    }
                    let (tb, accounts) = Self::locked_trial_balance(&mut tx, &book).await?;
                    let members: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, member_code FROM members WHERE group_id = $1 ORDER BY id",
                    )
                    .bind(request.group_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let balance_of = |id: i64| {
                        tb.lines.iter().find(|l| l.account_id == id).map(|l| -l.balance).unwrap_or(0)
                    };
                    let account = |code: String| {
                        accounts
                            .iter()
                            .find(|a| a.code == code)
                            .cloned()
                            .ok_or_else(|| StoreError::not_found("account", code))
                    };
                    let savers = members
                        .iter()
                        .map(|(member_id, code)| {
                            let compulsory = account(chart::member_account_code(chart::shg::COMPULSORY_SAVINGS, code))?;
                            let voluntary = account(chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, code))?;
                            Ok(MemberSavings {
                                member_id: *member_id,
                                compulsory_balance: balance_of(compulsory.id),
                                voluntary_balance: balance_of(voluntary.id),
                                compulsory,
                                voluntary,
                            })
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    let fund = account(request.fund.account_code().to_string())?;
                    let terms = ShareOutTerms {
                        basis: request.basis,
                        return_savings: request.return_savings,
                        fund: &fund,
                        on: request.on,
                        key_prefix: request.key_prefix,
                    };
                    let plan = $crate::savings::share_out(&tb, &accounts, &savers, &terms)?;
                    let entries: Vec<_> = [plan.closing, plan.distribution, plan.payout]
                        .into_iter()
                        .flatten()
                        .collect();
                    let outcomes = Self::post_in_tx(&mut tx, &entries).await?;
                    let distribution_entry_id = entries
                        .iter()
                        .zip(&outcomes)
                        .find(|(e, _)| e.idempotency_key() == &shares_key)
                        .map(|(_, o)| o.entry_id)
                        .ok_or_else(|| StoreError::Corrupt("share-out posted no distribution".into()))?;
                    let (share_out_id,): (i64,) = sqlx::query_as(
                        "INSERT INTO share_outs (group_id, on_date, share_basis, returned_savings, \
                         surplus, distribution_entry_id, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(request.group_id)
                    .bind(request.on)
                    .bind(basis_text(request.basis))
                    .bind(request.return_savings)
                    .bind(plan.surplus)
                    .bind(distribution_entry_id)
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(ShareOutDone {
                        share_out_id,
                        surplus: plan.surplus,
                        shares: plan.shares,
                        distribution_entry_id,
                        replayed: false,
                    })
                }
            }
        }
    };
}
