//! Books and indicators through the real router, on SQLite and PostgreSQL:
//! each report's figures on the page and in the CSV, checked against sums
//! worked out by hand from the world's entries; bad dates named; other
//! groups' reports not found; the program view for staff.
//!
//! The world (see `common::web_world`): Lotus SHG's cash got ₹5,000 of
//! LOT-01's voluntary savings 200 days ago and paid out her ₹3,000 loan 45
//! days ago (its first installment is now late). This test adds, 10 days
//! ago, a ₹50 fine and ₹50 of thrift from LOT-02, and 5 days ago a ₹20
//! expense. So today:
//!
//! * cash 5,000 - 3,000 + 50 + 50 - 20 = ₹2,080; loans to members ₹3,000;
//!   assets ₹5,080;
//! * savings owed ₹5,000 (LOT-01 voluntary) + ₹50 (LOT-02 compulsory) =
//!   ₹5,050; surplus of the period 50 - 20 = ₹30; claims ₹5,080;
//! * trial balance: debits 2,080 + 3,000 + 20 = ₹5,100 = credits 5,000 + 50
//!   + 50.

mod common;

use chrono::{Days, NaiveDate};
use common::web_world::*;
use common::*;
use sakhi::ledger::{EntryDraft, IdempotencyKey};
use sakhi::money::{Currency, Money};
use sakhi::store::{Fund, Store};
use std::sync::Arc;

struct Got {
    status: u16,
    content_type: String,
    disposition: String,
    body: String,
}

async fn get(c: &reqwest::Client, url: String) -> Got {
    let res = c.get(&url).send().await.unwrap();
    let header = |name| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    Got {
        status: res.status().as_u16(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        body: res.text().await.unwrap(),
    }
}

async fn csv(c: &reqwest::Client, url: String) -> String {
    let got = get(c, url.clone()).await;
    assert_eq!(got.status, 200, "{url}: {}", got.body);
    assert_eq!(got.content_type, "text/csv; charset=utf-8", "{url}");
    assert!(
        got.disposition
            .starts_with("attachment; filename=\"lotus-shg-")
            && got.disposition.ends_with(".csv\""),
        "{url}: {}",
        got.disposition
    );
    got.body
}

async fn page(c: &reqwest::Client, url: String) -> String {
    let got = get(c, url.clone()).await;
    assert_eq!(got.status, 200, "{url}: {}", got.body);
    assert!(got.content_type.starts_with("text/html"), "{url}");
    got.body
}

fn ago(days: u64) -> NaiveDate {
    today() - Days::new(days)
}

async fn add_entries(w: &World) {
    let book = &w.a.book;
    let by_code =
        |code: &'static str| async move { w.store.account_by_code(book.id, code).await.unwrap() };
    let cash = by_code("1000").await;
    let fine = sakhi::savings::fine(
        book,
        &cash,
        &by_code("4010").await,
        5_000,
        ago(10),
        &IdempotencyKey::new("report-fine").unwrap(),
    )
    .unwrap();
    let expense = EntryDraft::of_kind(
        book,
        ago(5),
        "expense",
        &IdempotencyKey::new("report-expense").unwrap(),
    )
    .unwrap()
    .memo("registers")
    .transfer(
        &by_code("5000").await,
        &cash,
        Money::from_minor(2_000, Currency::inr()),
    )
    .build()
    .unwrap();
    w.store.post_all(&[fine, expense]).await.unwrap();
    w.store
        .pay_thrift(
            w.a.members[1].id,
            5_000,
            ago(10),
            Fund::Cash,
            &IdempotencyKey::new("report-thrift").unwrap(),
        )
        .await
        .unwrap();
}

async fn reports(store: Arc<dyn Store>) {
    let w = world(store).await;
    add_entries(&w).await;
    let a = w.a.group.id;
    let t = user(&w, "treasurer-a").await;
    let base = format!("{}/groups/{a}/reports", w.base);
    let today = today();

    // The index lists every report, and the group home links to it.
    let index = page(&t, base.clone()).await;
    for slug in [
        "trial-balance",
        "balance-sheet",
        "income-expenditure",
        "cash-book",
        "general-ledger",
        "loan-ledger",
        "passbook",
        "dcb",
        "par",
        "grading",
    ] {
        assert!(index.contains(&format!("/reports/{slug}\"")), "{slug}");
    }
    let home = page(&t, format!("{}/groups/{a}", w.base)).await;
    assert!(home.contains(&format!("href=\"/groups/{a}/reports\"")));

    // Trial balance.
    let html = page(&t, format!("{base}/trial-balance")).await;
    assert_eq!(html.matches("₹5,100.00").count(), 2, "{html}");
    assert!(!html.contains("do not balance"));
    let text = csv(&t, format!("{base}/trial-balance?until={today}&format=csv")).await;
    assert!(
        text.starts_with("code,account,type,debit,credit\n"),
        "{text}"
    );
    assert!(
        text.contains("\n1000,Cash in hand,asset,2080.00,0.00\n"),
        "{text}"
    );
    assert!(text.ends_with("\n,total,,5100.00,5100.00\n"), "{text}");

    // Balance sheet: per-member accounts under their headers.
    let html = page(&t, format!("{base}/balance-sheet")).await;
    assert_eq!(html.matches("₹5,080.00").count(), 2, "{html}");
    assert!(html.contains("₹30.00"));
    let text = csv(&t, format!("{base}/balance-sheet?format=csv")).await;
    for line in [
        "asset,1000,Cash in hand,2080.00",
        "asset,1100,Loans to members (principal),3000.00",
        "liability,2000,Member compulsory savings,50.00",
        "liability,2010,Member voluntary savings,5000.00",
        "capital,,current surplus,30.00",
        "total,,assets,5080.00",
        "total,,liabilities and capital,5080.00",
    ] {
        assert!(text.contains(&format!("\n{line}\n")), "{line} in {text}");
    }

    // Income and expenditure of the last 30 days.
    let period = format!("from={}&until={today}", ago(30));
    let html = page(&t, format!("{base}/income-expenditure?{period}")).await;
    assert!(html.contains("₹50.00") && html.contains("₹20.00") && html.contains("₹30.00"));
    let text = csv(&t, format!("{base}/income-expenditure?{period}&format=csv")).await;
    assert!(text.contains("\nincome,4010,Fine income,50.00\n"), "{text}");
    assert!(text.contains("\nexpenditure,5000,Expenses,20.00\n"));
    assert!(text.ends_with("\ntotal,,surplus,30.00\n"), "{text}");

    // Cash book: ₹2,000 at the start (the loan went out before), ₹100 in
    // 10 days ago, ₹20 out 5 days ago.
    let html = page(&t, format!("{base}/cash-book?{period}")).await;
    for figure in ["₹2,000.00", "₹100.00", "₹2,100.00", "₹2,080.00"] {
        assert!(html.contains(figure), "{figure}");
    }
    let text = csv(&t, format!("{base}/cash-book?{period}&format=csv")).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], format!("{},,opening,,,,,,,2000.00,0.00", ago(30)));
    assert!(
        text.contains(",fine,4010,,50.00,0.00,0.00,0.00,2050.00,0.00\n"),
        "{text}"
    );
    assert!(text.contains(",expense,5000,registers,0.00,20.00,0.00,0.00,2080.00,0.00\n"));
    assert_eq!(
        lines.last().copied(),
        Some(format!("{today},,closing,,,100.00,20.00,0.00,0.00,2080.00,0.00").as_str())
    );

    // General ledger: the summary, one account's lines, and the CSV.
    let html = page(&t, format!("{base}/general-ledger?{period}")).await;
    assert!(html.contains("account=1000"));
    let html = page(&t, format!("{base}/general-ledger?{period}&account=5000")).await;
    assert!(html.contains("registers") && html.contains("₹20.00"));
    let text = csv(&t, format!("{base}/general-ledger?{period}&format=csv")).await;
    assert!(
        text.contains(&format!(
            "\n1000,Cash in hand,{},,opening,,,,2000.00\n",
            ago(30)
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "\n1000,Cash in hand,{today},,closing,,100.00,20.00,2080.00\n"
    )));
    let missing = get(&t, format!("{base}/general-ledger?account=9999")).await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("account"));

    // Loan ledger: nothing repaid, the first installment late.
    let loan = w.store.loan(w.loan).await.unwrap();
    let first_due = loan.state.installments[0].due_date;
    let late = (today - first_due).num_days();
    assert!(late > 0);
    let html = page(&t, format!("{base}/loan-ledger")).await;
    assert!(html.contains("₹3,000.00") && html.contains("Active"));
    let text = csv(&t, format!("{base}/loan-ledger?format=csv")).await;
    assert!(
        text.contains(&format!(
            "\n{},LOT-01,Sanahanbi,{},3000.00,0.00,0.00,0.00,3000.00,active,{late}\n",
            w.loan,
            ago(45)
        )),
        "{text}"
    );

    // Passbook: LOT-01 saved ₹5,000 and borrowed ₹3,000.
    let m = w.a.members[0].id;
    let html = page(&t, format!("{base}/passbook?member={m}&from={}", ago(365))).await;
    assert!(html.contains("₹5,000.00") && html.contains("₹3,000.00"));
    let text = csv(
        &t,
        format!("{base}/passbook?member={m}&from={}&format=csv", ago(365)),
    )
    .await;
    assert!(text.contains(&format!("\n{},", ago(200))), "{text}");
    assert!(
        text.contains(",savings-deposit,,0.00,5000.00,0.00,0.00,5000.00,0.00\n"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("\n{today},,closing,,,,,0.00,5000.00,3000.00\n")),
        "{text}"
    );
    let other_group = w.b.members[0].id;
    assert_eq!(
        get(&t, format!("{base}/passbook?member={other_group}"))
            .await
            .status,
        404
    );
    assert_eq!(get(&t, format!("{base}/passbook")).await.status, 422);

    // PAR: the only loan is late, less than 30 days.
    let html = page(&t, format!("{base}/par")).await;
    assert!(html.contains("100.0%"), "{html}");
    let text = csv(&t, format!("{base}/par?format=csv")).await;
    assert!(
        text.contains("\npar1,,3000.00,1.0000\npar30,,0.00,0.0000\n"),
        "{text}"
    );
    assert!(text.contains("\nd1_30,1,3000.00,"), "{text}");
    // DCB: the late installment fell due and nothing was collected.
    let text = csv(&t, format!("{base}/dcb?from={}&format=csv", ago(60))).await;
    let due = loan.state.installments[0].due.total();
    let closing: i64 = text
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next())
        .filter_map(|v| v.replace('.', "").parse::<i64>().ok())
        .last()
        .unwrap_or(-1);
    assert_eq!(closing, due, "{text}");

    // Grading (weekly): no meetings recorded, so meetings, attendance and
    // savings score 0; repayment 0 (nothing collected); lending: 1 of 2
    // members borrowed and 3,000 of 5,080 is lent out, mean
    // (0.5 + 0.5906) / 2 = 0.5453: 15; books: last entry 5 days ago: 15.
    let text = csv(&t, format!("{base}/grading?format=csv")).await;
    assert!(text.contains("\nmeetings,0,28,0.0000,0,20\n"), "{text}");
    assert!(text.contains("\nlending,1,2,0.5453,15,15\n"), "{text}");
    assert!(text.contains("\nbooks,7,5,1.0000,15,15\n"), "{text}");
    assert!(text.contains("\ntotal,,,,30,100\ngrade,C,"), "{text}");
    let html = page(&t, format!("{base}/grading?frequency=monthly")).await;
    assert!(html.contains("Group grading") && html.contains("selected"));
    assert!(
        html.contains("meets Monthly") || html.contains("meets monthly"),
        "{html}"
    );
    assert!(
        !html.contains("{start}") && !html.contains("report."),
        "{html}"
    );
    assert_eq!(
        get(&t, format!("{base}/grading?frequency=daily"))
            .await
            .status,
        422
    );

    // Bad input: each bad field named, nothing else.
    let bad = get(
        &t,
        format!("{base}/cash-book?from=31-03-2026&until=2026-02-30"),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("from: a date like") && bad.body.contains("until: a date like"));
    let bad = get(
        &t,
        format!("{base}/cash-book?from={today}&until={}", ago(1)),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("from: must not be after until"),
        "{}",
        bad.body
    );
    assert_eq!(
        get(&t, format!("{base}/cash-book?format=pdf")).await.status,
        422
    );
    assert_eq!(get(&t, format!("{base}/no-such-report")).await.status, 404);

    // Another group's reports do not exist for this treasurer.
    let b = w.b.group.id;
    assert_eq!(
        get(&t, format!("{}/groups/{b}/reports/trial-balance", w.base))
            .await
            .status,
        404
    );

    // The program: every group's totals and PAR, and the consolidated
    // trial balance; staff only.
    assert_eq!(
        get(&t, format!("{}/reports/program", w.base)).await.status,
        403
    );
    let s = user(&w, "staff").await;
    let html = page(&s, format!("{}/reports/program", w.base)).await;
    assert!(html.contains("Lotus SHG") && html.contains("Iris SHG") && html.contains("₹5,100.00"));
    let got = get(&s, format!("{}/reports/program?format=csv", w.base)).await;
    assert_eq!(got.content_type, "text/csv; charset=utf-8");
    assert!(
        got.body.contains(&format!(
            "\n{a},Lotus SHG,5100.00,5100.00,yes,1,3000.00,1.0000,0.0000\n"
        )),
        "{}",
        got.body
    );
    assert!(got.body.contains(&format!(
        "\n{b},Iris SHG,0.00,0.00,yes,0,0.00,0.0000,0.0000\n"
    )));
    let got = get(
        &s,
        format!("{}/reports/program/trial-balance?format=csv", w.base),
    )
    .await;
    assert!(
        got.body
            .contains("\n2010,Member voluntary savings,liability,0.00,5000.00\n"),
        "{}",
        got.body
    );
    assert!(
        got.body.ends_with("\n,total,,5100.00,5100.00\n"),
        "{}",
        got.body
    );
    let html = page(&s, format!("{}/reports/program/trial-balance", w.base)).await;
    assert!(html.contains("Consolidated trial balance"));

    assert!(w.store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn reports_on_sqlite() {
    let db = sqlite().await;
    reports(Arc::new(db.store)).await;
}

#[tokio::test]
async fn reports_on_postgres() {
    let Some(db) = postgres().await else { return };
    reports(Arc::new(database_in(&db.cluster).await)).await;
}
