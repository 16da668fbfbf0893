//! Group-level money on both backends: the group's thrift rule, a bank
//! linkage loan repaid to the bank on its own schedule, a community
//! investment fund loan, a revolving fund grant, the share-out as one store
//! transaction, and arrears as of a date before a reschedule.

mod common;

use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use sakhi::borrowings::{BorrowingSource, BorrowingStatus, NewBorrowing};
use sakhi::groups::GroupRules;
use sakhi::ledger::{chart, IdempotencyKey};
use sakhi::loans::allocation::{payable, AllocationRule, LateFine, PrepaymentRule};
use sakhi::loans::portfolio;
use sakhi::loans::product::{LoanSettings, LoanSource, LoanStatus};
use sakhi::loans::schedule::{Amortization, Frequency, InterestMethod, InterestPeriod, RatePer};
use sakhi::loans::state::Component;
use sakhi::savings::{self, shareout::ShareBasis};
use sakhi::store::{Fund, LoanApplication, Reschedule, ShareOutRequest, Store, StoreError};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

/// 12% a year on the declining balance, equal principal, 12 monthly
/// installments, interest first (the bank's rule).
fn bank_terms() -> LoanSettings {
    LoanSettings {
        rate: Decimal::from(12),
        rate_per: RatePer::Year,
        method: InterestMethod::Declining,
        amortization: Amortization::EqualPrincipal,
        interest_period: InterestPeriod::Repayment,
        frequency: Frequency::Month,
        every: 1,
        installments: 12,
        grace_principal: 0,
        grace_interest: 0,
        interest_free: 0,
        installment_multiple: 1,
        allocation: AllocationRule::InterestFirst,
        prepayment: PrepaymentRule::ShortenTerm,
        late_fine: LateFine::None,
        late_fine_grace_days: 0,
    }
}

fn borrowing(g: &Lotus, source: BorrowingSource, principal: i64) -> NewBorrowing {
    NewBorrowing {
        group_id: g.setup.group.id,
        source,
        lender: "Imphal East branch".into(),
        reference: "SL/2026/014".into(),
        principal,
        received_on: date(1, 10),
        first_due: None,
        terms: source.repayable().then(bank_terms),
        resolution: "R-2026-01".into(),
    }
}

async fn balance(store: &dyn Store, g: &Lotus, code: &str) -> i64 {
    let account = store.account_by_code(g.book.id, code).await.unwrap();
    store.balance(account.id).await.unwrap()
}

#[tokio::test]
async fn group_funds_on_sqlite() {
    let db = sqlite().await;
    thrift_rule(&db.store).await;
    bank_linkage(&db.store).await;
    grants_and_cif(&db.store).await;
    share_out_in_one_transaction(&db.store).await;
    arrears_as_of_before_a_reschedule(&db.store).await;
    assert_eq!(
        db.store.verify().await.unwrap().problems(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn group_funds_on_postgres() {
    let Some(db) = postgres().await else { return };
    thrift_rule(&db.store).await;
    bank_linkage(&db.store).await;
    grants_and_cif(&db.store).await;
    share_out_in_one_transaction(&db.store).await;
    arrears_as_of_before_a_reschedule(&db.store).await;
    assert_eq!(
        db.store.verify().await.unwrap().problems(),
        Vec::<String>::new()
    );
}

async fn thrift_rule(store: &dyn Store) {
    let g = lotus(store, "Thrift SHG").await;
    let group = g.setup.group.id;
    let m1 = g.setup.members[0].id;
    assert_eq!(
        store.group_rules(group).await.unwrap(),
        GroupRules::default()
    );
    let rules = GroupRules {
        thrift_amount: 5_000,
        ..GroupRules::default()
    };
    store.set_group_rules(group, &rules).await.unwrap();
    assert_eq!(store.group_rules(group).await.unwrap(), rules);

    store
        .pay_thrift(m1, 5_000, date(2, 1), Fund::Cash, &key("thrift/1"))
        .await
        .unwrap();
    // Catching up on two missed meetings is two meetings' worth.
    store
        .pay_thrift(m1, 10_000, date(2, 8), Fund::Cash, &key("thrift/2"))
        .await
        .unwrap();
    // A replay posts nothing new.
    assert!(
        store
            .pay_thrift(m1, 5_000, date(2, 1), Fund::Cash, &key("thrift/1"))
            .await
            .unwrap()
            .replayed
    );
    let refused = store
        .pay_thrift(m1, 7_500, date(2, 15), Fund::Cash, &key("thrift/3"))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, StoreError::Invalid(m) if m.contains("5000")),
        "{refused}"
    );
    assert_eq!(balance(store, &g, &g.savings[0].code).await, -15_000);
    assert_eq!(balance(store, &g, chart::shg::CASH).await, 15_000);

    assert!(matches!(
        store
            .pay_thrift(999_999, 5_000, date(2, 1), Fund::Cash, &key("thrift/x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let negative = GroupRules {
        thrift_amount: -1,
        ..rules
    };
    assert!(matches!(
        store.set_group_rules(group, &negative).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.group_rules(999_999).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn bank_linkage(store: &dyn Store) {
    let g = lotus(store, "Linked SHG").await;
    // ₹1,20,000 from the bank into the group's bank account.
    let received = store
        .receive_borrowing(
            &borrowing(&g, BorrowingSource::BankLinkage, 12_000_000),
            Fund::Bank,
            &key("bl/receive"),
        )
        .await
        .unwrap();
    assert!(!received.replayed);
    let id = received.borrowing.id;
    assert_eq!(balance(store, &g, chart::shg::BANK).await, 12_000_000);
    assert_eq!(
        balance(store, &g, chart::shg::BANK_LOAN_PAYABLE).await,
        -12_000_000
    );
    let again = store
        .receive_borrowing(
            &borrowing(&g, BorrowingSource::BankLinkage, 12_000_000),
            Fund::Bank,
            &key("bl/receive"),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.borrowing.id, id);
    assert_eq!(store.borrowings(g.setup.group.id).await.unwrap().len(), 1);

    // The bank's schedule: ₹10,000 principal a month, 1% a month on what is
    // left: ₹1,200 the first month, ₹78,00 interest over the year
    // (1% × 10,000 × (12 + 11 + … + 1)).
    let state = store.borrowing(id).await.unwrap().state;
    assert_eq!(state.installments.len(), 12);
    assert_eq!(state.installments[0].due_date, date(2, 10));
    assert_eq!(state.installments[0].due.principal, 1_000_000);
    assert_eq!(state.installments[0].due.interest, 120_000);
    let interest: i64 = state.installments.iter().map(|i| i.due.interest).sum();
    assert_eq!(interest, 780_000);

    // First installment on time; then a partial payment that the bank takes
    // interest first: ₹1,100 interest, ₹3,900 principal.
    store
        .repay_borrowing(id, 1_120_000, date(2, 10), Fund::Bank, &key("bl/1"))
        .await
        .unwrap();
    let partial = store
        .repay_borrowing(id, 500_000, date(3, 10), Fund::Bank, &key("bl/2"))
        .await
        .unwrap();
    let part = |c| {
        partial
            .allocation
            .iter()
            .filter(|l| l.component == c)
            .map(|l| l.amount)
            .sum::<i64>()
    };
    assert_eq!(part(Component::Interest), 110_000);
    assert_eq!(part(Component::Principal), 390_000);
    assert_eq!(
        balance(store, &g, chart::shg::BANK_LOAN_PAYABLE).await,
        -(12_000_000 - 1_000_000 - 390_000)
    );
    assert_eq!(
        balance(store, &g, chart::shg::BORROWING_INTEREST).await,
        230_000
    );
    assert_eq!(
        balance(store, &g, chart::shg::BANK).await,
        12_000_000 - 1_120_000 - 500_000
    );

    // A replay answers with the first allocation; the same key for another
    // amount is a conflict; more than is owed is refused; nothing posts.
    let replay = store
        .repay_borrowing(id, 500_000, date(3, 10), Fund::Bank, &key("bl/2"))
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.allocation.len(), partial.allocation.len());
    assert!(matches!(
        store
            .repay_borrowing(id, 400_000, date(3, 10), Fund::Bank, &key("bl/2"))
            .await,
        Err(StoreError::IdempotencyConflict { .. })
    ));
    assert!(matches!(
        store
            .repay_borrowing(id, 99_000_000, date(3, 11), Fund::Bank, &key("bl/3"))
            .await,
        Err(StoreError::Allocation(_))
    ));
    assert!(matches!(
        store
            .repay_borrowing(id, 1_000, date(1, 1), Fund::Bank, &key("bl/4"))
            .await,
        Err(StoreError::Invalid(_))
    ));

    // Paying off the principal and the interest due so far closes it.
    let state = store.borrowing(id).await.unwrap().state;
    let owed = payable(&state, date(3, 20), AllocationRule::InterestFirst);
    assert_eq!(owed, state.principal_outstanding());
    let closed = store
        .repay_borrowing(id, owed, date(3, 20), Fund::Bank, &key("bl/close"))
        .await
        .unwrap();
    assert_eq!(closed.borrowing.status, BorrowingStatus::Closed);
    assert_eq!(balance(store, &g, chart::shg::BANK_LOAN_PAYABLE).await, 0);
    assert!(matches!(
        store
            .repay_borrowing(id, 100, date(3, 21), Fund::Bank, &key("bl/after"))
            .await,
        Err(StoreError::LoanState(_))
    ));
}

async fn grants_and_cif(store: &dyn Store) {
    let g = lotus(store, "Funded SHG").await;
    let grant = store
        .receive_borrowing(
            &borrowing(&g, BorrowingSource::RevolvingFund, 1_500_000),
            Fund::Bank,
            &key("rf"),
        )
        .await
        .unwrap();
    assert_eq!(
        balance(store, &g, chart::shg::REVOLVING_FUND).await,
        -1_500_000
    );
    assert!(grant.borrowing.terms.is_none());
    assert!(matches!(
        store
            .repay_borrowing(grant.borrowing.id, 100, date(2, 1), Fund::Bank, &key("rf/1"))
            .await,
        Err(StoreError::Invalid(m)) if m.contains("not repaid")
    ));

    let cif = store
        .receive_borrowing(
            &borrowing(&g, BorrowingSource::CommunityInvestmentFund, 6_000_000),
            Fund::Cash,
            &key("cif"),
        )
        .await
        .unwrap();
    assert_eq!(
        balance(store, &g, chart::shg::CIF_PAYABLE).await,
        -6_000_000
    );
    store
        .repay_borrowing(
            cif.borrowing.id,
            560_000,
            date(2, 10),
            Fund::Cash,
            &key("cif/1"),
        )
        .await
        .unwrap();
    assert_eq!(
        balance(store, &g, chart::shg::CIF_PAYABLE).await,
        -5_500_000
    );

    // Bad input: a loan without terms, a grant with terms, nothing posted.
    let mut no_terms = borrowing(&g, BorrowingSource::BankLinkage, 100_000);
    no_terms.terms = None;
    assert!(matches!(
        store.receive_borrowing(&no_terms, Fund::Bank, &key("bad/1")).await,
        Err(StoreError::Invalid(m)) if m.contains("rate")
    ));
    let mut grant_terms = borrowing(&g, BorrowingSource::RevolvingFund, 100_000);
    grant_terms.terms = Some(bank_terms());
    assert!(matches!(
        store
            .receive_borrowing(&grant_terms, Fund::Bank, &key("bad/2"))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.borrowings(g.setup.group.id).await.unwrap().len(), 2);
}

async fn share_out_in_one_transaction(store: &dyn Store) {
    let g = lotus(store, "Sharing SHG").await;
    let group = g.setup.group.id;
    for (i, m) in g.setup.members.iter().enumerate() {
        store
            .pay_thrift(
                m.id,
                10_000 * (i as i64 + 1),
                date(6, 1),
                Fund::Cash,
                &key(&format!("t{i}")),
            )
            .await
            .unwrap();
    }
    // ₹10.01 of fines: the odd paisa goes by largest remainder.
    let fine = savings::fine(&g.book, &g.cash, &g.fines, 1_001, date(6, 8), &key("fine")).unwrap();
    store.post(&fine).await.unwrap();

    let request = ShareOutRequest {
        group_id: group,
        on: date(12, 20),
        basis: ShareBasis::ProportionalToSavings,
        return_savings: false,
        fund: Fund::Cash,
        key_prefix: "cycle-2026",
    };
    let done = store.share_out(&request).await.unwrap();
    assert!(!done.replayed);
    assert_eq!(done.surplus, 1_001);
    let amounts: Vec<i64> = done.shares.iter().map(|s| s.amount).collect();
    // Weights 100 : 200 : 300 of 1,001 paise: 166.83, 333.67, 500.5.
    assert_eq!(amounts, [167, 334, 500]);
    assert_eq!(balance(store, &g, chart::shg::FINE_INCOME).await, 0);
    assert_eq!(
        balance(store, &g, &g.savings[1].code).await,
        -(20_000 + 334)
    );

    // The same request again: the same answer, nothing posted twice.
    let again = store.share_out(&request).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.distribution_entry_id, done.distribution_entry_id);
    assert_eq!(
        again.shares.iter().map(|s| s.amount).sum::<i64>(),
        done.surplus
    );
    // A new cycle with nothing earned has nothing to share.
    let empty = ShareOutRequest {
        key_prefix: "cycle-2027",
        ..request
    };
    assert!(matches!(
        store.share_out(&empty).await,
        Err(StoreError::Invalid(m)) if m.contains("no surplus")
    ));
    // The same key on another day is not a replay.
    let other_day = ShareOutRequest {
        on: date(12, 21),
        ..request
    };
    assert!(matches!(
        store.share_out(&other_day).await,
        Err(StoreError::IdempotencyConflict { .. })
    ));
}

async fn arrears_as_of_before_a_reschedule(store: &dyn Store) {
    let g = lotus(store, "Rescheduled SHG").await;
    let mut settings = bank_terms();
    settings.installments = 3;
    settings.allocation = AllocationRule::Standard;
    let loan = store
        .apply_for_loan(&LoanApplication {
            group_id: g.setup.group.id,
            member_id: g.setup.members[0].id,
            product_id: None,
            settings,
            source: LoanSource::BankLinkage,
            purpose: "dry fish".into(),
            principal: 300_000,
            applied_on: date(1, 5),
        })
        .await
        .unwrap();
    store
        .decide_loan(loan.id, true, date(1, 8), "R-9")
        .await
        .unwrap();
    store
        .disburse_loan(loan.id, date(1, 10), None, Fund::Cash, &key("l/d"))
        .await
        .unwrap();
    // Nothing paid on the 10 February installment; rescheduled on 5 March.
    store
        .reschedule_loan(
            loan.id,
            &Reschedule {
                on: date(3, 5),
                extra_periods: 2,
                moratorium: 0,
                new_rate: None,
                reason_code: "business-loss".into(),
            },
        )
        .await
        .unwrap();
    let dpd = |loans: &[sakhi::store::LoanWithState], on| {
        let l = loans.iter().find(|l| l.loan.id == loan.id).unwrap();
        (
            l.loan.status,
            portfolio::arrears(&l.state, on).days_past_due,
        )
    };
    // On 1 March the first schedule was in force and 19 days late.
    let then = store
        .loans_as_of(Some(g.setup.group.id), date(3, 1))
        .await
        .unwrap();
    assert_eq!(dpd(&then, date(3, 1)), (LoanStatus::Active, 19));
    // From 5 March the new schedule says nothing is due yet.
    let after = store
        .loans_as_of(Some(g.setup.group.id), date(3, 6))
        .await
        .unwrap();
    assert_eq!(dpd(&after, date(3, 6)), (LoanStatus::Active, 0));
    // Before the disbursement the loan is not in the portfolio at all.
    let before = store
        .loans_as_of(Some(g.setup.group.id), date(1, 9))
        .await
        .unwrap();
    assert!(before.is_empty());

    // Paid off on 10 March: closed now, but active as of 6 March.
    let owed = store.loan(loan.id).await.unwrap().state.outstanding_total();
    store
        .repay_loan(loan.id, owed, date(3, 10), Fund::Cash, &key("l/close"))
        .await
        .unwrap();
    let after = store
        .loans_as_of(Some(g.setup.group.id), date(3, 6))
        .await
        .unwrap();
    assert_eq!(dpd(&after, date(3, 6)), (LoanStatus::Active, 0));
    let now = store.loans(Some(g.setup.group.id)).await.unwrap();
    assert_eq!(now[0].loan.status, LoanStatus::Closed);
}
