//! Gathering what the linkage reports read about women: their records by
//! client, and the loans of their member accounts, with no query per woman
//! for the program view.

use crate::ledger::MemberId;
use crate::outcomes::Record;
use crate::reports::linkage::{BusinessFacts, ClientFacts};
use crate::store::outcomes::{Client, ClientId, StoredRecord};
use crate::store::{LoanScope, LoanWithState};
use crate::web::{AppError, AppState};
use std::collections::HashMap;

/// Puts each record into its place; status checks join their business
/// once every business is known, whatever order they were recorded in.
fn fill(facts: &mut ClientFacts, records: impl IntoIterator<Item = StoredRecord>) {
    let mut checks = Vec::new();
    for r in records {
        match r.record {
            Record::Detox(v) => facts.detox.push(v),
            Record::Ost(v) => facts.ost.push(v),
            Record::Shelter(v) => facts.shelter.push(v),
            Record::Training(v) => facts.training.push(v),
            Record::Reintegration(v) => facts.reintegration.push(v),
            Record::Relapse(v) => facts.relapses.push(v),
            Record::Review(v) => facts.reviews.push(v),
            Record::Business(business) => facts.businesses.push(BusinessFacts {
                id: r.id,
                business,
                checks: Vec::new(),
            }),
            Record::StatusCheck(c) => checks.push(c),
            Record::Income(v) => facts.incomes.push(v),
            Record::Consent(v) => facts.consent.push(v),
        }
    }
    for c in checks {
        if let Some(b) = facts.businesses.iter_mut().find(|b| b.id == c.business) {
            b.checks.push(c.check);
        }
    }
}

fn loans_of(
    client: &Client,
    by_member: &mut HashMap<MemberId, Vec<LoanWithState>>,
) -> Vec<LoanWithState> {
    client
        .members
        .iter()
        .flat_map(|m| by_member.remove(&m.member_id).unwrap_or_default())
        .collect()
}

fn by_member(loans: Vec<LoanWithState>) -> HashMap<MemberId, Vec<LoanWithState>> {
    let mut map: HashMap<MemberId, Vec<LoanWithState>> = HashMap::new();
    for l in loans {
        map.entry(l.loan.member_id).or_default().push(l);
    }
    map
}

/// The loans of her member accounts: one read per account, of her loans
/// only (not the rest of her groups').
pub async fn her_loans(state: &AppState, client: &Client) -> Result<Vec<LoanWithState>, AppError> {
    let mut loans = Vec::new();
    for m in &client.members {
        loans.extend(
            state
                .store
                .loans_in(&LoanScope::member(m.member_id))
                .await?,
        );
    }
    Ok(loans)
}

/// One woman: her records and the loans of her member accounts.
pub async fn facts_of(state: &AppState, client: &Client) -> Result<ClientFacts, AppError> {
    let mut facts = ClientFacts::new(client.code.clone());
    fill(&mut facts, state.store.records(client.id).await?);
    facts.loans = her_loans(state, client).await?;
    Ok(facts)
}

/// Every woman, from two reads beside `loans` (every group's, read once
/// by the caller): clients and all records.
pub async fn all_facts(
    state: &AppState,
    loans: Vec<LoanWithState>,
) -> Result<Vec<ClientFacts>, AppError> {
    let clients = state.store.clients().await?;
    let mut records: HashMap<ClientId, Vec<StoredRecord>> = HashMap::new();
    for r in state.store.all_records().await? {
        records.entry(r.client_id).or_default().push(r);
    }
    let mut loans = by_member(loans);
    Ok(clients
        .iter()
        .map(|c| {
            let mut facts = ClientFacts::new(c.code.clone());
            fill(&mut facts, records.remove(&c.id).unwrap_or_default());
            facts.loans = loans_of(c, &mut loans);
            facts
        })
        .collect())
}
