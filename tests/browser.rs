//! The key flow in real headless Chromium: a treasurer signs in, records a
//! meeting with a repayment and a thrift deposit, signs out; the member signs
//! in and sees her new balance. Saves screenshots. Skips with one line when
//! Chromium is missing, unless SAKHI_REQUIRE_BROWSER=1.

mod common;

use common::browser;
use common::web_world::*;
use common::*;
use std::path::PathBuf;
use std::sync::Arc;

fn screenshots() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => manifest.join(dir),
        None => manifest.join("target"),
    }
    .join("browser-screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meeting_then_the_members_new_balance() {
    let Some(b) = browser::start().await else {
        return;
    };
    let db = sqlite().await;
    let w = world(Arc::new(db.store)).await;
    let cash_before = w
        .store
        .balance(
            w.store
                .account_by_code(w.a.book.id, "1000")
                .await
                .unwrap()
                .id,
        )
        .await
        .unwrap();

    b.goto(&format!("{}/login", w.base))
        .await
        .expect("sign-in page");
    b.fill("input[name=username]", "treasurer-a")
        .await
        .expect("username");
    b.fill("input[name=password]", PASSWORD)
        .await
        .expect("password");
    b.submit_form("form:has(input[name=username])")
        .await
        .expect("treasurer signs in");
    assert!(b
        .text("h1")
        .await
        .expect("group page")
        .contains("Lotus SHG"));

    b.goto(&format!("{}/groups/{}/meetings/new", w.base, w.a.group.id))
        .await
        .expect("meeting form");
    let m1 = w.a.members[0].id;
    // Thrift is pre-filled with the group's ₹50; the repayment with what she owes.
    b.fill(&format!("input[name=m{m1}_voluntary]"), "100")
        .await
        .expect("voluntary");
    b.screenshot(screenshots().join("meeting-form.png"))
        .await
        .expect("screenshot");
    b.submit_form("form[action$='/meetings/review']")
        .await
        .expect("review");
    assert!(b
        .text("h1")
        .await
        .expect("review page")
        .starts_with("Review"));
    b.submit_form("form[action$='/meetings']")
        .await
        .expect("save");
    assert!(b
        .text("main")
        .await
        .expect("saved page")
        .contains("Meeting saved."));
    b.submit_form("form.out").await.expect("sign out");

    b.fill("input[name=code]", "LOT-01")
        .await
        .expect("member code");
    b.fill("input[name=pin]", PIN).await.expect("pin");
    b.submit_form("form:has(input[name=code])")
        .await
        .expect("member signs in");
    let page = b.text("main").await.expect("member page");
    assert!(page.contains("Hello, Sanahanbi"), "{page}");
    // ₹5,000 voluntary + ₹50 thrift + ₹100 voluntary at the meeting.
    assert!(page.contains("₹5,150.00"), "{page}");
    b.screenshot(screenshots().join("member-balance.png"))
        .await
        .expect("screenshot");
    b.close().await.expect("close");

    let cash_after = w
        .store
        .balance(
            w.store
                .account_by_code(w.a.book.id, "1000")
                .await
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert!(
        cash_after > cash_before + 15_000,
        "thrift, voluntary and the repayment are in the cash"
    );
    assert!(w.store.verify().await.unwrap().is_ok());
}
