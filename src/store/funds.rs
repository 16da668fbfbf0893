//! Group-level money: the group's rules, thrift paid under them, what the
//! group borrows or is granted from outside, and the share-out, each read and
//! posted in one transaction on both backends.

use super::{Fund, PostOutcome, StoreResult};
use crate::borrowings::{Borrowing, BorrowingId, BorrowingWithState, NewBorrowing};
use crate::groups::{GroupId, GroupRules};
use crate::ledger::{EntryId, IdempotencyKey, MemberId};
use crate::loans::state::AllocationLine;
use crate::savings::shareout::{Share, ShareBasis};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

/// A money-moving operation on a borrowing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BorrowingOperation {
    pub borrowing: Borrowing,
    pub entry_id: EntryId,
    /// True when the idempotency key had already done this operation.
    pub replayed: bool,
    pub allocation: Vec<AllocationLine>,
}

/// The share-out the group decided on at the end of its cycle.
#[derive(Debug, Clone, Copy)]
pub struct ShareOutRequest<'a> {
    pub group_id: GroupId,
    pub on: NaiveDate,
    pub basis: ShareBasis,
    pub return_savings: bool,
    /// Where returned savings are paid from.
    pub fund: Fund,
    /// Keys of the share-out's entries start with this.
    pub key_prefix: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareOutDone {
    pub share_out_id: i64,
    pub surplus: i64,
    pub shares: Vec<Share>,
    pub distribution_entry_id: EntryId,
    /// True when this key's share-out had already been posted.
    pub replayed: bool,
}

#[async_trait]
pub trait FundsStore: Send + Sync {
    /// The group's rules (the defaults until it sets its own).
    async fn group_rules(&self, group_id: GroupId) -> StoreResult<GroupRules>;

    async fn set_group_rules(&self, group_id: GroupId, rules: &GroupRules) -> StoreResult<()>;

    /// Compulsory thrift from a member: the group's amount per meeting or a
    /// whole number of meetings' worth.
    async fn pay_thrift(
        &self,
        member_id: MemberId,
        amount: i64,
        on: NaiveDate,
        into: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<PostOutcome>;

    /// Records money the group received: a loan it owes back on the
    /// lender's schedule, or a grant it keeps.
    async fn receive_borrowing(
        &self,
        borrowing: &NewBorrowing,
        into: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<BorrowingOperation>;

    /// Pays the lender, interest first; refuses more than is owed.
    async fn repay_borrowing(
        &self,
        id: BorrowingId,
        amount: i64,
        on: NaiveDate,
        from: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<BorrowingOperation>;

    async fn borrowing(&self, id: BorrowingId) -> StoreResult<BorrowingWithState>;

    async fn borrowings(&self, group_id: GroupId) -> StoreResult<Vec<BorrowingWithState>>;

    /// Closes income and expenses into surplus and shares the surplus out,
    /// reading the balances it divides and posting in one transaction, so no
    /// entry can slip in between.
    async fn share_out(&self, request: &ShareOutRequest<'_>) -> StoreResult<ShareOutDone>;
}
