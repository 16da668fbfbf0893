//! Repayments committed together (`repay_loans`, the group commit behind the
//! API and the meeting) answer and post exactly what the same repayments
//! sent one at a time (`repay_loan`) do: the same acceptances and refusals,
//! the same allocations, closures and prepayment reschedules, the same books.

mod common;

use chrono::NaiveDate;
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use sakhi::ledger::IdempotencyKey;
use sakhi::loans::allocation::{AllocationRule, LateFine, PrepaymentRule};
use sakhi::loans::product::{LoanSettings, LoanSource};
use sakhi::loans::schedule::{Amortization, Frequency, InterestMethod, InterestPeriod, RatePer};
use sakhi::store::{Fund, LoanApplication, LoanOperation, Repayment, Store, StoreResult};

const START: (i32, u32, u32) = (2026, 1, 10);

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(START.0, START.1, START.2).unwrap()
}

fn settings(n: usize) -> LoanSettings {
    LoanSettings {
        rate: Decimal::from(24),
        rate_per: RatePer::Year,
        method: if n.is_multiple_of(2) {
            InterestMethod::Declining
        } else {
            InterestMethod::Flat
        },
        amortization: Amortization::EqualInstallments,
        interest_period: InterestPeriod::Repayment,
        frequency: if n == 1 {
            Frequency::Month
        } else {
            Frequency::Week
        },
        every: 1,
        installments: 8,
        grace_principal: 0,
        grace_interest: 0,
        interest_free: 0,
        installment_multiple: 100,
        allocation: if n == 2 {
            AllocationRule::InterestFirst
        } else {
            AllocationRule::Standard
        },
        prepayment: if n == 0 {
            PrepaymentRule::ReduceInstallment
        } else {
            PrepaymentRule::ShortenTerm
        },
        late_fine: LateFine::None,
        late_fine_grace_days: 0,
    }
}

/// Three members of one group, each with an active loan of other terms.
async fn three_loans(store: &dyn Store) -> (Lotus, Vec<i64>) {
    let g = lotus(store, "Batch SHG").await;
    let mut loans = Vec::new();
    for (i, member) in g.setup.members.iter().enumerate() {
        let loan = store
            .apply_for_loan(&LoanApplication {
                group_id: g.setup.group.id,
                member_id: member.id,
                product_id: None,
                settings: settings(i),
                source: LoanSource::GroupFund,
                purpose: "dry fish".into(),
                principal: 400_000 + 100_000 * i as i64,
                applied_on: start(),
            })
            .await
            .unwrap();
        store
            .decide_loan(loan.id, true, start(), &format!("R-{i}"))
            .await
            .unwrap();
        store
            .disburse_loan(
                loan.id,
                start(),
                None,
                Fund::Cash,
                &IdempotencyKey::new(&format!("disburse-{i}")).unwrap(),
            )
            .await
            .unwrap();
        loans.push(loan.id);
    }
    (g, loans)
}

#[derive(Debug, Clone)]
struct Request {
    /// 0–2: the three loans; 3: a loan that does not exist.
    loan: usize,
    amount: i64,
    /// Days after the disbursement; a few are before it.
    day: i64,
    into_bank: bool,
    /// `Some(k)`: the key of the k-th request before (a re-send or a misuse).
    key_of: Option<usize>,
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![8 => 0usize..3, 1 => Just(3usize)],
        prop_oneof![
            6 => 1i64..120_000,
            2 => 120_000i64..700_000,
            1 => Just(0i64),
        ],
        prop_oneof![9 => 0i64..120, 1 => -5i64..0],
        any::<bool>(),
        prop_oneof![4 => Just(None), 1 => (0usize..20).prop_map(Some)],
    )
        .prop_map(|(loan, amount, day, into_bank, key_of)| Request {
            loan,
            amount,
            day,
            into_bank,
            key_of,
        })
}

fn repayments(loans: &[i64], requests: &[Request]) -> Vec<Repayment> {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let key = match r.key_of {
                Some(k) if k < i => format!("pay-{k}"),
                _ => format!("pay-{i}"),
            };
            Repayment {
                loan_id: loans.get(r.loan).copied().unwrap_or(9_999_999),
                amount: r.amount,
                on: start()
                    .checked_add_signed(chrono::Duration::days(r.day))
                    .unwrap(),
                into: if r.into_bank { Fund::Bank } else { Fund::Cash },
                key: IdempotencyKey::new(&key).unwrap(),
            }
        })
        .collect()
}

/// An answer with what must agree between the two ways of sending.
fn summary(answer: &StoreResult<LoanOperation>) -> String {
    match answer {
        Ok(op) => format!(
            "ok entry={} replayed={} status={} version={} closed={:?} lines={:?}",
            op.entry_id,
            op.replayed,
            op.loan.status,
            op.loan.schedule_version,
            op.loan.closed_on,
            op.allocation
        ),
        Err(e) => format!("refused: {e}"),
    }
}

async fn books(store: &dyn Store, g: &Lotus, loans: &[i64]) -> String {
    let tb = store.trial_balance(g.book.id, None).await.unwrap();
    let mut out = format!("{:?}", tb.lines);
    for &id in loans {
        let l = store.loan(id).await.unwrap();
        out.push_str(&format!(
            "\n{} {} v{} {:?}",
            id, l.loan.status, l.loan.schedule_version, l.state
        ));
    }
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{:?}", report.problems());
    out
}

async fn together_and_alone(
    together: &dyn Store,
    alone: &dyn Store,
    requests: &[Request],
) -> (Vec<String>, Vec<String>, String, String) {
    let (g1, loans1) = three_loans(together).await;
    let (g2, loans2) = three_loans(alone).await;
    assert_eq!(loans1, loans2);
    let batch = repayments(&loans1, requests);
    let answers: Vec<String> = together
        .repay_loans(&batch)
        .await
        .unwrap()
        .iter()
        .map(summary)
        .collect();
    let mut one_by_one = Vec::new();
    for r in &batch {
        let answer = alone
            .repay_loan(r.loan_id, r.amount, r.on, r.into, &r.key)
            .await;
        one_by_one.push(summary(&answer));
    }
    (
        answers,
        one_by_one,
        books(together, &g1, &loans1).await,
        books(alone, &g2, &loans2).await,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn a_batch_answers_and_posts_as_one_at_a_time(
        requests in prop::collection::vec(request(), 1..24),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (answers, one_by_one, books_together, books_alone) = runtime.block_on(async {
            let a = sqlite().await;
            let b = sqlite().await;
            together_and_alone(&a.store, &b.store, &requests).await
        });
        for (i, (x, y)) in answers.iter().zip(&one_by_one).enumerate() {
            prop_assert_eq!(x, y, "request {}: {:?}", i, requests[i]);
        }
        prop_assert_eq!(books_together, books_alone);
    }
}

/// A hand-picked batch on both backends: a payment, its re-send, the same
/// key misused for another amount, an overpayment, a payment dated before
/// the disbursement, an unknown loan, a prepayment that reschedules and a
/// payment that closes a loan, then one more on the closed loan.
fn worked_batch() -> Vec<Request> {
    let r = |loan, amount, day, key_of| Request {
        loan,
        amount,
        day,
        into_bank: false,
        key_of,
    };
    vec![
        r(0, 60_000, 7, None),
        r(0, 60_000, 7, Some(0)),
        r(0, 10_000, 7, Some(0)),
        r(1, 9_000_000, 10, None),
        r(1, 10_000, -1, None),
        r(3, 10_000, 10, None),
        r(2, 300_000, 14, None),
        // Everything loan 0 still owes on day 30 (what a larger payment is
        // told it exceeds).
        r(0, 348_356, 30, None),
        r(0, 10_000, 31, None),
    ]
}

#[tokio::test]
async fn the_worked_batch_on_sqlite() {
    let a = sqlite().await;
    let b = sqlite().await;
    let (answers, one_by_one, t, o) = together_and_alone(&a.store, &b.store, &worked_batch()).await;
    assert_eq!(answers, one_by_one);
    assert_eq!(t, o);
    // Everything the batch can say was said.
    assert!(answers[0].starts_with("ok") && answers[0].contains("replayed=false"));
    assert!(answers[1].contains("replayed=true"));
    assert!(answers[2].starts_with("refused"), "{}", answers[2]);
    assert!(answers[3].starts_with("refused"), "{}", answers[3]);
    assert!(
        answers[4].contains("before the disbursement"),
        "{}",
        answers[4]
    );
    assert!(answers[5].starts_with("refused"), "{}", answers[5]);
    assert!(answers[6].contains("version=2"), "{}", answers[6]);
    assert!(answers[7].contains("status=closed"), "{}", answers[7]);
    assert!(answers[8].starts_with("refused"), "{}", answers[8]);
}

#[tokio::test]
async fn the_worked_batch_on_postgres() {
    let Some(pg) = postgres().await else { return };
    let other = database_in(&pg.cluster).await;
    let (answers, one_by_one, t, o) = together_and_alone(&pg.store, &other, &worked_batch()).await;
    // Entry ids come from sequences, which refusals one at a time advance.
    let strip = |s: &String| {
        s.split(' ')
            .filter(|w| !w.starts_with("entry="))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        answers.iter().map(strip).collect::<Vec<_>>(),
        one_by_one.iter().map(strip).collect::<Vec<_>>()
    );
    assert_eq!(t, o);
}
