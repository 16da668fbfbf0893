//! Journal entries: balanced by construction, immutable once posted.
//!
//! A `NewEntry` can only be made through `EntryDraft::build` or
//! `NewEntry::reversal_of`, both of which refuse anything that breaks a rule,
//! so the store never sees an unbalanced entry.

use super::accounts::{Account, AccountId, Book, BookId, EntryId};
use crate::money::{format_minor, Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

pub const MAX_MEMO_CHARS: usize = 500;
pub const MAX_KEY_CHARS: usize = 128;

/// What kind of business event an entry records: `savings-deposit`,
/// `repayment`, `reversal`… Lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EntryKind(String);

impl EntryKind {
    pub const REVERSAL: &'static str = "reversal";

    pub fn new(text: &str) -> Result<EntryKind, EntryError> {
        let ok = (1..=40).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(EntryKind(text.to_string()))
        } else {
            Err(EntryError::InvalidKind(text.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The caller's name for one business operation, unique per book: posting the
/// same key twice posts once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(text: &str) -> Result<IdempotencyKey, EntryError> {
        let ok =
            (1..=MAX_KEY_CHARS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(text.to_string()))
        } else {
            Err(EntryError::InvalidKey)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of an entry: positive debits, negative credits, never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Posting {
    pub account_id: AccountId,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("an entry needs at least two postings; this one has {0}")]
    TooFewPostings(usize),
    #[error("postings must not be zero: the posting to account {0} is zero")]
    ZeroAmount(String),
    #[error(
        "debit and credit amounts are written positive; the amount for account {0} is negative"
    )]
    NegativeAmount(String),
    #[error("debits must equal credits: debits {debits}, credits {credits}")]
    Unbalanced { debits: String, credits: String },
    #[error(
        "account {account} belongs to book {account_book}, not to this entry's book {entry_book}"
    )]
    ForeignAccount {
        account: String,
        account_book: BookId,
        entry_book: BookId,
    },
    #[error("account {account} is kept in {account_currency} but the amount is in {amount_currency}; an entry uses one currency")]
    MixedCurrency {
        account: String,
        account_currency: Currency,
        amount_currency: Currency,
    },
    #[error("account {0} is a header that totals its sub-accounts; post to one of those instead")]
    HeaderAccount(String),
    #[error("the amounts in this entry are too large to add up")]
    Overflow,
    #[error("the memo is longer than {MAX_MEMO_CHARS} characters")]
    MemoTooLong,
    #[error("kind {0:?} is not valid: use 1 to 40 lower-case letters, digits and dashes")]
    InvalidKind(String),
    #[error(
        "the idempotency key must be 1 to {MAX_KEY_CHARS} visible ASCII characters with no spaces"
    )]
    InvalidKey,
    #[error("entry {0} is itself a reversal and cannot be reversed; post the right entry instead")]
    ReversalOfReversal(EntryId),
    #[error("entry {entry} belongs to book {entry_book}, not to book {book}")]
    ReversalAcrossBooks {
        entry: EntryId,
        entry_book: BookId,
        book: BookId,
    },
    #[error("a reversal cannot be dated {reversal} before the entry it reverses ({original})")]
    ReversalBeforeOriginal {
        original: NaiveDate,
        reversal: NaiveDate,
    },
}

/// A validated entry, ready to post. Its fields can be read, not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    book_id: BookId,
    currency: Currency,
    business_date: NaiveDate,
    kind: EntryKind,
    memo: String,
    idempotency_key: IdempotencyKey,
    reverses: Option<EntryId>,
    postings: Vec<Posting>,
}

impl NewEntry {
    pub fn book_id(&self) -> BookId {
        self.book_id
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn business_date(&self) -> NaiveDate {
        self.business_date
    }
    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }
    pub fn memo(&self) -> &str {
        &self.memo
    }
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
    pub fn reverses(&self) -> Option<EntryId> {
        self.reverses
    }
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// A fingerprint of everything the caller chose (not the recorded-at
    /// time), so a replay with the same key can be told from a different
    /// operation that reused the key. Posting order does not matter.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut lines: Vec<(AccountId, i64)> = self
            .postings
            .iter()
            .map(|p| (p.account_id, p.amount))
            .collect();
        lines.sort_unstable();
        let mut h = Sha256::new();
        h.update(self.book_id.to_le_bytes());
        h.update(self.currency.code().as_bytes());
        h.update(self.business_date.to_string().as_bytes());
        for part in [self.kind.as_str(), self.memo.as_str()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(self.reverses.unwrap_or(-1).to_le_bytes());
        for (account, amount) in lines {
            h.update(account.to_le_bytes());
            h.update(amount.to_le_bytes());
        }
        h.finalize().into()
    }

    /// The entry that undoes `original`: every posting negated, pointing back
    /// at it. The store lets an entry be reversed once.
    pub fn reversal_of(
        original: &PostedEntry,
        book: &Book,
        business_date: NaiveDate,
        idempotency_key: IdempotencyKey,
        reason: &str,
    ) -> Result<NewEntry, EntryError> {
        if original.book_id != book.id {
            return Err(EntryError::ReversalAcrossBooks {
                entry: original.id,
                entry_book: original.book_id,
                book: book.id,
            });
        }
        if original.reverses.is_some() {
            return Err(EntryError::ReversalOfReversal(original.id));
        }
        if business_date < original.business_date {
            return Err(EntryError::ReversalBeforeOriginal {
                original: original.business_date,
                reversal: business_date,
            });
        }
        check_memo(reason)?;
        let postings = original
            .postings
            .iter()
            .map(|p| {
                p.amount
                    .checked_neg()
                    .map(|amount| Posting {
                        account_id: p.account_id,
                        amount,
                    })
                    .ok_or(EntryError::Overflow)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewEntry {
            book_id: book.id,
            currency: book.currency,
            business_date,
            kind: EntryKind(EntryKind::REVERSAL.to_string()),
            memo: reason.to_string(),
            idempotency_key,
            reverses: Some(original.id),
            postings,
        })
    }
}

fn check_memo(memo: &str) -> Result<(), EntryError> {
    if memo.chars().count() > MAX_MEMO_CHARS {
        Err(EntryError::MemoTooLong)
    } else {
        Ok(())
    }
}

/// Collects the lines of an entry; `build` checks every rule at once.
#[derive(Debug, Clone)]
pub struct EntryDraft<'b> {
    book: &'b Book,
    business_date: NaiveDate,
    kind: EntryKind,
    idempotency_key: IdempotencyKey,
    memo: String,
    lines: Vec<DraftLine>,
}

#[derive(Debug, Clone)]
struct DraftLine {
    account_id: AccountId,
    account_code: String,
    account_book: BookId,
    account_currency: Currency,
    postable: bool,
    amount: Money,
    side: Option<DraftSide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DraftSide {
    Debit,
    Credit,
}

impl<'b> EntryDraft<'b> {
    pub fn new(
        book: &'b Book,
        business_date: NaiveDate,
        kind: EntryKind,
        idempotency_key: IdempotencyKey,
    ) -> EntryDraft<'b> {
        EntryDraft {
            book,
            business_date,
            kind,
            idempotency_key,
            memo: String::new(),
            lines: Vec::new(),
        }
    }

    /// A draft whose kind is given as text, checked here.
    pub fn of_kind(
        book: &'b Book,
        business_date: NaiveDate,
        kind: &str,
        idempotency_key: &IdempotencyKey,
    ) -> Result<EntryDraft<'b>, EntryError> {
        Ok(EntryDraft::new(
            book,
            business_date,
            EntryKind::new(kind)?,
            idempotency_key.clone(),
        ))
    }

    pub fn memo(mut self, memo: &str) -> Self {
        self.memo = memo.to_string();
        self
    }

    /// Debits `account` with a positive amount.
    pub fn debit(self, account: &Account, amount: Money) -> Self {
        self.line(account, amount, Some(DraftSide::Debit))
    }

    /// Credits `account` with a positive amount.
    pub fn credit(self, account: &Account, amount: Money) -> Self {
        self.line(account, amount, Some(DraftSide::Credit))
    }

    /// The same amount from one account to another: the two-line entry most
    /// business events are.
    pub fn transfer(self, debit: &Account, credit: &Account, amount: Money) -> Self {
        self.debit(debit, amount).credit(credit, amount)
    }

    /// A posting given as a signed amount: positive debits, negative credits.
    pub fn signed(self, account: &Account, amount: Money) -> Self {
        self.line(account, amount, None)
    }

    fn line(mut self, account: &Account, amount: Money, side: Option<DraftSide>) -> Self {
        self.lines.push(DraftLine {
            account_id: account.id,
            account_code: account.code.clone(),
            account_book: account.book_id,
            account_currency: account.currency,
            postable: account.postable,
            amount,
            side,
        });
        self
    }

    pub fn build(self) -> Result<NewEntry, EntryError> {
        check_memo(&self.memo)?;
        if self.lines.len() < 2 {
            return Err(EntryError::TooFewPostings(self.lines.len()));
        }
        let mut postings = Vec::with_capacity(self.lines.len());
        let (mut debits, mut credits) = (0_i128, 0_i128);
        for line in &self.lines {
            if line.account_book != self.book.id {
                return Err(EntryError::ForeignAccount {
                    account: line.account_code.clone(),
                    account_book: line.account_book,
                    entry_book: self.book.id,
                });
            }
            for currency in [line.account_currency, line.amount.currency()] {
                if currency != self.book.currency {
                    return Err(EntryError::MixedCurrency {
                        account: line.account_code.clone(),
                        account_currency: line.account_currency,
                        amount_currency: line.amount.currency(),
                    });
                }
            }
            if !line.postable {
                return Err(EntryError::HeaderAccount(line.account_code.clone()));
            }
            let minor = line.amount.minor();
            if minor == 0 {
                return Err(EntryError::ZeroAmount(line.account_code.clone()));
            }
            let signed = match line.side {
                None => minor,
                Some(_) if minor < 0 => {
                    return Err(EntryError::NegativeAmount(line.account_code.clone()))
                }
                Some(DraftSide::Debit) => minor,
                Some(DraftSide::Credit) => -minor,
            };
            if signed > 0 {
                debits += i128::from(signed);
            } else {
                credits -= i128::from(signed);
            }
            postings.push(Posting {
                account_id: line.account_id,
                amount: signed,
            });
        }
        if debits != credits {
            let units = self.book.currency.minor_units();
            return Err(EntryError::Unbalanced {
                debits: format_minor(debits, units),
                credits: format_minor(credits, units),
            });
        }
        // Balances are i64; an entry whose one side does not fit could not be
        // added to any balance.
        if debits > i128::from(i64::MAX) {
            return Err(EntryError::Overflow);
        }
        Ok(NewEntry {
            book_id: self.book.id,
            currency: self.book.currency,
            business_date: self.business_date,
            kind: self.kind,
            memo: self.memo,
            idempotency_key: self.idempotency_key,
            reverses: None,
            postings,
        })
    }
}

/// An entry as stored: what was posted, with its id and when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostedEntry {
    pub id: EntryId,
    pub book_id: BookId,
    pub business_date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub kind: String,
    pub memo: String,
    pub idempotency_key: String,
    pub reverses: Option<EntryId>,
    pub postings: Vec<Posting>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::accounts::{AccountType, BookKind};

    fn book(id: BookId) -> Book {
        Book {
            id,
            kind: BookKind::Group,
            name: "Lotus SHG".into(),
            currency: Currency::inr(),
        }
    }

    fn account(id: AccountId, book_id: BookId, code: &str, t: AccountType) -> Account {
        Account {
            id,
            book_id,
            code: code.into(),
            name: code.into(),
            account_type: t,
            normal_side: t.normal_side(),
            parent_id: None,
            postable: true,
            member_id: None,
            loan_id: None,
            currency: Currency::inr(),
        }
    }

    fn rupees(r: i64) -> Money {
        Money::from_minor(r * 100, Currency::inr())
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, 7).unwrap()
    }

    fn draft(b: &Book) -> EntryDraft<'_> {
        EntryDraft::new(
            b,
            date(),
            EntryKind::new("savings-deposit").unwrap(),
            IdempotencyKey::new("meeting-14/thrift/M001").unwrap(),
        )
    }

    #[test]
    fn a_thrift_deposit_debits_cash_and_credits_the_members_savings() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let savings = account(11, 1, "2000-M001", AccountType::Liability);
        let entry = draft(&b)
            .debit(&cash, rupees(50))
            .credit(&savings, rupees(50))
            .build()
            .unwrap();
        assert_eq!(
            entry.postings(),
            &[
                Posting {
                    account_id: 10,
                    amount: 5000
                },
                Posting {
                    account_id: 11,
                    amount: -5000
                }
            ]
        );
        assert_eq!(entry.reverses(), None);
    }

    #[test]
    fn a_repayment_split_three_ways_balances() {
        // ₹305 received: ₹255 principal, ₹50 interest.
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let loan = account(12, 1, "1100-M001", AccountType::Asset);
        let interest = account(13, 1, "4000", AccountType::Income);
        let entry = draft(&b)
            .debit(&cash, rupees(305))
            .credit(&loan, rupees(255))
            .credit(&interest, rupees(50))
            .build()
            .unwrap();
        let sum: i64 = entry.postings().iter().map(|p| p.amount).sum();
        assert_eq!(sum, 0);
        assert_eq!(entry.postings().len(), 3);
    }

    #[test]
    fn unbalanced_entries_are_refused_with_both_totals() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let savings = account(11, 1, "2000-M001", AccountType::Liability);
        let err = draft(&b)
            .debit(&cash, rupees(50))
            .credit(&savings, rupees(40))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            EntryError::Unbalanced {
                debits: "50.00".into(),
                credits: "40.00".into()
            }
        );
        assert!(err.to_string().starts_with("debits must equal credits"));
    }

    #[test]
    fn fewer_than_two_postings_are_refused() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        assert_eq!(draft(&b).build(), Err(EntryError::TooFewPostings(0)));
        assert_eq!(
            draft(&b).debit(&cash, rupees(0)).build(),
            Err(EntryError::TooFewPostings(1))
        );
    }

    #[test]
    fn zero_postings_are_refused_even_when_the_entry_balances() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let bank = account(14, 1, "1010", AccountType::Asset);
        let err = draft(&b)
            .debit(&cash, rupees(0))
            .credit(&bank, rupees(0))
            .build()
            .unwrap_err();
        assert_eq!(err, EntryError::ZeroAmount("1000".into()));
    }

    #[test]
    fn negative_debits_are_refused_but_signed_lines_may_be_negative() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let bank = account(14, 1, "1010", AccountType::Asset);
        let err = draft(&b)
            .debit(&cash, rupees(-5))
            .credit(&bank, rupees(-5))
            .build()
            .unwrap_err();
        assert_eq!(err, EntryError::NegativeAmount("1000".into()));
        let ok = draft(&b)
            .signed(&cash, rupees(-5))
            .signed(&bank, rupees(5))
            .build()
            .unwrap();
        assert_eq!(ok.postings()[0].amount, -500);
    }

    #[test]
    fn accounts_of_another_book_are_refused() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let other = account(20, 2, "1000", AccountType::Asset);
        let err = draft(&b)
            .debit(&cash, rupees(5))
            .credit(&other, rupees(5))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            EntryError::ForeignAccount {
                account: "1000".into(),
                account_book: 2,
                entry_book: 1
            }
        );
    }

    #[test]
    fn amounts_in_another_currency_are_refused() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let bank = account(14, 1, "1010", AccountType::Asset);
        let usd = Currency::from_code("USD").unwrap();
        let err = draft(&b)
            .debit(&cash, rupees(5))
            .credit(&bank, Money::from_minor(500, usd))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, EntryError::MixedCurrency { amount_currency, .. } if amount_currency == usd)
        );
    }

    #[test]
    fn header_accounts_take_no_postings() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let mut header = account(15, 1, "2000", AccountType::Liability);
        header.postable = false;
        let err = draft(&b)
            .debit(&cash, rupees(5))
            .credit(&header, rupees(5))
            .build()
            .unwrap_err();
        assert_eq!(err, EntryError::HeaderAccount("2000".into()));
    }

    #[test]
    fn sums_that_overflow_a_balance_are_refused() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let bank = account(14, 1, "1010", AccountType::Asset);
        let max = Money::from_minor(i64::MAX, Currency::inr());
        let err = draft(&b)
            .debit(&cash, max)
            .debit(&cash, max)
            .credit(&bank, max)
            .credit(&bank, max)
            .build()
            .unwrap_err();
        assert_eq!(err, EntryError::Overflow);
    }

    #[test]
    fn kinds_keys_and_memos_are_checked() {
        assert!(EntryKind::new("repayment").is_ok());
        assert!(EntryKind::new("Repayment").is_err());
        assert!(EntryKind::new("").is_err());
        assert!(IdempotencyKey::new("a b").is_err());
        assert!(IdempotencyKey::new(&"k".repeat(129)).is_err());
        assert!(IdempotencyKey::new(&"k".repeat(128)).is_ok());
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let bank = account(14, 1, "1010", AccountType::Asset);
        let err = draft(&b)
            .memo(&"x".repeat(501))
            .debit(&cash, rupees(1))
            .credit(&bank, rupees(1))
            .build()
            .unwrap_err();
        assert_eq!(err, EntryError::MemoTooLong);
    }

    fn posted(id: EntryId, reverses: Option<EntryId>) -> PostedEntry {
        PostedEntry {
            id,
            book_id: 1,
            business_date: date(),
            recorded_at: Utc::now(),
            kind: "repayment".into(),
            memo: String::new(),
            idempotency_key: "k".into(),
            reverses,
            postings: vec![
                Posting {
                    account_id: 10,
                    amount: 30_500,
                },
                Posting {
                    account_id: 12,
                    amount: -25_500,
                },
                Posting {
                    account_id: 13,
                    amount: -5_000,
                },
            ],
        }
    }

    #[test]
    fn a_reversal_negates_every_posting_and_points_at_the_original() {
        let b = book(1);
        let key = IdempotencyKey::new("fix-7").unwrap();
        let rev =
            NewEntry::reversal_of(&posted(7, None), &b, date(), key, "typed 305 for 350").unwrap();
        assert_eq!(rev.reverses(), Some(7));
        assert_eq!(rev.kind().as_str(), "reversal");
        let amounts: Vec<i64> = rev.postings().iter().map(|p| p.amount).collect();
        assert_eq!(amounts, vec![-30_500, 25_500, 5_000]);
    }

    #[test]
    fn reversals_are_refused_for_reversals_other_books_and_earlier_dates() {
        let key = || IdempotencyKey::new("fix").unwrap();
        assert_eq!(
            NewEntry::reversal_of(&posted(8, Some(7)), &book(1), date(), key(), ""),
            Err(EntryError::ReversalOfReversal(8))
        );
        assert!(matches!(
            NewEntry::reversal_of(&posted(7, None), &book(2), date(), key(), ""),
            Err(EntryError::ReversalAcrossBooks { entry: 7, .. })
        ));
        let earlier = date().pred_opt().unwrap();
        assert!(matches!(
            NewEntry::reversal_of(&posted(7, None), &book(1), earlier, key(), ""),
            Err(EntryError::ReversalBeforeOriginal { .. })
        ));
    }

    #[test]
    fn the_content_hash_ignores_posting_order_but_not_amounts() {
        let b = book(1);
        let cash = account(10, 1, "1000", AccountType::Asset);
        let savings = account(11, 1, "2000-M001", AccountType::Liability);
        let a = draft(&b)
            .debit(&cash, rupees(50))
            .credit(&savings, rupees(50));
        let reordered = draft(&b)
            .credit(&savings, rupees(50))
            .debit(&cash, rupees(50));
        let different = draft(&b)
            .debit(&cash, rupees(60))
            .credit(&savings, rupees(60));
        let h = |d: EntryDraft| d.build().unwrap().content_hash();
        assert_eq!(h(a.clone()), h(reordered));
        assert_ne!(h(a), h(different));
    }
}
