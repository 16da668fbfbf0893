//! Meetings posted all or nothing, and the treasurer's cash and bank
//! reconciliations.

use super::auth::UserId;
use super::StoreResult;
use crate::groups::GroupId;
use crate::ledger::{EntryId, IdempotencyKey};
use crate::meetings::{MeetingDraft, MeetingSummary};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingRecord {
    pub meeting: MeetingSummary,
    /// True when this form's key had already saved the meeting.
    pub replayed: bool,
    pub entry_ids: Vec<EntryId>,
}

/// One meeting of a batch: the form as the treasurer filled it in, the
/// form's key and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSubmission {
    pub draft: MeetingDraft,
    pub key: IdempotencyKey,
    pub recorded_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashCount {
    pub id: i64,
    pub counted_on: NaiveDate,
    pub counted: i64,
    /// Cash in hand by the books before the difference was recorded.
    pub books: i64,
    pub reason: String,
    pub entry_id: Option<EntryId>,
}

impl CashCount {
    pub fn difference(&self) -> i64 {
        self.counted - self.books
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankReading {
    pub id: i64,
    pub passbook_date: NaiveDate,
    pub passbook_balance: i64,
    /// The bank account by the books at the end of the passbook date.
    pub books: i64,
}

#[async_trait]
pub trait MeetingStore: Send + Sync {
    /// Posts every entry of the meeting in one transaction, or none. The
    /// same key again answers with the meeting already saved.
    async fn record_meeting(
        &self,
        draft: &MeetingDraft,
        key: &IdempotencyKey,
        recorded_by: Option<UserId>,
    ) -> StoreResult<MeetingRecord>;

    /// Posts several groups' meetings in one transaction, all or none: the
    /// first refusal is the answer for the whole batch. Each meeting is
    /// checked and posted exactly as `record_meeting` would post it alone
    /// (a re-sent key answers with the meeting saved), but the batch takes
    /// a fixed number of statements however many meetings it holds. At
    /// most one meeting per group: a group's second meeting would have to
    /// see its first.
    async fn record_meetings(&self, batch: &[MeetingSubmission])
        -> StoreResult<Vec<MeetingRecord>>;

    async fn meeting(&self, id: i64) -> StoreResult<MeetingRecord>;

    /// The meeting a form with this key saved, if any.
    async fn meeting_by_key(
        &self,
        group_id: GroupId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<MeetingSummary>>;

    /// The group's meetings, latest first.
    async fn meetings(&self, group_id: GroupId, limit: u32) -> StoreResult<Vec<MeetingSummary>>;

    /// Each group's latest meeting.
    async fn latest_meetings(&self) -> StoreResult<Vec<MeetingSummary>>;

    /// Records the cash counted; a difference from the books is posted to
    /// cash differences with the reason given.
    async fn record_cash_count(
        &self,
        group_id: GroupId,
        on: NaiveDate,
        counted: i64,
        reason: &str,
        key: &IdempotencyKey,
        recorded_by: Option<UserId>,
    ) -> StoreResult<CashCount>;

    async fn cash_counts(&self, group_id: GroupId) -> StoreResult<Vec<CashCount>>;

    async fn record_bank_reading(
        &self,
        group_id: GroupId,
        passbook_date: NaiveDate,
        passbook_balance: i64,
        recorded_by: Option<UserId>,
    ) -> StoreResult<BankReading>;

    async fn latest_bank_reading(&self, group_id: GroupId) -> StoreResult<Option<BankReading>>;
}
