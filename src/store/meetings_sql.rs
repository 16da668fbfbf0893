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
            use $crate::store::meetings::{BankReading, CashCount, MeetingRecord, MeetingStore, MeetingSubmission};
            use $crate::store::meetings_sql::{meeting_of, MeetingRow, MEETING_COLUMNS};
            use $crate::store::gathered::{AllRows, Gathered};
            use $crate::store::shared::{AccountRow, ACCOUNTS_FROM, ACCOUNT_FIELDS, ROWS_PER_INSERT};
            use $crate::store::{Fund, Repayment, StoreError, StoreResult};
            use chrono::{NaiveDate, Utc};
            use std::collections::{HashMap, HashSet};

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
                        // Looked up only when moved: the caller reads only those.
                        let compulsory = || account(&chart::member_account_code(chart::shg::COMPULSORY_SAVINGS, code));
                        let voluntary = || account(&chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, code));
                        if m.thrift > 0 {
                            entries.push($crate::savings::deposit(book, cash, compulsory()?, m.thrift, on, &sub_key(key, &format!("thrift/{id}"))?)?);
                        }
                        if m.voluntary > 0 {
                            entries.push($crate::savings::deposit(book, cash, voluntary()?, m.voluntary, on, &sub_key(key, &format!("voluntary/{id}"))?)?);
                        }
                        if m.fine > 0 {
                            entries.push($crate::savings::fine(book, cash, account(chart::shg::FINE_INCOME)?, m.fine, on, &sub_key(key, &format!("fine/{id}"))?)?);
                        }
                        if m.social_fund > 0 {
                            entries.push($crate::savings::social_fund_contribution(book, cash, account(chart::shg::SOCIAL_FUND)?, m.social_fund, on, &sub_key(key, &format!("social/{id}"))?)?);
                        }
                        if m.withdrawal > 0 {
                            let resolution = draft.withdrawal_resolution.as_deref().unwrap_or("");
                            let voluntary = voluntary()?;
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

                /// Refuses the meeting if any guarded account ended below zero;
                /// otherwise answers with their balances, by id.
                async fn check_floors(tx: &mut Tx, floors: &[i64]) -> StoreResult<HashMap<i64, i64>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, code, balance, normal_side FROM accounts WHERE id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for id in floors {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(i64, String, i64, String)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    // In the order given, so the first refusal is the same however the rows come.
                    for id in floors {
                        let (_, code, balance, side) = rows
                            .iter()
                            .find(|r| r.0 == *id)
                            .ok_or_else(|| StoreError::not_found("account", id))?;
                        let side: $crate::ledger::Side = side.parse().map_err(StoreError::Corrupt)?;
                        if side.present(*balance) < 0 {
                            return Err(StoreError::InsufficientBalance { account: code.clone(), available: side.present(*balance) });
                        }
                    }
                    Ok(rows.into_iter().map(|(id, _, balance, _)| (id, balance)).collect())
                }
                /// Posts a batch of meetings in the caller's transaction: see
                /// `MeetingStore::record_meetings`. Every read and write is one
                /// statement for the whole batch (chunked only past the
                /// databases' limits on parameters); only paying out a loan
                /// and a re-sent form take statements of their own.
                async fn record_meetings_in(tx: &mut Tx, batch: &[MeetingSubmission]) -> StoreResult<Vec<MeetingRecord>> {
                    let groups: Vec<GroupId> = batch.iter().map(|s| s.draft.group_id).collect();
                    let mut seen = HashSet::with_capacity(groups.len());
                    if let Some(twice) = groups.iter().find(|g| !seen.insert(**g)) {
                        return Err(StoreError::Invalid(format!(
                            "group {twice} has more than one meeting in the batch"
                        )));
                    }
                    let books = Self::group_books(&mut **tx, &groups).await?;
                    let rules = Self::rules_of(&mut **tx, &groups).await?;
                    for s in batch {
                        let rules = rules.get(&s.draft.group_id).cloned().unwrap_or_default();
                        for m in s.draft.members.iter().filter(|m| m.thrift > 0) {
                            rules.check_thrift(m.thrift).map_err(|e| {
                                StoreError::Invalid(format!("member {}: {e}", m.member_id))
                            })?;
                        }
                    }
                    // The meeting rows first: a concurrent submit of the same
                    // form waits on its key and then finds the saved meeting.
                    let recorded_at = Utc::now();
                    let mut inserted: HashMap<GroupId, i64> = HashMap::with_capacity(batch.len());
                    for chunk in batch.chunks(ROWS_PER_INSERT / 5) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO meetings (group_id, held_on, idempotency_key, recorded_by, recorded_at) ",
                        );
                        qb.push_values(chunk, |mut row, s| {
                            row.push_bind(s.draft.group_id)
                                .push_bind(s.draft.held_on)
                                .push_bind(s.key.as_str())
                                .push_bind(s.recorded_by)
                                .push_bind(recorded_at);
                        });
                        qb.push(" ON CONFLICT (group_id, idempotency_key) DO NOTHING RETURNING group_id, id");
                        inserted.extend(qb.build_query_as::<(GroupId, i64)>().fetch_all(&mut **tx).await?);
                    }
                    let mut records: Vec<Option<MeetingRecord>> = Vec::with_capacity(batch.len());
                    let mut fresh: Vec<(usize, i64)> = Vec::with_capacity(batch.len());
                    for (at, s) in batch.iter().enumerate() {
                        match inserted.get(&s.draft.group_id) {
                            Some(&id) => {
                                fresh.push((at, id));
                                records.push(None);
                            }
                            None => {
                                let (id,): (i64,) = sqlx::query_as(
                                    "SELECT id FROM meetings WHERE group_id = $1 AND idempotency_key = $2",
                                )
                                .bind(s.draft.group_id)
                                .bind(s.key.as_str())
                                .fetch_one(&mut **tx)
                                .await?;
                                records.push(Some(Self::meeting_record(tx, id, true).await?));
                            }
                        }
                    }
                    if fresh.is_empty() {
                        return records
                            .into_iter()
                            .map(|r| r.ok_or_else(|| StoreError::Corrupt("a meeting had no record".into())))
                            .collect();
                    }
                    let fresh_groups: Vec<GroupId> = fresh.iter().map(|(at, _)| batch[*at].draft.group_id).collect();
                    let codes = Self::member_codes(tx, &fresh_groups).await?;
                    let book_ids: Vec<i64> = fresh_groups
                        .iter()
                        .map(|g| books.get(g).map(|b| b.id).ok_or_else(|| StoreError::not_found("group", g)))
                        .collect::<StoreResult<_>>()?;
                    // Only the accounts the meetings move: a book's members'
                    // loan accounts and the rest of its chart stay unread.
                    let mut wanted: HashSet<String> = [
                        chart::shg::CASH,
                        chart::shg::FINE_INCOME,
                        chart::shg::SOCIAL_FUND,
                        chart::shg::EXPENSES,
                    ]
                    .into_iter()
                    .map(String::from)
                    .collect();
                    for &(at, _) in &fresh {
                        let draft = &batch[at].draft;
                        let Some(group_codes) = codes.get(&draft.group_id) else { continue };
                        for m in &draft.members {
                            let Some(code) = group_codes.get(&m.member_id) else { continue };
                            if m.thrift > 0 {
                                wanted.insert(chart::member_account_code(chart::shg::COMPULSORY_SAVINGS, code));
                            }
                            if m.voluntary > 0 || m.withdrawal > 0 {
                                wanted.insert(chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, code));
                            }
                        }
                    }
                    let accounts = Self::accounts_of_books(tx, &book_ids, &wanted).await?;
                    let no_codes = HashMap::new();
                    let no_accounts = HashMap::new();
                    let mut entries = Vec::new();
                    let mut floors = Vec::new();
                    // Each fresh meeting's entry ids, and its cash account.
                    let mut meeting_entry_ids: Vec<Vec<EntryId>> = Vec::with_capacity(fresh.len());
                    let mut cash_ids: Vec<i64> = Vec::with_capacity(fresh.len());
                    let mut made = Vec::with_capacity(fresh.len());
                    for (&(at, _), book_id) in fresh.iter().zip(&book_ids) {
                        let s = &batch[at];
                        let book = books.get(&s.draft.group_id).ok_or_else(|| StoreError::not_found("group", s.draft.group_id))?;
                        let book_accounts = accounts.get(book_id).unwrap_or(&no_accounts);
                        let group_codes = codes.get(&s.draft.group_id).unwrap_or(&no_codes);
                        let (mine, guarded) = Self::meeting_entries(&s.draft, book, book_accounts, group_codes, &s.key)?;
                        let cash = book_accounts
                            .get(chart::shg::CASH)
                            .ok_or_else(|| StoreError::not_found("account", chart::shg::CASH))?;
                        cash_ids.push(cash.id);
                        made.push(mine.len());
                        entries.extend(mine);
                        floors.extend(guarded);
                    }
                    let mut posted = Self::post_in_tx(tx, &entries).await?.into_iter().map(|o| o.entry_id);
                    for count in made {
                        meeting_entry_ids.push(posted.by_ref().take(count).collect());
                    }
                    // Loan repayments of every meeting, decided and written as one batch.
                    let mut repaid_by: Vec<usize> = Vec::new();
                    let mut repayments: Vec<(i64, GroupId, Repayment)> = Vec::new();
                    for (n, &(at, _)) in fresh.iter().enumerate() {
                        let draft = &batch[at].draft;
                        for m in &draft.members {
                            for &(loan_id, amount) in m.repayments.iter().filter(|r| r.1 > 0) {
                                repaid_by.push(n);
                                repayments.push((m.member_id, draft.group_id, Repayment {
                                    loan_id,
                                    amount,
                                    on: draft.held_on,
                                    into: Fund::Cash,
                                    key: sub_key(&batch[at].key, &format!("repay/{loan_id}"))?,
                                }));
                            }
                        }
                    }
                    // Whose each repaid or paid-out loan is, in one read for both.
                    let paid_out = fresh.iter().flat_map(|&(at, _)| batch[at].draft.disbursements.iter().copied());
                    let named: Vec<i64> = repayments.iter().map(|r| r.2.loan_id).chain(paid_out).collect();
                    let owners = if named.is_empty() {
                        HashMap::new()
                    } else {
                        Self::loan_owners(tx, &named).await?
                    };
                    if !repayments.is_empty() {
                        for (member_id, group_id, r) in &repayments {
                            if owners.get(&r.loan_id) != Some(&(*member_id, *group_id)) {
                                return Err(StoreError::Invalid(format!(
                                    "loan {} is not a loan of member {member_id} in this group",
                                    r.loan_id
                                )));
                            }
                        }
                        let all: Vec<Repayment> = repayments.into_iter().map(|(_, _, r)| r).collect();
                        for (answer, &n) in Self::repay_many_in(tx, &all).await?.into_iter().zip(&repaid_by) {
                            meeting_entry_ids[n].push(answer?.entry_id);
                        }
                    }
                    for (n, &(at, _)) in fresh.iter().enumerate() {
                        let s = &batch[at];
                        for &loan_id in &s.draft.disbursements {
                            if owners.get(&loan_id).map(|o| o.1) != Some(s.draft.group_id) {
                                return Err(StoreError::Invalid(format!("loan {loan_id} is not a loan of this group")));
                            }
                            let key = sub_key(&s.key, &format!("disburse/{loan_id}"))?;
                            let op = Self::disburse_in(tx, loan_id, s.draft.held_on, None, Fund::Cash, &key).await?;
                            meeting_entry_ids[n].push(op.entry_id);
                        }
                    }
                    // Every meeting's cash box is among the floors, so this is
                    // also the expected cash at the close.
                    let balances = Self::check_floors(tx, &floors).await?;
                    let flows = Self::cash_flows(tx, &cash_ids, &meeting_entry_ids).await?;
                    let links: Vec<(i64, EntryId)> = fresh
                        .iter()
                        .zip(&meeting_entry_ids)
                        .flat_map(|(&(_, meeting_id), ids)| ids.iter().map(move |&id| (meeting_id, id)))
                        .collect();
                    for chunk in links.chunks(ROWS_PER_INSERT / 2) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO meeting_entries (meeting_id, entry_id) ");
                        qb.push_values(chunk, |mut row, (meeting_id, entry_id)| {
                            row.push_bind(*meeting_id).push_bind(*entry_id);
                        });
                        qb.build().execute(&mut **tx).await?;
                    }
                    let attendance: Vec<(i64, i64, bool)> = fresh
                        .iter()
                        .flat_map(|&(at, meeting_id)| {
                            batch[at].draft.members.iter().map(move |m| (meeting_id, m.member_id, m.present))
                        })
                        .collect();
                    for chunk in attendance.chunks(ROWS_PER_INSERT / 3) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO meeting_attendance (meeting_id, member_id, present) ");
                        qb.push_values(chunk, |mut row, (meeting_id, member_id, present)| {
                            row.push_bind(*meeting_id).push_bind(*member_id).push_bind(*present);
                        });
                        qb.build().execute(&mut **tx).await?;
                    }
                    let mut summaries = Vec::with_capacity(fresh.len());
                    for (&(at, meeting_id), cash_id) in fresh.iter().zip(&cash_ids) {
                        let draft = &batch[at].draft;
                        let (cash_in, cash_out) = flows.get(cash_id).copied().unwrap_or((0, 0));
                        let expected_cash = balances
                            .get(cash_id)
                            .copied()
                            .ok_or_else(|| StoreError::not_found("account", cash_id))?;
                        summaries.push(MeetingSummary {
                            id: meeting_id,
                            group_id: draft.group_id,
                            held_on: draft.held_on,
                            present: draft.members.iter().filter(|m| m.present).count() as i64,
                            enrolled: codes.get(&draft.group_id).map_or(0, |c| c.len()) as i64,
                            cash_in,
                            cash_out,
                            expected_cash,
                            counted_cash: draft.cash_counted,
                        });
                    }
                    for chunk in summaries.chunks(ROWS_PER_INSERT / 7) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "WITH v (id, present, enrolled, cash_in, cash_out, expected_cash, counted_cash) AS (",
                        );
                        qb.push_values(chunk, |mut row, m| {
                            row.push_bind(m.id)
                                .push_bind(m.present as i32)
                                .push_bind(m.enrolled as i32)
                                .push_bind(m.cash_in)
                                .push_bind(m.cash_out)
                                .push_bind(m.expected_cash)
                                .push_bind(m.counted_cash);
                        });
                        qb.push(
                            ") UPDATE meetings SET present = v.present, enrolled = v.enrolled, \
                             cash_in = v.cash_in, cash_out = v.cash_out, expected_cash = v.expected_cash, \
                             counted_cash = v.counted_cash FROM v WHERE meetings.id = v.id",
                        );
                        let done = qb.build().execute(&mut **tx).await?;
                        if done.rows_affected() != chunk.len() as u64 {
                            return Err(StoreError::Corrupt("a meeting row vanished while it was posted".into()));
                        }
                    }
                    // What was just written, without reading it back.
                    for ((&(at, _), mut entry_ids), meeting) in fresh.iter().zip(meeting_entry_ids).zip(summaries) {
                        entry_ids.sort_unstable();
                        records[at] = Some(MeetingRecord { meeting, replayed: false, entry_ids });
                    }
                    records
                        .into_iter()
                        .map(|r| r.ok_or_else(|| StoreError::Corrupt("a meeting had no record".into())))
                        .collect()
                }

                /// Each group's members' codes by member id, in one query.
                async fn member_codes(tx: &mut Tx, groups: &[GroupId]) -> StoreResult<HashMap<GroupId, HashMap<i64, String>>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {} FROM members WHERE group_id IN (",
                        <(GroupId, i64, String) as Gathered<$db>>::gather("group_id, id, member_code")
                    ));
                    let mut list = qb.separated(", ");
                    for id in groups {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let AllRows::<(GroupId, i64, String)>(rows) = qb.build_query_as().fetch_one(&mut **tx).await?;
                    let mut codes: HashMap<GroupId, HashMap<i64, String>> = HashMap::new();
                    for (group_id, id, code) in rows {
                        codes.entry(group_id).or_default().insert(id, code);
                    }
                    Ok(codes)
                }

                /// The accounts of these codes in each book, by book and code,
                /// in one query.
                async fn accounts_of_books(
                    tx: &mut Tx,
                    books: &[i64],
                    codes: &HashSet<String>,
                ) -> StoreResult<HashMap<i64, HashMap<String, Account>>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {} {ACCOUNTS_FROM} WHERE a.book_id IN (",
                        <AccountRow as Gathered<$db>>::gather(ACCOUNT_FIELDS)
                    ));
                    let mut list = qb.separated(", ");
                    for id in books {
                        list.push_bind(*id);
                    }
                    qb.push(") AND a.code IN (");
                    let mut list = qb.separated(", ");
                    for code in codes {
                        list.push_bind(code.as_str());
                    }
                    qb.push(")");
                    let AllRows::<AccountRow>(rows) = qb.build_query_as().fetch_one(&mut **tx).await?;
                    let mut accounts: HashMap<i64, HashMap<String, Account>> = HashMap::new();
                    for row in rows {
                        let account = Account::try_from(row)?;
                        accounts.entry(account.book_id).or_default().insert(account.code.clone(), account);
                    }
                    Ok(accounts)
                }

                /// (member, group) of each loan, in one query.
                async fn loan_owners(tx: &mut Tx, loans: &[i64]) -> StoreResult<HashMap<i64, (i64, GroupId)>> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, member_id, group_id FROM loans WHERE id IN (");
                    let mut list = qb.separated(", ");
                    for id in loans {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    Ok(qb
                        .build_query_as::<(i64, i64, GroupId)>()
                        .fetch_all(&mut **tx)
                        .await?
                        .into_iter()
                        .map(|(id, member, group)| (id, (member, group)))
                        .collect())
                }

                /// Cash received and paid out (in, out) by each cash account in
                /// the entries given. The unary plus keeps the planner off the
                /// account index, which would walk each cash box's whole
                /// history; the entries are found by their key instead.
                async fn cash_flows(
                    tx: &mut Tx,
                    cash_ids: &[i64],
                    entry_ids: &[Vec<EntryId>],
                ) -> StoreResult<HashMap<i64, (i64, i64)>> {
                    let all: Vec<EntryId> = entry_ids.iter().flatten().copied().collect();
                    let mut flows: HashMap<i64, (i64, i64)> = HashMap::new();
                    for chunk in all.chunks(ROWS_PER_INSERT) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "SELECT account_id, COALESCE(CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT), 0), \
                             COALESCE(CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT), 0) \
                             FROM postings WHERE +account_id IN (",
                        );
                        let mut list = qb.separated(", ");
                        for id in cash_ids {
                            list.push_bind(*id);
                        }
                        qb.push(") AND entry_id IN (");
                        let mut list = qb.separated(", ");
                        for id in chunk {
                            list.push_bind(*id);
                        }
                        qb.push(") GROUP BY account_id");
                        let rows: Vec<(i64, i64, i64)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                        for (account, cash_in, cash_out) in rows {
                            let flow = flows.entry(account).or_insert((0, 0));
                            flow.0 = flow.0.checked_add(cash_in).ok_or(StoreError::Overflow)?;
                            flow.1 = flow.1.checked_add(cash_out).ok_or(StoreError::Overflow)?;
                        }
                    }
                    Ok(flows)
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
                    let one = MeetingSubmission { draft: draft.clone(), key: key.clone(), recorded_by };
                    self.record_meetings(std::slice::from_ref(&one))
                        .await?
                        .pop()
                        .ok_or_else(|| StoreError::Corrupt("a meeting had no record".into()))
                }

                async fn record_meetings(&self, batch: &[MeetingSubmission]) -> StoreResult<Vec<MeetingRecord>> {
                    if batch.is_empty() {
                        return Ok(Vec::new());
                    }
                    let (_guard, mut tx) = self.begin_write().await?;
                    let records = Self::record_meetings_in(&mut tx, batch).await?;
                    if records.iter().any(|r| !r.replayed) {
                        tx.commit().await?;
                    }
                    Ok(records)
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
