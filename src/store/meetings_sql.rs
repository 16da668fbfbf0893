//! SQL for `MeetingStore`, stamped out for both backends.

pub(super) const MEETING_COLUMNS: &str = "SELECT id, group_id, held_on, present, enrolled, \
     cash_in, cash_out, expected_cash, counted_cash FROM meetings";

pub(super) type MeetingRow = (
    i64,
    i64,
    chrono::NaiveDate,
    i32,
    i32,
    i64,
    i64,
    i64,
    Option<i64>,
);

pub(super) fn meeting_of(r: MeetingRow) -> crate::meetings::MeetingSummary {
    let (id, group_id, held_on, present, enrolled, cash_in, cash_out, expected_cash, counted_cash) =
        r;
    crate::meetings::MeetingSummary {
        id,
        group_id,
        held_on,
        present: i64::from(present),
        enrolled: i64::from(enrolled),
        cash_in,
        cash_out,
        expected_cash,
        counted_cash,
    }
}

macro_rules! impl_meeting_store {
    ($store:ident, $db:ty) => {
        mod meeting_impl {
            use super::$store;
            use $crate::groups::GroupId;
            use $crate::ledger::{chart, Account, EntryDraft, EntryId, IdempotencyKey, NewEntry};
            use $crate::meetings::{MeetingDraft, MeetingSummary};
            use $crate::money::Money;
            use $crate::store::auth::UserId;
            use $crate::store::meetings::{BankReading, CashCount, MeetingRecord, MeetingStore};
            use $crate::store::meetings_sql::{meeting_of, MeetingRow, MEETING_COLUMNS};
            use $crate::store::shared::{AccountRow, ACCOUNT_COLUMNS};
            use $crate::store::{Fund, FundsStore, Repayment, StoreError, StoreResult};
            use chrono::{NaiveDate, Utc};
            use std::collections::HashMap;

            type Tx = sqlx::Transaction<'static, $db>;

            fn sub_key(key: &IdempotencyKey, suffix: &str) -> StoreResult<IdempotencyKey> {
                Ok(IdempotencyKey::new(&format!("{}/{suffix}", key.as_str()))?)
            }

            impl $store {
                async fn meeting_record(tx: &mut Tx, id: i64, replayed: bool) -> StoreResult<MeetingRecord> {
                    let row: Option<MeetingRow> = sqlx::query_as(&format!("{MEETING_COLUMNS} WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                    let meeting = row.map(meeting_of).ok_or_else(|| StoreError::not_found("meeting", id))?;
                    let entries: Vec<(i64,)> = sqlx::query_as(
                        "SELECT entry_id FROM meeting_entries WHERE meeting_id = $1 ORDER BY entry_id",
                    )
                    .bind(id)
                    .fetch_all(&mut **tx)
                    .await?;
                    Ok(MeetingRecord { meeting, replayed, entry_ids: entries.into_iter().map(|e| e.0).collect() })
                }

                /// The meeting's own entries: savings, fines, social fund,
                /// withdrawals and expenses (loans post through the loan engine).
                fn meeting_entries(
                    draft: &MeetingDraft,
                    book: &$crate::ledger::Book,
                    accounts: &HashMap<String, Account>,
                    codes: &HashMap<i64, String>,
                    key: &IdempotencyKey,
                ) -> StoreResult<(Vec<NewEntry>, Vec<i64>)> {
                    let account = |code: &str| {
                        accounts.get(code).ok_or_else(|| StoreError::not_found("account", code))
                    };
                    let cash = account(chart::shg::CASH)?;
                    let on = draft.held_on;
                    let mut entries = Vec::new();
                    let mut floors = vec![cash.id];
                    for m in &draft.members {
                        let code = codes.get(&m.member_id).ok_or_else(|| {
                            StoreError::Invalid(format!("member {} is not in this group", m.member_id))
                        })?;
                        let id = m.member_id;
                        let compulsory = account(&chart::member_account_code(chart::shg::COMPULSORY_SAVINGS, code))?;
                        let voluntary = account(&chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, code))?;
                        if m.thrift > 0 {
                            entries.push($crate::savings::deposit(book, cash, compulsory, m.thrift, on, &sub_key(key, &format!("thrift/{id}"))?)?);
                        }
                        if m.voluntary > 0 {
                            entries.push($crate::savings::deposit(book, cash, voluntary, m.voluntary, on, &sub_key(key, &format!("voluntary/{id}"))?)?);
                        }
                        if m.fine > 0 {
                            entries.push($crate::savings::fine(book, cash, account(chart::shg::FINE_INCOME)?, m.fine, on, &sub_key(key, &format!("fine/{id}"))?)?);
                        }
                        if m.social_fund > 0 {
                            entries.push($crate::savings::social_fund_contribution(book, cash, account(chart::shg::SOCIAL_FUND)?, m.social_fund, on, &sub_key(key, &format!("social/{id}"))?)?);
                        }
                        if m.withdrawal > 0 {
                            let resolution = draft.withdrawal_resolution.as_deref().unwrap_or("");
                            entries.push($crate::savings::withdrawal(book, voluntary, cash, m.withdrawal, on, &sub_key(key, &format!("withdrawal/{id}"))?, resolution)?);
                            floors.push(voluntary.id);
                        }
                    }
                    let expenses = account(chart::shg::EXPENSES)?;
                    for (i, e) in draft.expenses.iter().enumerate() {
                        let entry = EntryDraft::of_kind(book, on, "expense", &sub_key(key, &format!("expense/{i}"))?)?
                            .memo(e.description.trim())
                            .transfer(expenses, cash, Money::from_minor(e.amount, book.currency))
                            .build()?;
                        entries.push(entry);
                    }
                    Ok((entries, floors))
                }

                /// Refuses the meeting if any guarded account ended below zero.
                async fn check_floors(tx: &mut Tx, floors: &[i64]) -> StoreResult<()> {
                    for &id in floors {
                        let (code, side, balance) = Self::side_and_balance(tx, id).await?;
                        if side.present(balance) < 0 {
                            return Err(StoreError::InsufficientBalance { account: code, available: side.present(balance) });
                        }
                    }
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl MeetingStore for $store {
                async fn record_meeting(
                    &self,
                    draft: &MeetingDraft,
                    key: &IdempotencyKey,
                    recorded_by: Option<UserId>,
                ) -> StoreResult<MeetingRecord> {
                    let rules = self.group_rules(draft.group_id).await?;
                    for m in draft.members.iter().filter(|m| m.thrift > 0) {
                        rules.check_thrift(m.thrift).map_err(|e| {
                            StoreError::Invalid(format!("member {}: {e}", m.member_id))
                        })?;
                    }
                    let (_guard, mut tx) = self.begin_write().await?;
                    // The meeting row first: a concurrent submit of the same
                    // form waits on this key and then finds the saved meeting.
                    let inserted: Option<(i64,)> = sqlx::query_as(
                        "INSERT INTO meetings (group_id, held_on, idempotency_key, recorded_by, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (group_id, idempotency_key) DO NOTHING RETURNING id",
                    )
                    .bind(draft.group_id)
                    .bind(draft.held_on)
                    .bind(key.as_str())
                    .bind(recorded_by)
                    .bind(Utc::now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((meeting_id,)) = inserted else {
                        let (id,): (i64,) = sqlx::query_as(
                            "SELECT id FROM meetings WHERE group_id = $1 AND idempotency_key = $2",
                        )
                        .bind(draft.group_id)
                        .bind(key.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                        return Self::meeting_record(&mut tx, id, true).await;
                    };
                    let book = Self::group_book(&mut tx, draft.group_id).await?;
                    let members: Vec<(i64, String)> =
                        sqlx::query_as("SELECT id, member_code FROM members WHERE group_id = $1")
                            .bind(draft.group_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    let codes: HashMap<i64, String> = members.into_iter().collect();
                    let rows: Vec<AccountRow> = sqlx::query_as(&format!("{ACCOUNT_COLUMNS} WHERE a.book_id = $1"))
                        .bind(book.id)
                        .fetch_all(&mut *tx)
                        .await?;
                    let accounts: HashMap<String, Account> = rows
                        .into_iter()
                        .map(|r| Account::try_from(r).map(|a| (a.code.clone(), a)))
                        .collect::<StoreResult<_>>()?;
                    let (entries, floors) = Self::meeting_entries(draft, &book, &accounts, &codes, key)?;
                    let mut entry_ids: Vec<EntryId> = Self::post_in_tx(&mut tx, &entries)
                        .await?
                        .into_iter()
                        .map(|o| o.entry_id)
                        .collect();
                    let repayments: Vec<(i64, Repayment)> = draft
                        .members
                        .iter()
                        .flat_map(|m| m.repayments.iter().filter(|r| r.1 > 0).map(move |r| (m.member_id, *r)))
                        .map(|(member_id, (loan_id, amount))| {
                            Ok((member_id, Repayment {
                                loan_id,
                                amount,
                                on: draft.held_on,
                                into: Fund::Cash,
                                key: sub_key(key, &format!("repay/{loan_id}"))?,
                            }))
                        })
                        .collect::<StoreResult<_>>()?;
                    if !repayments.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, member_id, group_id FROM loans WHERE id IN (");
                        let mut list = qb.separated(", ");
                        for (_, r) in &repayments {
                            list.push_bind(r.loan_id);
                        }
                        qb.push(")");
                        let owners: HashMap<i64, (i64, i64)> = qb
                            .build_query_as::<(i64, i64, i64)>()
                            .fetch_all(&mut *tx)
                            .await?
                            .into_iter()
                            .map(|(id, member, group)| (id, (member, group)))
                            .collect();
                        for (member_id, r) in &repayments {
                            if owners.get(&r.loan_id) != Some(&(*member_id, draft.group_id)) {
                                return Err(StoreError::Invalid(format!(
                                    "loan {} is not a loan of member {member_id} in this group",
                                    r.loan_id
                                )));
                            }
                        }
                        let batch: Vec<Repayment> = repayments.into_iter().map(|(_, r)| r).collect();
                        for answer in Self::repay_many_in(&mut tx, &batch).await? {
                            entry_ids.push(answer?.entry_id);
                        }
                    }
                    for &loan_id in &draft.disbursements {
                        let group: Option<(i64,)> = sqlx::query_as("SELECT group_id FROM loans WHERE id = $1")
                            .bind(loan_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if group != Some((draft.group_id,)) {
                            return Err(StoreError::Invalid(format!("loan {loan_id} is not a loan of this group")));
                        }
                        let op = Self::disburse_in(&mut tx, loan_id, draft.held_on, None, Fund::Cash, &sub_key(key, &format!("disburse/{loan_id}"))?).await?;
                        entry_ids.push(op.entry_id);
                    }
                    Self::check_floors(&mut tx, &floors).await?;
                    let cash = accounts
                        .get(chart::shg::CASH)
                        .ok_or_else(|| StoreError::not_found("account", chart::shg::CASH))?;
                    let mut cash_in = 0_i64;
                    let mut cash_out = 0_i64;
                    if !entry_ids.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "SELECT COALESCE(CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT), 0), \
                             COALESCE(CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT), 0) \
                             FROM postings WHERE account_id = ",
                        );
                        qb.push_bind(cash.id).push(" AND entry_id IN (");
                        let mut list = qb.separated(", ");
                        for id in &entry_ids {
                            list.push_bind(*id);
                        }
                        qb.push(")");
                        let (i, o): (i64, i64) = qb.build_query_as().fetch_one(&mut *tx).await?;
                        cash_in = i;
                        cash_out = o;
                        let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO meeting_entries (meeting_id, entry_id) ");
                        qb.push_values(&entry_ids, |mut row, id| {
                            row.push_bind(meeting_id).push_bind(*id);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    if !draft.members.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO meeting_attendance (meeting_id, member_id, present) ");
                        qb.push_values(&draft.members, |mut row, m| {
                            row.push_bind(meeting_id).push_bind(m.member_id).push_bind(m.present);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    let (expected,): (i64,) = sqlx::query_as("SELECT balance FROM accounts WHERE id = $1")
                        .bind(cash.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let present = draft.members.iter().filter(|m| m.present).count() as i32;
                    sqlx::query(
                        "UPDATE meetings SET present = $1, enrolled = $2, cash_in = $3, cash_out = $4, \
                         expected_cash = $5, counted_cash = $6 WHERE id = $7",
                    )
                    .bind(present)
                    .bind(codes.len() as i32)
                    .bind(cash_in)
                    .bind(cash_out)
                    .bind(expected)
                    .bind(draft.cash_counted)
                    .bind(meeting_id)
                    .execute(&mut *tx)
                    .await?;
                    let record = Self::meeting_record(&mut tx, meeting_id, false).await?;
                    tx.commit().await?;
                    Ok(record)
                }

                async fn meeting(&self, id: i64) -> StoreResult<MeetingRecord> {
                    let mut tx: Tx = self.pool.begin().await?;
                    let record = Self::meeting_record(&mut tx, id, false).await?;
                    tx.rollback().await?;
                    Ok(record)
                }

                async fn meeting_by_key(&self, group_id: GroupId, key: &IdempotencyKey) -> StoreResult<Option<MeetingSummary>> {
                    let row: Option<MeetingRow> = sqlx::query_as(&format!(
                        "{MEETING_COLUMNS} WHERE group_id = $1 AND idempotency_key = $2"
                    ))
                    .bind(group_id)
                    .bind(key.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(meeting_of))
                }

                async fn meetings(&self, group_id: GroupId, limit: u32) -> StoreResult<Vec<MeetingSummary>> {
                    let rows: Vec<MeetingRow> = sqlx::query_as(&format!(
                        "{MEETING_COLUMNS} WHERE group_id = $1 ORDER BY held_on DESC, id DESC LIMIT $2"
                    ))
                    .bind(group_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(meeting_of).collect())
                }

                async fn latest_meetings(&self) -> StoreResult<Vec<MeetingSummary>> {
                    let rows: Vec<MeetingRow> = sqlx::query_as(&format!(
                        "{MEETING_COLUMNS} WHERE id IN (SELECT MAX(id) FROM meetings m \
                         WHERE m.held_on = (SELECT MAX(held_on) FROM meetings x WHERE x.group_id = m.group_id) \
                         GROUP BY m.group_id) ORDER BY group_id"
                    ))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(meeting_of).collect())
                }

                async fn record_cash_count(
                    &self,
                    group_id: GroupId,
                    on: NaiveDate,
                    counted: i64,
                    reason: &str,
                    key: &IdempotencyKey,
                    recorded_by: Option<UserId>,
                ) -> StoreResult<CashCount> {
                    if counted < 0 {
                        return Err(StoreError::Invalid("counted cash is zero or more".into()));
                    }
                    let reason = reason.trim();
                    if reason.chars().count() > 200 {
                        return Err(StoreError::Invalid("reason: at most 200 characters".into()));
                    }
                    let (_guard, mut tx) = self.begin_write().await?;
                    let book = Self::group_book(&mut tx, group_id).await?;
                    let found = Self::accounts_by_code(&mut tx, book.id, &[chart::shg::CASH, chart::shg::CASH_DIFFERENCES]).await?;
                    let [cash, differences] = found.as_slice() else {
                        return Err(StoreError::Corrupt("cash accounts missing".into()));
                    };
                    if let Some((entry_id, _)) = Self::keyed_entry(&mut tx, book.id, key).await? {
                        let row: Option<(i64, NaiveDate, i64, i64, String, Option<i64>)> = sqlx::query_as(
                            "SELECT id, counted_on, counted, books, reason, entry_id FROM cash_counts WHERE entry_id = $1",
                        )
                        .bind(entry_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        return match row {
                            Some((id, counted_on, c, books, reason, entry_id)) if c == counted && counted_on == on => {
                                Ok(CashCount { id, counted_on, counted: c, books, reason, entry_id })
                            }
                            _ => Err(StoreError::IdempotencyConflict { key: key.as_str().to_string(), entry_id }),
                        };
                    }
                    let (books,): (i64,) = sqlx::query_as("SELECT balance FROM accounts WHERE id = $1")
                        .bind(cash.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let difference = counted - books;
                    let entry_id = if difference != 0 {
                        if reason.is_empty() {
                            return Err(StoreError::Invalid(
                                "reason: say why the cash differs from the books".into(),
                            ));
                        }
                        let entry = EntryDraft::of_kind(&book, on, "cash-difference", key)?
                            .memo(reason)
                            .signed(cash, Money::from_minor(difference, book.currency))
                            .signed(differences, Money::from_minor(-difference, book.currency))
                            .build()?;
                        Some(Self::post_one_in_tx(&mut tx, &entry).await?.entry_id)
                    } else {
                        None
                    };
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO cash_counts (group_id, counted_on, counted, books, reason, entry_id, \
                         recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(group_id)
                    .bind(on)
                    .bind(counted)
                    .bind(books)
                    .bind(reason)
                    .bind(entry_id)
                    .bind(recorded_by)
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(CashCount { id, counted_on: on, counted, books, reason: reason.to_string(), entry_id })
                }

                async fn cash_counts(&self, group_id: GroupId) -> StoreResult<Vec<CashCount>> {
                    let rows: Vec<(i64, NaiveDate, i64, i64, String, Option<i64>)> = sqlx::query_as(
                        "SELECT id, counted_on, counted, books, reason, entry_id FROM cash_counts \
                         WHERE group_id = $1 ORDER BY counted_on DESC, id DESC LIMIT 50",
                    )
                    .bind(group_id)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, counted_on, counted, books, reason, entry_id)| CashCount {
                            id, counted_on, counted, books, reason, entry_id,
                        })
                        .collect())
                }

                async fn record_bank_reading(
                    &self,
                    group_id: GroupId,
                    passbook_date: NaiveDate,
                    passbook_balance: i64,
                    recorded_by: Option<UserId>,
                ) -> StoreResult<BankReading> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let book = Self::group_book(&mut tx, group_id).await?;
                    let (books,): (i64,) = sqlx::query_as(
                        "SELECT COALESCE(CAST(SUM(p.amount) AS BIGINT), 0) FROM postings p \
                         JOIN accounts a ON a.id = p.account_id \
                         WHERE a.book_id = $1 AND a.code = $2 AND p.business_date <= $3",
                    )
                    .bind(book.id)
                    .bind(chart::shg::BANK)
                    .bind(passbook_date)
                    .fetch_one(&mut *tx)
                    .await?;
                    // The bank page shows the passbook less the books: a
                    // reading so far from them that the difference cannot
                    // be held is refused here, not overflowed there.
                    if passbook_balance.checked_sub(books).is_none() {
                        return Err(StoreError::Overflow);
                    }
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO bank_readings (group_id, passbook_date, passbook_balance, books, \
                         recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(group_id)
                    .bind(passbook_date)
                    .bind(passbook_balance)
                    .bind(books)
                    .bind(recorded_by)
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(BankReading { id, passbook_date, passbook_balance, books })
                }

                async fn latest_bank_reading(&self, group_id: GroupId) -> StoreResult<Option<BankReading>> {
                    let row: Option<(i64, NaiveDate, i64, i64)> = sqlx::query_as(
                        "SELECT id, passbook_date, passbook_balance, books FROM bank_readings \
                         WHERE group_id = $1 ORDER BY passbook_date DESC, id DESC LIMIT 1",
                    )
                    .bind(group_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.map(|(id, passbook_date, passbook_balance, books)| BankReading {
                        id, passbook_date, passbook_balance, books,
                    }))
                }
            }
        }
    };
}
