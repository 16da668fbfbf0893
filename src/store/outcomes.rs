//! Clients and their records: pseudonymous codes, sealed identities,
//! rehabilitation/livelihood/consent records, incidents and the access log.
//! The store never sees a key: sealed values arrive sealed and leave sealed.

use super::StoreResult;
use crate::groups::GroupId;
use crate::ledger::MemberId;
use crate::outcomes::{ClientCode, Incident, Record};
use crate::store::UserId;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub type ClientId = i64;
pub type IncidentId = i64;

/// Bytes sealed by the web layer, with the fingerprint of the key that
/// sealed them.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub bytes: Vec<u8>,
    pub key_fingerprint: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.bytes.len())
    }
}

/// One of her member accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberLink {
    pub member_id: MemberId,
    pub group_id: GroupId,
    pub group_name: String,
    pub member_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub code: ClientCode,
    pub created_at: DateTime<Utc>,
    pub members: Vec<MemberLink>,
    pub has_identity: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRecord {
    pub id: i64,
    pub client_id: ClientId,
    pub record: Record,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIncident {
    pub id: IncidentId,
    pub client_id: ClientId,
    pub incident: Incident,
    pub narrative: Option<Sealed>,
    pub recorded_by: String,
    pub updated_at: DateTime<Utc>,
}

/// What an access-log line says: who read what, from where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    pub user_id: UserId,
    pub actor: &'a str,
    pub role: &'a str,
    pub client_id: Option<ClientId>,
    /// The kind of record read: "identity", "rehabilitation", "incidents",
    /// "narrative", "client_report", "linkage_report", "search", "export".
    pub record: &'a str,
    /// The route it was read through, as a template (no query strings).
    pub page: &'a str,
    pub reason: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLine {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub client: Option<ClientCode>,
    pub record: String,
    pub page: String,
    pub reason: Option<String>,
}

#[async_trait]
pub trait OutcomesStore: Send + Sync {
    /// A new client with a fresh random code, linked to her member accounts
    /// and, when given, her sealed identity; all in one transaction.
    async fn create_client(
        &self,
        code: &ClientCode,
        members: &[MemberId],
        identity: Option<&Sealed>,
        by: UserId,
    ) -> StoreResult<Client>;

    async fn client(&self, code: &ClientCode) -> StoreResult<Client>;
    async fn client_of_member(&self, member_id: MemberId) -> StoreResult<Option<Client>>;
    /// Every client, newest first, with her member accounts.
    async fn clients(&self) -> StoreResult<Vec<Client>>;

    /// Links one more member account (in another group) to her.
    async fn link_member(&self, client_id: ClientId, member_id: MemberId) -> StoreResult<()>;

    async fn identity(&self, client_id: ClientId) -> StoreResult<Option<Sealed>>;
    /// Every sealed identity with its client's code, in one read (the name
    /// search opens them in memory).
    async fn sealed_identities(&self) -> StoreResult<Vec<(ClientCode, Sealed)>>;
    async fn set_identity(
        &self,
        client_id: ClientId,
        sealed: &Sealed,
        by: UserId,
    ) -> StoreResult<()>;
    /// Every fingerprint identities and narratives were sealed with: the
    /// server refuses to start when these need a key it was not given.
    async fn sealing_fingerprints(&self) -> StoreResult<Vec<String>>;

    /// Adds a record once per key: the same key again returns the first
    /// record's id and writes nothing.
    async fn add_record(
        &self,
        client_id: ClientId,
        record: &Record,
        key: &str,
        by: UserId,
    ) -> StoreResult<i64>;

    /// Adds many of one client's records, each under its key, in one
    /// transaction with multi-row inserts. Each key behaves as in
    /// `add_record`: a key already used (before or earlier in the batch)
    /// with the same record is a replay and answers that record's id; with
    /// a different record it is a conflict, and then none of the batch is
    /// written. The ids come back in the order given; an empty batch
    /// touches nothing.
    async fn add_records(
        &self,
        client_id: ClientId,
        records: &[(String, Record)],
        by: UserId,
    ) -> StoreResult<Vec<i64>>;

    async fn records(&self, client_id: ClientId) -> StoreResult<Vec<StoredRecord>>;
    /// Every client's records, for program-level reports: one read.
    async fn all_records(&self) -> StoreResult<Vec<StoredRecord>>;

    async fn add_incident(
        &self,
        client_id: ClientId,
        incident: &Incident,
        narrative: Option<&Sealed>,
        key: &str,
        by: UserId,
    ) -> StoreResult<IncidentId>;
    /// Records the response as it goes on; the narrative is replaced only
    /// when a new one is given.
    async fn update_incident(
        &self,
        id: IncidentId,
        incident: &Incident,
        narrative: Option<&Sealed>,
        by: UserId,
    ) -> StoreResult<()>;
    async fn incidents(&self, client_id: ClientId) -> StoreResult<Vec<StoredIncident>>;
    async fn all_incidents(&self) -> StoreResult<Vec<StoredIncident>>;

    async fn log_access(&self, access: &Access<'_>) -> StoreResult<()>;
    /// Newest first; `client` narrows to one woman's record.
    async fn access_log(
        &self,
        client: Option<ClientId>,
        since: Option<NaiveDate>,
        limit: u32,
    ) -> StoreResult<Vec<AccessLine>>;
}
