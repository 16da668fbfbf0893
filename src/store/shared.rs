//! The storage behaviour both backends share. The SQL here is valid on SQLite
//! and PostgreSQL alike; `impl_store!` stamps it out for each backend's pool
//! type, because sqlx's generic bounds over `Database` would hide the queries
//! under a page of where-clauses.

use super::{StoreError, StoreResult};
use crate::groups::{Group, Member};
use crate::i18n::Lang;
use crate::ledger::{
    Account, AccountType, Book, BookKind, EntryId, NewEntry, Side, TrialBalance, TrialBalanceLine,
};
use crate::money::Currency;
use crate::program::ProgramSettings;
use chrono::NaiveDate;
use std::collections::HashMap;

/// Rows per multi-row INSERT: keeps every statement under SQLite's 32,766
/// and PostgreSQL's 65,535 bound-parameter limits.
pub(super) const ROWS_PER_INSERT: usize = 2_000;

#[derive(sqlx::FromRow)]
pub(super) struct BookRow {
    pub(super) id: i64,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) currency: String,
}

impl TryFrom<BookRow> for Book {
    type Error = StoreError;
    fn try_from(r: BookRow) -> StoreResult<Book> {
        Ok(Book {
            id: r.id,
            kind: r.kind.parse::<BookKind>().map_err(StoreError::Corrupt)?,
            name: r.name,
            currency: currency(&r.currency)?,
        })
    }
}

/// A stored account, read as a row or gathered (see `gathered`).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct AccountRow {
    id: i64,
    book_id: i64,
    code: String,
    name: String,
    account_type: String,
    normal_side: String,
    parent_id: Option<i64>,
    #[serde(deserialize_with = "flag")]
    postable: bool,
    member_id: Option<i64>,
    loan_id: Option<i64>,
    currency: String,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> StoreResult<Account> {
        Ok(Account {
            id: r.id,
            book_id: r.book_id,
            code: r.code,
            name: r.name,
            account_type: r
                .account_type
                .parse::<AccountType>()
                .map_err(StoreError::Corrupt)?,
            normal_side: r.normal_side.parse::<Side>().map_err(StoreError::Corrupt)?,
            parent_id: r.parent_id,
            postable: r.postable,
            member_id: r.member_id,
            loan_id: r.loan_id,
            currency: currency(&r.currency)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct GroupRow {
    id: i64,
    book_id: i64,
    name: String,
    code: Option<String>,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Group {
        Group {
            id: r.id,
            book_id: r.book_id,
            name: r.name,
            code: r.code,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    id: i64,
    group_id: i64,
    member_code: String,
    display_name: String,
    joined_on: NaiveDate,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member {
            id: r.id,
            group_id: r.group_id,
            code: r.member_code,
            display_name: r.display_name,
            joined_on: r.joined_on,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EntryRow {
    pub id: i64,
    pub book_id: i64,
    pub business_date: NaiveDate,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub memo: String,
    pub idempotency_key: String,
    pub reverses_entry_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct HistoryRow {
    pub entry_id: i64,
    pub business_date: NaiveDate,
    pub kind: String,
    pub memo: String,
    pub reverses_entry_id: Option<i64>,
    pub amount: i64,
    pub running: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct LatestRow {
    pub account_id: i64,
    pub balance: i64,
    pub entry_id: i64,
    pub line_no: i32,
    pub business_date: NaiveDate,
    pub kind: String,
    pub memo: String,
    pub reverses_entry_id: Option<i64>,
    pub amount: i64,
}

fn currency(code: &str) -> StoreResult<Currency> {
    Currency::from_code(code).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The settings row as stored: name, language code, currency code.
pub(super) type SettingsRow = (Option<String>, String, String);

pub(super) fn program_settings_from_row(
    (name, lang, code): SettingsRow,
) -> StoreResult<ProgramSettings> {
    Ok(ProgramSettings {
        name,
        lang: Lang::from_code(&lang)
            .ok_or_else(|| StoreError::Corrupt(format!("program language {lang:?}")))?,
        currency: currency(&code)?,
    })
}

/// The same rule as the settings form, for every writer.
pub(super) fn check_program_settings(settings: &ProgramSettings) -> StoreResult<()> {
    if let Some(name) = &settings.name {
        let fits = crate::program::program_name(name).is_ok_and(|clean| &clean == name);
        if !fits {
            return Err(StoreError::Invalid(format!(
                "program_name: {}",
                crate::program::SettingsError::Name
            )));
        }
    }
    Ok(())
}

/// A flag as JSON: SQLite's JSON has no booleans and writes 0 or 1.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(i) => i != 0,
    })
}

macro_rules! account_fields {
    () => {
        "a.id, a.book_id, a.code, a.name, a.account_type, a.normal_side, a.parent_id, \
         a.postable, a.member_id, a.loan_id, b.currency"
    };
}

macro_rules! accounts_from {
    () => {
        "FROM accounts a JOIN books b ON b.id = a.book_id"
    };
}

pub(super) const ACCOUNT_FIELDS: &str = account_fields!();

pub(super) const ACCOUNTS_FROM: &str = accounts_from!();

pub(super) const ACCOUNT_COLUMNS: &str =
    concat!("SELECT ", account_fields!(), " ", accounts_from!());

pub(super) const ENTRY_COLUMNS: &str = "SELECT id, book_id, business_date, recorded_at, kind, \
     memo, idempotency_key, reverses_entry_id FROM journal_entries";

pub(super) const MEMBER_COLUMNS: &str =
    "SELECT id, group_id, member_code, display_name, joined_on FROM members";

/// A batch may repeat an entry (same key, same content) but never reuse a key
/// for something else, nor reverse one entry twice.
pub(super) fn check_batch(entries: &[NewEntry]) -> StoreResult<()> {
    let mut keys: HashMap<(i64, &str), [u8; 32]> = HashMap::new();
    let mut reversed: HashMap<EntryId, &str> = HashMap::new();
    for e in entries {
        let key = (e.book_id(), e.idempotency_key().as_str());
        let hash = e.content_hash();
        if let Some(previous) = keys.insert(key, hash) {
            if previous != hash {
                return Err(StoreError::Invalid(format!(
                    "idempotency key {:?} is used twice in one batch for different entries",
                    key.1
                )));
            }
            continue;
        }
        if let Some(original) = e.reverses() {
            if reversed.insert(original, key.1).is_some() {
                return Err(StoreError::InvalidReversal(format!(
                    "entry {original} is reversed twice in one batch"
                )));
            }
        }
    }
    Ok(())
}

/// The net change per account, refusing sums an i64 balance cannot hold.
pub(super) fn balance_deltas(entries: &[&NewEntry]) -> StoreResult<Vec<(i64, i64)>> {
    let mut deltas: HashMap<i64, i128> = HashMap::new();
    for p in entries.iter().flat_map(|e| e.postings()) {
        *deltas.entry(p.account_id).or_default() += i128::from(p.amount);
    }
    let mut out = deltas
        .into_iter()
        .filter(|(_, d)| *d != 0)
        .map(|(account, d)| {
            i64::try_from(d)
                .map(|d| (account, d))
                .map_err(|_| StoreError::Overflow)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // A fixed order makes concurrent PostgreSQL writers lock accounts in the
    // same sequence, so they queue instead of deadlocking.
    out.sort_unstable();
    Ok(out)
}

macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:expr) => {
        use $crate::groups::{Group, GroupId, Member, NewGroup, NewMember};
        use $crate::ledger::{
            chart, Account, AccountId, Book, BookId, BookKind, EntryId, HistoryLine, HistoryPage,
            NewAccount, NewEntry, PostedEntry, Posting, TrialBalance,
        };
        use $crate::money::Currency;
        use $crate::program::ProgramSettings;
        use $crate::store::shared::{
            balance_deltas, check_batch, check_program_settings, program_settings_from_row,
            AccountRow, BookRow, EntryRow, GroupRow, HistoryRow, LatestRow, MemberRow, SettingsRow,
            ACCOUNT_COLUMNS, ENTRY_COLUMNS, MEMBER_COLUMNS, ROWS_PER_INSERT,
        };
        use $crate::store::{
            check_page, Backend, GroupSetup, PostOutcome, Store, StoreError, StoreResult,
            VerifyReport,
        };
        use chrono::{NaiveDate, Utc};
        use std::collections::HashMap;

        type Tx = sqlx::Transaction<'static, $db>;

        impl $store {
            async fn insert_book(
                tx: &mut Tx,
                kind: BookKind,
                name: &str,
                currency: Currency,
            ) -> StoreResult<Book> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO books (kind, name, currency, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(kind.as_str())
                .bind(name)
                .bind(currency.code())
                .bind(Utc::now())
                .fetch_one(&mut **tx)
                .await?;
                Ok(Book {
                    id,
                    kind,
                    name: name.to_string(),
                    currency,
                })
            }

            /// Inserts accounts, resolving `parent_code` through `ids`, and
            /// adds the new accounts' codes to `ids`.
            async fn insert_accounts(
                tx: &mut Tx,
                book_id: BookId,
                accounts: &[NewAccount],
                ids: &mut HashMap<String, AccountId>,
            ) -> StoreResult<()> {
                for chunk in accounts.chunks(ROWS_PER_INSERT / 5) {
                    let mut parents = Vec::with_capacity(chunk.len());
                    for a in chunk {
                        let parent = match &a.parent_code {
                            None => None,
                            Some(code) => Some(*ids.get(code).ok_or_else(|| {
                                StoreError::Invalid(format!("parent account {code} does not exist"))
                            })?),
                        };
                        parents.push(parent);
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO accounts (book_id, code, name, account_type, normal_side, \
                         parent_id, postable, member_id, loan_id) ",
                    );
                    qb.push_values(chunk.iter().zip(parents), |mut row, (a, parent)| {
                        row.push_bind(book_id)
                            .push_bind(a.code.as_str())
                            .push_bind(a.name.as_str())
                            .push_bind(a.account_type.as_str())
                            .push_bind(a.account_type.normal_side().as_str())
                            .push_bind(parent)
                            .push_bind(a.postable)
                            .push_bind(a.member_id)
                            .push_bind(a.loan_id);
                    });
                    qb.push(" RETURNING id, code");
                    let rows: Vec<(i64, String)> =
                        qb.build_query_as().fetch_all(&mut **tx).await?;
                    ids.extend(rows.into_iter().map(|(id, code)| (code, id)));
                }
                Ok(())
            }

            async fn insert_members(
                tx: &mut Tx,
                group_id: GroupId,
                book_id: BookId,
                members: &[NewMember],
                account_ids: &mut HashMap<String, AccountId>,
            ) -> StoreResult<Vec<Member>> {
                let mut created = Vec::with_capacity(members.len());
                for chunk in members.chunks(ROWS_PER_INSERT / 5) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO members (group_id, member_code, display_name, joined_on) ",
                    );
                    qb.push_values(chunk, |mut row, m| {
                        row.push_bind(group_id)
                            .push_bind(m.code())
                            .push_bind(m.display_name())
                            .push_bind(m.joined_on());
                    });
                    qb.push(" RETURNING id, group_id, member_code, display_name, joined_on");
                    let rows: Vec<MemberRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    created.extend(rows.into_iter().map(Member::from));
                }
                let accounts: Vec<NewAccount> = created
                    .iter()
                    .flat_map(|m| chart::member_accounts(m.id, &m.code))
                    .collect();
                Self::insert_accounts(tx, book_id, &accounts, account_ids).await?;
                Ok(created)
            }

            /// Posts entries inside the caller's transaction, so that a loan
            /// operation can write its entry and its own rows atomically.
            async fn post_in_tx(tx: &mut Tx, entries: &[NewEntry]) -> StoreResult<Vec<PostOutcome>> {
                // One slot per distinct (book, key); check_batch has made sure
                // that any repeat in the batch has the same content.
                let mut slot_of: HashMap<(BookId, &str), usize> = HashMap::new();
                let mut unique: Vec<&NewEntry> = Vec::new();
                for e in entries {
                    slot_of
                        .entry((e.book_id(), e.idempotency_key().as_str()))
                        .or_insert_with(|| {
                            unique.push(e);
                            unique.len() - 1
                        });
                }
                let mut outcomes: Vec<Option<PostOutcome>> = vec![None; unique.len()];

                // 1. A reversal is checked before it is written, unless it is
                //    a replay (its own earlier posting reversed the original).
                let mut candidates: Vec<usize> = Vec::with_capacity(unique.len());
                for (slot, e) in unique.iter().enumerate() {
                    if e.reverses().is_some() {
                        if let Some(o) = Self::replay_of(tx, e).await? {
                            outcomes[slot] = Some(o);
                            continue;
                        }
                        Self::check_reversal(tx, e).await?;
                    }
                    candidates.push(slot);
                }

                // 2. Insert; a key that is already taken inserts nothing and is
                //    either a replay (same content) or a conflict.
                let recorded_at = Utc::now();
                for chunk in candidates.chunks(ROWS_PER_INSERT / 4) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO journal_entries (book_id, business_date, recorded_at, kind, \
                         memo, idempotency_key, content_hash, reverses_entry_id) ",
                    );
                    qb.push_values(chunk, |mut row, &slot| {
                        let e = unique[slot];
                        row.push_bind(e.book_id())
                            .push_bind(e.business_date())
                            .push_bind(recorded_at)
                            .push_bind(e.kind().as_str())
                            .push_bind(e.memo())
                            .push_bind(e.idempotency_key().as_str())
                            .push_bind(e.content_hash().to_vec())
                            .push_bind(e.reverses());
                    });
                    qb.push(
                        " ON CONFLICT (book_id, idempotency_key) DO NOTHING \
                         RETURNING id, book_id, idempotency_key",
                    );
                    let rows: Vec<(i64, i64, String)> =
                        qb.build_query_as().fetch_all(&mut **tx).await?;
                    for (entry_id, book, key) in rows {
                        let slot = slot_of.get(&(book, key.as_str())).copied().ok_or_else(|| {
                            StoreError::Corrupt("an inserted entry is not in the batch".into())
                        })?;
                        outcomes[slot] = Some(PostOutcome { entry_id, replayed: false });
                    }
                }
                let mut fresh: Vec<(EntryId, &NewEntry)> = Vec::with_capacity(candidates.len());
                for slot in candidates {
                    let e = unique[slot];
                    match outcomes[slot] {
                        Some(o) => fresh.push((o.entry_id, e)),
                        None => {
                            let o = Self::replay_of(tx, e).await?.ok_or_else(|| {
                                StoreError::Corrupt("an entry was neither inserted nor found".into())
                            })?;
                            outcomes[slot] = Some(o);
                        }
                    }
                }

                // 3. Postings and balances of the new entries.
                let mut postings = Vec::new();
                for &(id, e) in &fresh {
                    for (line, p) in e.postings().iter().enumerate() {
                        postings.push((id, line as i32 + 1, e.book_id(), *p, e.business_date()));
                    }
                }
                for chunk in postings.chunks(ROWS_PER_INSERT) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO postings (entry_id, line_no, book_id, account_id, amount, \
                         business_date) ",
                    );
                    qb.push_values(chunk, |mut row, (entry, line, book, p, date)| {
                        row.push_bind(*entry)
                            .push_bind(*line)
                            .push_bind(*book)
                            .push_bind(p.account_id)
                            .push_bind(p.amount)
                            .push_bind(*date);
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                let fresh: Vec<&NewEntry> = fresh.into_iter().map(|(_, e)| e).collect();
                for chunk in balance_deltas(&fresh)?.chunks(ROWS_PER_INSERT) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("WITH v (id, delta) AS (");
                    qb.push_values(chunk, |mut row, (account, delta)| {
                        row.push_bind(*account).push_bind(*delta);
                    });
                    qb.push(
                        ") UPDATE accounts SET balance = accounts.balance + v.delta \
                         FROM v WHERE accounts.id = v.id",
                    );
                    let done = qb.build().execute(&mut **tx).await?;
                    if done.rows_affected() != chunk.len() as u64 {
                        return Err(StoreError::Corrupt(
                            "a posting names an account that does not exist".into(),
                        ));
                    }
                }

                entries
                    .iter()
                    .map(|e| {
                        slot_of
                            .get(&(e.book_id(), e.idempotency_key().as_str()))
                            .and_then(|&slot| outcomes[slot])
                            .ok_or_else(|| StoreError::Corrupt("posted entry id missing".into()))
                    })
                    .collect()
            }

            /// The entry already posted under `e`'s key: a replay when the
            /// content matches, a conflict when it does not, `None` if unused.
            /// Posts one entry in the caller's transaction.
            pub(super) async fn post_one_in_tx(tx: &mut Tx, entry: &NewEntry) -> StoreResult<PostOutcome> {
                Self::post_in_tx(tx, std::slice::from_ref(entry))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| StoreError::Corrupt("posting one entry returned no outcome".into()))
            }

            /// An account's code, normal side and maintained balance, read
            /// in the caller's transaction (for "not below zero" checks).
            pub(super) async fn side_and_balance(
                tx: &mut Tx,
                account: AccountId,
            ) -> StoreResult<(String, $crate::ledger::Side, i64)> {
                let row: Option<(String, i64, String)> = sqlx::query_as(
                    "SELECT code, balance, normal_side FROM accounts WHERE id = $1",
                )
                .bind(account)
                .fetch_optional(&mut **tx)
                .await?;
                let (code, balance, side) =
                    row.ok_or_else(|| StoreError::not_found("account", account))?;
                Ok((code, side.parse().map_err(StoreError::Corrupt)?, balance))
            }

            async fn replay_of(tx: &mut Tx, e: &NewEntry) -> StoreResult<Option<PostOutcome>> {
                let found: Option<(i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, content_hash FROM journal_entries \
                     WHERE book_id = $1 AND idempotency_key = $2",
                )
                .bind(e.book_id())
                .bind(e.idempotency_key().as_str())
                .fetch_optional(&mut **tx)
                .await?;
                match found {
                    None => Ok(None),
                    Some((entry_id, hash)) if hash.as_slice() == e.content_hash() => {
                        Ok(Some(PostOutcome { entry_id, replayed: true }))
                    }
                    Some((entry_id, _)) => Err(StoreError::IdempotencyConflict {
                        key: e.idempotency_key().as_str().to_string(),
                        entry_id,
                    }),
                }
            }

            /// A reversal must undo an existing, unreversed, plain entry of
            /// the same book, exactly.
            async fn check_reversal(tx: &mut Tx, e: &NewEntry) -> StoreResult<()> {
                {
                    let Some(original_id) = e.reverses() else { return Ok(()) };
                    let original: Option<(i64, Option<i64>)> = sqlx::query_as(
                        "SELECT book_id, reverses_entry_id FROM journal_entries WHERE id = $1",
                    )
                    .bind(original_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    let Some((book_id, reverses)) = original else {
                        return Err(StoreError::InvalidReversal(format!(
                            "entry {original_id} does not exist"
                        )));
                    };
                    if book_id != e.book_id() {
                        return Err(StoreError::InvalidReversal(format!(
                            "entry {original_id} belongs to another book"
                        )));
                    }
                    if reverses.is_some() {
                        return Err(StoreError::InvalidReversal(format!(
                            "entry {original_id} is itself a reversal"
                        )));
                    }
                    let earlier: Option<(i64,)> = sqlx::query_as(
                        "SELECT id FROM journal_entries WHERE reverses_entry_id = $1",
                    )
                    .bind(original_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some((reversal,)) = earlier {
                        return Err(StoreError::AlreadyReversed {
                            original: original_id,
                            reversal,
                        });
                    }
                    let mut original_lines: Vec<(i64, i64)> = sqlx::query_as(
                        "SELECT account_id, amount FROM postings WHERE entry_id = $1",
                    )
                    .bind(original_id)
                    .fetch_all(&mut **tx)
                    .await?;
                    let mut undo: Vec<(i64, i64)> = e
                        .postings()
                        .iter()
                        .map(|p| (p.account_id, p.amount.saturating_neg()))
                        .collect();
                    original_lines.sort_unstable();
                    undo.sort_unstable();
                    if original_lines != undo {
                        return Err(StoreError::InvalidReversal(format!(
                            "its postings do not exactly undo entry {original_id}"
                        )));
                    }
                }
                Ok(())
            }

            async fn fetch_account_page(
                &self,
                account_id: AccountId,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<HistoryLine>> {
                let rows: Vec<HistoryRow> = sqlx::query_as(
                    "SELECT entry_id, business_date, kind, memo, reverses_entry_id, amount, running \
                     FROM (SELECT p.entry_id, p.line_no, p.business_date, e.kind, e.memo, \
                             e.reverses_entry_id, p.amount, \
                             CAST(SUM(p.amount) OVER (ORDER BY p.business_date, p.entry_id, \
                                  p.line_no ROWS UNBOUNDED PRECEDING) AS BIGINT) AS running \
                           FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
                           WHERE p.account_id = $1) h \
                     ORDER BY business_date, entry_id, line_no LIMIT $2 OFFSET $3",
                )
                .bind(account_id)
                .bind(i64::from(per_page))
                .bind(i64::from(page - 1) * i64::from(per_page))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| HistoryLine {
                        entry_id: r.entry_id,
                        business_date: r.business_date,
                        kind: r.kind,
                        memo: r.memo,
                        reverses: r.reverses_entry_id,
                        amount: r.amount,
                        running_balance: r.running,
                    })
                    .collect())
            }

            async fn problems(&self, sql: &str) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(p,)| p).collect())
            }

            async fn count(&self, sql: &str) -> StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
                Ok(n)
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> StoreResult<()> {
                MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn backup(&self, target: &std::path::Path) -> StoreResult<u64> {
                self.backup_into(target).await
            }

            async fn create_program_book(&self, name: &str, currency: Currency) -> StoreResult<Book> {
                let (_guard, mut tx) = self.begin_write().await?;
                let book = Self::insert_book(&mut tx, BookKind::Program, name, currency).await?;
                let mut ids = HashMap::new();
                Self::insert_accounts(&mut tx, book.id, &chart::program_chart(), &mut ids).await?;
                tx.commit().await?;
                Ok(book)
            }

            async fn create_group(&self, group: &NewGroup) -> StoreResult<GroupSetup> {
                let (_guard, mut tx) = self.begin_write().await?;
                let book =
                    Self::insert_book(&mut tx, BookKind::Group, group.name(), group.currency())
                        .await?;
                let (group_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO shg_groups (book_id, name, created_at, code) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(book.id)
                .bind(group.name())
                .bind(Utc::now())
                .bind(group.code())
                .fetch_one(&mut *tx)
                .await?;
                let mut ids = HashMap::new();
                Self::insert_accounts(&mut tx, book.id, &chart::shg_chart(), &mut ids).await?;
                let members =
                    Self::insert_members(&mut tx, group_id, book.id, group.members(), &mut ids)
                        .await?;
                tx.commit().await?;
                Ok(GroupSetup {
                    group: Group {
                        id: group_id,
                        book_id: book.id,
                        name: group.name().to_string(),
                        code: group.code().map(str::to_string),
                    },
                    book,
                    members,
                })
            }

            async fn add_member(&self, group_id: GroupId, member: &NewMember) -> StoreResult<Member> {
                let group = self.group(group_id).await?;
                let (_guard, mut tx) = self.begin_write().await?;
                let mut ids: HashMap<String, AccountId> = sqlx::query_as::<_, (String, i64)>(
                    "SELECT code, id FROM accounts WHERE book_id = $1 AND member_id IS NULL",
                )
                .bind(group.book_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
                let mut created = Self::insert_members(
                    &mut tx,
                    group_id,
                    group.book_id,
                    std::slice::from_ref(member),
                    &mut ids,
                )
                .await?;
                tx.commit().await?;
                created
                    .pop()
                    .ok_or_else(|| StoreError::Corrupt("member insert returned nothing".into()))
            }

            async fn group(&self, id: GroupId) -> StoreResult<Group> {
                sqlx::query_as::<_, GroupRow>("SELECT id, book_id, name, code FROM shg_groups WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(Group::from)
                    .ok_or_else(|| StoreError::not_found("group", id))
            }

            async fn program_settings(&self) -> StoreResult<ProgramSettings> {
                let row: Option<SettingsRow> = sqlx::query_as(
                    "SELECT program_name, default_lang, default_currency \
                     FROM program_settings WHERE id = 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                // Migration 0007 writes the row; without it, the defaults.
                row.map_or_else(|| Ok(ProgramSettings::default()), program_settings_from_row)
            }

            async fn set_program_settings(&self, settings: &ProgramSettings) -> StoreResult<()> {
                check_program_settings(settings)?;
                let (_guard, mut tx) = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO program_settings \
                     (id, program_name, default_lang, default_currency, updated_at) \
                     VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
                     SET program_name = excluded.program_name, \
                     default_lang = excluded.default_lang, \
                     default_currency = excluded.default_currency, \
                     updated_at = excluded.updated_at",
                )
                .bind(settings.name.as_deref())
                .bind(settings.lang.code())
                .bind(settings.currency.code())
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn groups(&self) -> StoreResult<Vec<Group>> {
                let rows: Vec<GroupRow> =
                    sqlx::query_as("SELECT id, book_id, name, code FROM shg_groups ORDER BY name, id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Group::from).collect())
            }

            async fn members(&self, group_id: GroupId) -> StoreResult<Vec<Member>> {
                let rows: Vec<MemberRow> =
                    sqlx::query_as(&format!("{MEMBER_COLUMNS} WHERE group_id = $1 ORDER BY member_code"))
                        .bind(group_id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Member::from).collect())
            }

            async fn book(&self, id: BookId) -> StoreResult<Book> {
                let row: Option<BookRow> =
                    sqlx::query_as("SELECT id, kind, name, currency FROM books WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.ok_or_else(|| StoreError::not_found("book", id))?.try_into()
            }

            async fn books(&self) -> StoreResult<Vec<Book>> {
                let rows: Vec<BookRow> =
                    sqlx::query_as("SELECT id, kind, name, currency FROM books ORDER BY id")
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map(Book::try_from).collect()
            }

            async fn account(&self, id: AccountId) -> StoreResult<Account> {
                let row: Option<AccountRow> =
                    sqlx::query_as(&format!("{ACCOUNT_COLUMNS} WHERE a.id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.ok_or_else(|| StoreError::not_found("account", id))?.try_into()
            }

            async fn account_by_code(&self, book_id: BookId, code: &str) -> StoreResult<Account> {
                let row: Option<AccountRow> =
                    sqlx::query_as(&format!("{ACCOUNT_COLUMNS} WHERE a.book_id = $1 AND a.code = $2"))
                        .bind(book_id)
                        .bind(code)
                        .fetch_optional(&self.pool)
                        .await?;
                row.ok_or_else(|| StoreError::not_found("account", code))?.try_into()
            }

            async fn accounts(&self, book_id: BookId) -> StoreResult<Vec<Account>> {
                let rows: Vec<AccountRow> =
                    sqlx::query_as(&format!("{ACCOUNT_COLUMNS} WHERE a.book_id = $1 ORDER BY a.code"))
                        .bind(book_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map(Account::try_from).collect()
            }

            async fn post_all(&self, entries: &[NewEntry]) -> StoreResult<Vec<PostOutcome>> {
                self.post_all_guarded(entries, &[]).await
            }

            async fn post_all_guarded(
                &self,
                entries: &[NewEntry],
                floors: &[AccountId],
            ) -> StoreResult<Vec<PostOutcome>> {
                check_batch(entries)?;
                let (_guard, mut tx) = self.begin_write().await?;
                let outcomes = Self::post_in_tx(&mut tx, entries).await?;
                for &account in floors {
                    let (code, side, balance) = Self::side_and_balance(&mut tx, account).await?;
                    if side.present(balance) < 0 {
                        let before: i64 = entries
                            .iter()
                            .flat_map(|e| e.postings())
                            .filter(|p| p.account_id == account)
                            .map(|p| p.amount)
                            .sum();
                        return Err(StoreError::InsufficientBalance {
                            account: code,
                            available: side.present(balance - before),
                        });
                    }
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn entry(&self, id: EntryId) -> StoreResult<PostedEntry> {
                let row: Option<EntryRow> = sqlx::query_as(&format!("{ENTRY_COLUMNS} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let row = row.ok_or_else(|| StoreError::not_found("entry", id))?;
                let postings: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT account_id, amount FROM postings WHERE entry_id = $1 ORDER BY line_no",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                Ok(PostedEntry {
                    id: row.id,
                    book_id: row.book_id,
                    business_date: row.business_date,
                    recorded_at: row.recorded_at,
                    kind: row.kind,
                    memo: row.memo,
                    idempotency_key: row.idempotency_key,
                    reverses: row.reverses_entry_id,
                    postings: postings
                        .into_iter()
                        .map(|(account_id, amount)| Posting { account_id, amount })
                        .collect(),
                })
            }

            async fn journal(
                &self,
                book_id: BookId,
                from: Option<NaiveDate>,
                until: Option<NaiveDate>,
            ) -> StoreResult<Vec<PostedEntry>> {
                self.book(book_id).await?;
                // Four-digit years: SQLite compares dates as text and
                // PostgreSQL refuses chrono's extreme dates.
                let from = from.unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default());
                let until = until.unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default());
                let rows: Vec<EntryRow> = sqlx::query_as(&format!(
                    "{ENTRY_COLUMNS} WHERE book_id = $1 AND business_date >= $2 \
                     AND business_date <= $3 ORDER BY business_date, id"
                ))
                .bind(book_id)
                .bind(from)
                .bind(until)
                .fetch_all(&self.pool)
                .await?;
                // One read of all postings in range, grouped by entry in memory:
                // no query per entry.
                let postings: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT p.entry_id, p.account_id, p.amount FROM postings p \
                     JOIN accounts a ON a.id = p.account_id \
                     WHERE a.book_id = $1 AND p.business_date >= $2 AND p.business_date <= $3 \
                     ORDER BY p.entry_id, p.line_no",
                )
                .bind(book_id)
                .bind(from)
                .bind(until)
                .fetch_all(&self.pool)
                .await?;
                let mut by_entry: std::collections::HashMap<i64, Vec<Posting>> =
                    std::collections::HashMap::with_capacity(rows.len());
                for (entry_id, account_id, amount) in postings {
                    by_entry
                        .entry(entry_id)
                        .or_default()
                        .push(Posting { account_id, amount });
                }
                Ok(rows
                    .into_iter()
                    .map(|row| PostedEntry {
                        postings: by_entry.remove(&row.id).unwrap_or_default(),
                        id: row.id,
                        book_id: row.book_id,
                        business_date: row.business_date,
                        recorded_at: row.recorded_at,
                        kind: row.kind,
                        memo: row.memo,
                        idempotency_key: row.idempotency_key,
                        reverses: row.reverses_entry_id,
                    })
                    .collect())
            }

            async fn balance(&self, account_id: AccountId) -> StoreResult<i64> {
                let row: Option<(i64,)> = sqlx::query_as("SELECT balance FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(b,)| b)
                    .ok_or_else(|| StoreError::not_found("account", account_id))
            }

            async fn balance_as_of(&self, account_id: AccountId, date: NaiveDate) -> StoreResult<i64> {
                self.account(account_id).await?;
                let (sum,): (i64,) = sqlx::query_as(
                    "SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM postings \
                     WHERE account_id = $1 AND business_date <= $2",
                )
                .bind(account_id)
                .bind(date)
                .fetch_one(&self.pool)
                .await?;
                Ok(sum)
            }

            async fn trial_balance(
                &self,
                book_id: BookId,
                as_of: Option<NaiveDate>,
            ) -> StoreResult<TrialBalance> {
                let book = self.book(book_id).await?;
                let sql = $crate::store::shared::trial_balance_sql(true, as_of.is_some());
                let mut query = sqlx::query_as(sql).bind(book_id);
                if let Some(date) = as_of {
                    query = query.bind(date);
                }
                let rows: Vec<(i64, i64, String, String, String, i64)> =
                    query.fetch_all(&self.pool).await?;
                let mut tbs = $crate::store::shared::trial_balances_of(vec![book], as_of, rows)?;
                tbs.pop()
                    .ok_or_else(|| StoreError::Corrupt("a trial balance went missing".into()))
            }

            async fn trial_balances(&self, as_of: Option<NaiveDate>) -> StoreResult<Vec<TrialBalance>> {
                let books = self.books().await?;
                let sql = $crate::store::shared::trial_balance_sql(false, as_of.is_some());
                let mut query = sqlx::query_as(sql);
                if let Some(date) = as_of {
                    query = query.bind(date);
                }
                let rows: Vec<(i64, i64, String, String, String, i64)> =
                    query.fetch_all(&self.pool).await?;
                $crate::store::shared::trial_balances_of(books, as_of, rows)
            }

            async fn history(
                &self,
                account_id: AccountId,
                page: u32,
                per_page: u32,
            ) -> StoreResult<HistoryPage> {
                check_page(page, per_page)?;
                let account = self.account(account_id).await?;
                let (total,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM postings WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_one(&self.pool)
                        .await?;
                let lines = self.fetch_account_page(account_id, page, per_page).await?;
                Ok(HistoryPage {
                    account,
                    page,
                    per_page,
                    total_lines: u64::try_from(total).unwrap_or(0),
                    lines,
                })
            }

            async fn latest_lines(
                &self,
                accounts: &[AccountId],
                per_account: u32,
            ) -> StoreResult<Vec<(AccountId, HistoryLine)>> {
                check_page(1, per_account)?;
                let mut wanted: Vec<AccountId> = Vec::with_capacity(accounts.len());
                for &a in accounts {
                    if !wanted.contains(&a) {
                        wanted.push(a);
                    }
                }
                if wanted.is_empty() {
                    return Ok(Vec::new());
                }
                // One LIMITed read per account so that each walks its end of
                // `postings_account_date` and stops; glued into one statement.
                let limit = wanted.len() + 1;
                let sql = (1..=wanted.len())
                    .map(|i| {
                        format!(
                            "SELECT * FROM (SELECT p.account_id, a.balance, p.entry_id, p.line_no, \
                             p.business_date, e.kind, e.memo, e.reverses_entry_id, p.amount \
                             FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
                             JOIN accounts a ON a.id = p.account_id WHERE p.account_id = ${i} \
                             ORDER BY p.business_date DESC, p.entry_id DESC, p.line_no DESC \
                             LIMIT ${limit}) l{i}"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ");
                let mut query = sqlx::query_as::<_, LatestRow>(&sql);
                for &a in &wanted {
                    query = query.bind(a);
                }
                let mut rows = query.bind(i64::from(per_account)).fetch_all(&self.pool).await?;
                // UNION ALL promises no order.
                let place: HashMap<AccountId, usize> =
                    wanted.iter().enumerate().map(|(i, &a)| (a, i)).collect();
                rows.sort_by_key(|r| {
                    (
                        place.get(&r.account_id).copied(),
                        std::cmp::Reverse((r.business_date, r.entry_id, r.line_no)),
                    )
                });
                let mut lines = Vec::with_capacity(rows.len());
                let mut after: Option<(AccountId, i64)> = None;
                for r in rows {
                    // The balance after a line is the balance after the newer
                    // one less what the newer one moved.
                    let running = match after {
                        Some((account, balance)) if account == r.account_id => balance,
                        _ => r.balance,
                    };
                    after = Some((r.account_id, running - r.amount));
                    lines.push((
                        r.account_id,
                        HistoryLine {
                            entry_id: r.entry_id,
                            business_date: r.business_date,
                            kind: r.kind,
                            memo: r.memo,
                            reverses: r.reverses_entry_id,
                            amount: r.amount,
                            running_balance: running,
                        },
                    ));
                }
                Ok(lines)
            }

            async fn verify(&self) -> StoreResult<VerifyReport> {
                let mut report = VerifyReport {
                    books: self.count("SELECT COUNT(*) FROM books").await?,
                    accounts: self.count("SELECT COUNT(*) FROM accounts").await?,
                    entries: self.count("SELECT COUNT(*) FROM journal_entries").await?,
                    postings: self.count("SELECT COUNT(*) FROM postings").await?,
                    reversals: self
                        .count("SELECT COUNT(*) FROM journal_entries WHERE reverses_entry_id IS NOT NULL")
                        .await?,
                    checks: Vec::new(),
                };
                for (name, sql) in $crate::store::shared::VERIFY_CHECKS {
                    report.record(name, self.problems(sql).await?);
                }
                Ok(report)
            }
        }
    };
}

/// The trial balance query: postable accounts with their balance now or at
/// the end of a date (`$2` with one book as `$1`, else `$1`), ordered by
/// book, then code. One book's and every book's are separate texts, not one
/// with `($1 IS NULL OR book_id = $1)`: SQLite's planner cannot see through
/// that to an index.
///
/// As of a date, a balance is the maintained one less the postings dated
/// after it. Reports mostly ask about a recent date, when there are few or
/// none of those, so this reads a handful of index entries where summing
/// the postings up to the date read every posting the books ever had (for
/// one book PostgreSQL even hash-joined the whole program's postings). It
/// is exact: the maintained balance is the sum of all postings, written in
/// the same transaction (`verify` checks it), and one statement sees one
/// snapshot of both.
pub(super) fn trial_balance_sql(one_book: bool, as_of: bool) -> &'static str {
    match (one_book, as_of) {
        (true, false) => {
            "SELECT a.book_id, a.id, a.code, a.name, a.account_type, a.balance \
             FROM accounts a WHERE a.book_id = $1 AND a.postable ORDER BY a.code"
        }
        (false, false) => {
            "SELECT a.book_id, a.id, a.code, a.name, a.account_type, a.balance \
             FROM accounts a WHERE a.postable ORDER BY a.book_id, a.code"
        }
        // A correlated sum per account: each is a range of
        // `postings_account_date`, which no planner turns into a scan of
        // every posting, however far back the date.
        (true, true) => {
            "SELECT a.book_id, a.id, a.code, a.name, a.account_type, \
                    a.balance - (SELECT COALESCE(CAST(SUM(p.amount) AS BIGINT), 0) \
                                 FROM postings p \
                                 WHERE p.account_id = a.id AND p.business_date > $2) \
             FROM accounts a WHERE a.book_id = $1 AND a.postable ORDER BY a.code"
        }
        // Every book: one probe of `entries_book_date` per book (the index
        // leads with the book, so a date alone could not use it), then each
        // later entry's postings by primary key; a probe per account would
        // cost a thousand groups' accounts as many index reads. SQLite keeps
        // the order of a CROSS JOIN; left to itself it walks every posting
        // in `postings_account_date` order to save sorting the GROUP BY.
        // PostgreSQL reads it as a plain join, and for a date far back
        // rightly prefers one scan of the postings.
        (false, true) => {
            "SELECT a.book_id, a.id, a.code, a.name, a.account_type, \
                    a.balance - COALESCE(later.amount, 0) \
             FROM accounts a LEFT JOIN \
                  (SELECT p.account_id, CAST(SUM(p.amount) AS BIGINT) AS amount \
                   FROM books b CROSS JOIN journal_entries e CROSS JOIN postings p \
                   WHERE e.book_id = b.id AND e.business_date > $1 AND p.entry_id = e.id \
                   GROUP BY p.account_id) later ON later.account_id = a.id \
             WHERE a.postable ORDER BY a.book_id, a.code"
        }
    }
}

/// Trial balances of `books` from the rows of [`trial_balance_sql`]
/// (book, account, code, name, type, balance; ordered by book): one per
/// book, in the books' order, a book without postable accounts with no
/// lines.
pub(super) fn trial_balances_of(
    books: Vec<Book>,
    as_of: Option<NaiveDate>,
    rows: Vec<(i64, i64, String, String, String, i64)>,
) -> StoreResult<Vec<TrialBalance>> {
    let mut lines: HashMap<i64, Vec<TrialBalanceLine>> = HashMap::new();
    for (book_id, account_id, code, name, account_type, balance) in rows {
        lines.entry(book_id).or_default().push(TrialBalanceLine {
            account_id,
            code,
            name,
            account_type: account_type.parse().map_err(StoreError::Corrupt)?,
            balance,
        });
    }
    Ok(books
        .into_iter()
        .map(|book| TrialBalance {
            lines: lines.remove(&book.id).unwrap_or_default(),
            book,
            as_of,
        })
        .collect())
}

/// Each check selects one text column: a description of each problem found.
pub(super) const VERIFY_CHECKS: [(&str, &str); 13] = [
    (
        "maintained balances equal the sum of postings",
        "SELECT 'account ' || a.code || ' of book ' || CAST(a.book_id AS TEXT) \
            || ': maintained ' || CAST(a.balance AS TEXT) || ', postings sum to ' \
            || CAST(COALESCE(SUM(p.amount), 0) AS TEXT) \
         FROM accounts a LEFT JOIN postings p ON p.account_id = a.id \
         GROUP BY a.id, a.code, a.book_id, a.balance \
         HAVING a.balance <> COALESCE(SUM(p.amount), 0)",
    ),
    (
        "every entry has at least two postings that sum to zero",
        "SELECT 'entry ' || CAST(e.id AS TEXT) || ': ' || CAST(COUNT(p.entry_id) AS TEXT) \
            || ' postings summing to ' || CAST(COALESCE(SUM(p.amount), 0) AS TEXT) \
         FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id \
         GROUP BY e.id HAVING COUNT(p.entry_id) < 2 OR COALESCE(SUM(p.amount), 0) <> 0",
    ),
    (
        "postings are zero-free and stay in their entry's book and date",
        "SELECT 'entry ' || CAST(e.id AS TEXT) || ' line ' || CAST(p.line_no AS TEXT) \
            || ' posts to account ' || CAST(p.account_id AS TEXT) || ' outside its book or date' \
         FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
         JOIN accounts a ON a.id = p.account_id \
         WHERE a.book_id <> e.book_id OR p.book_id <> e.book_id \
            OR p.business_date <> e.business_date OR p.amount = 0",
    ),
    (
        "postings go to postable accounts",
        "SELECT 'entry ' || CAST(p.entry_id AS TEXT) || ' posts to header account ' || a.code \
         FROM postings p JOIN accounts a ON a.id = p.account_id WHERE NOT a.postable",
    ),
    (
        "reversals point to an existing entry of the same book that is not a reversal",
        "SELECT 'entry ' || CAST(r.id AS TEXT) || ' reverses entry ' \
            || CAST(r.reverses_entry_id AS TEXT) || ', which is missing, in another book, or a reversal' \
         FROM journal_entries r LEFT JOIN journal_entries o ON o.id = r.reverses_entry_id \
         WHERE r.reverses_entry_id IS NOT NULL \
           AND (o.id IS NULL OR o.book_id <> r.book_id OR o.reverses_entry_id IS NOT NULL)",
    ),
    (
        "each entry is reversed at most once",
        "SELECT 'entry ' || CAST(reverses_entry_id AS TEXT) || ' is reversed ' \
            || CAST(COUNT(*) AS TEXT) || ' times' \
         FROM journal_entries WHERE reverses_entry_id IS NOT NULL \
         GROUP BY reverses_entry_id HAVING COUNT(*) > 1",
    ),
    (
        "each reversal exactly undoes its original",
        "SELECT 'entry ' || CAST(r.id AS TEXT) || ' does not exactly undo entry ' \
            || CAST(r.reverses_entry_id AS TEXT) \
         FROM journal_entries r WHERE r.reverses_entry_id IS NOT NULL AND EXISTS ( \
            SELECT 1 FROM postings p WHERE p.entry_id IN (r.id, r.reverses_entry_id) \
            GROUP BY p.account_id HAVING SUM(p.amount) <> 0)",
    ),
    (
        "each member's loan account equals her loans' principal outstanding",
        "SELECT 'member ' || code || ' of group ' || CAST(group_id AS TEXT) \
            || ': loan account ' || CAST(balance AS TEXT) || ', loans say ' \
            || CAST(expected AS TEXT) \
         FROM (SELECT m.member_code AS code, m.group_id, a.balance, \
              COALESCE((SELECT SUM(l.principal) FROM loans l WHERE l.member_id = m.id \
                         AND l.disbursement_entry_id IS NOT NULL), 0) \
            - COALESCE((SELECT SUM(x.amount) FROM loan_allocations x JOIN loans l ON l.id = x.loan_id \
                         WHERE l.member_id = m.id AND x.component = 'principal'), 0) \
            - COALESCE((SELECT SUM(d.amount) FROM loan_adjustments d JOIN loans l ON l.id = d.loan_id \
                         WHERE l.member_id = m.id AND d.component = 'principal' AND d.kind = 'waiver' \
                           AND d.entry_id IS NOT NULL), 0) AS expected \
               FROM accounts a JOIN members m ON m.id = a.member_id \
               WHERE a.code = '1100-' || m.member_code) member_loans \
         WHERE balance <> expected",
    ),
    (
        "each loan's current schedule agrees with its payments",
        "SELECT 'loan ' || CAST(l.id AS TEXT) || ': schedule version ' \
            || CAST(l.schedule_version AS TEXT) || ' disagrees with the principal repaid' \
         FROM loans l WHERE l.schedule_version > 0 AND \
              COALESCE((SELECT SUM(i.principal) FROM loan_installments i \
                         WHERE i.loan_id = l.id AND i.version = l.schedule_version), 0) \
            - COALESCE((SELECT SUM(x.amount) FROM loan_allocations x WHERE x.loan_id = l.id \
                         AND x.version = l.schedule_version AND x.component = 'principal'), 0) \
            - COALESCE((SELECT SUM(d.amount) FROM loan_adjustments d WHERE d.loan_id = l.id \
                         AND d.version = l.schedule_version AND d.component = 'principal' \
                         AND d.kind = 'waiver'), 0) \
            <> l.principal \
            - COALESCE((SELECT SUM(x.amount) FROM loan_allocations x WHERE x.loan_id = l.id \
                         AND x.component = 'principal'), 0) \
            - COALESCE((SELECT SUM(d.amount) FROM loan_adjustments d WHERE d.loan_id = l.id \
                         AND d.component = 'principal' AND d.kind = 'waiver' \
                         AND d.entry_id IS NOT NULL), 0)",
    ),
    (
        "each loan's schedule versions record when they took effect",
        "SELECT 'loan ' || CAST(l.id AS TEXT) || ': schedule version ' \
            || CAST(l.schedule_version AS TEXT) || ' has no effective date' \
         FROM loans l WHERE l.schedule_version > 0 AND NOT EXISTS \
              (SELECT 1 FROM loan_schedule_versions v \
                WHERE v.loan_id = l.id AND v.version = l.schedule_version)",
    ),
    (
        "what the group owes its lenders equals their schedules less repayments",
        "SELECT 'group ' || CAST(g.id AS TEXT) || ': account ' || a.code || ' holds ' \
            || CAST(-a.balance AS TEXT) || ', borrowings say ' || CAST(owed AS TEXT) \
         FROM (SELECT g.id, g.book_id, src.code, \
                 COALESCE((SELECT SUM(b.principal) FROM group_borrowings b \
                            WHERE b.group_id = g.id AND b.source = src.source), 0) \
               - COALESCE((SELECT SUM(x.amount) FROM group_borrowing_allocations x \
                            JOIN group_borrowings b ON b.id = x.borrowing_id \
                            WHERE b.group_id = g.id AND b.source = src.source \
                              AND x.component = 'principal'), 0) AS owed \
               FROM shg_groups g \
               CROSS JOIN (SELECT 'bank-linkage' AS source, '2200' AS code \
                           UNION ALL SELECT 'community-investment-fund', '2210') src) g \
         JOIN accounts a ON a.book_id = g.book_id AND a.code = g.code \
         WHERE -a.balance <> g.owed",
    ),
    (
        "each repayable borrowing's schedule adds up to its principal",
        "SELECT 'borrowing ' || CAST(b.id AS TEXT) || ': schedule principal ' \
            || CAST(COALESCE(SUM(i.principal), 0) AS TEXT) || ' for a principal of ' \
            || CAST(b.principal AS TEXT) \
         FROM group_borrowings b LEFT JOIN group_borrowing_installments i ON i.borrowing_id = b.id \
         WHERE b.source <> 'revolving-fund' \
         GROUP BY b.id, b.principal HAVING COALESCE(SUM(i.principal), 0) <> b.principal",
    ),
    (
        "every book's trial balance is zero",
        "SELECT 'book ' || CAST(b.id AS TEXT) || ' (' || b.name || '): debits exceed credits by ' \
            || CAST(COALESCE(SUM(a.balance), 0) AS TEXT) \
         FROM books b JOIN accounts a ON a.book_id = b.id \
         GROUP BY b.id, b.name HAVING COALESCE(SUM(a.balance), 0) <> 0",
    ),
];
