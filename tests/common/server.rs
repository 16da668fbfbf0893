//! The real `sakhi` binary as a child process: `serve` on a free port of a
//! given database, and one-shot commands (`verify`, `backup`) against it.
#![allow(dead_code)]

use super::web_world;
use chrono::Days;
use sakhi::groups::{NewGroup, NewMember};
use sakhi::ledger::{chart, IdempotencyKey};
use sakhi::loans::product::{templates, LoanSource};
use sakhi::money::Currency;
use sakhi::store::auth::NewUser;
use sakhi::store::{Fund, LoanApplication, Role, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary with none of the caller's Sakhi settings leaking in, run in
/// `dir` (so the default `./data` and `./sakhi.toml` are the test's own).
pub fn sakhi(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sakhi"));
    cmd.current_dir(dir)
        .env_remove("SAKHI_DATABASE_URL")
        .env_remove("SAKHI_DATA_DIR")
        .env_remove("SAKHI_BIND")
        .env_remove("SAKHI_CONFIG")
        .env_remove("SAKHI_IDENTITY_KEY")
        .env_remove("SAKHI_IDENTITY_KEY_FILE");
    cmd
}

/// `sakhi --database-url URL ARGS…`, waited for.
pub fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    sakhi(dir)
        .args(["--database-url", url])
        .args(args)
        .output()
        .expect("run the sakhi binary")
}

/// `sakhi verify` passes on the database; its report is in the panic if not.
pub fn assert_verify_passes(dir: &Path, url: &str) {
    let out = run(dir, url, &["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sakhi verify failed on {url}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verify: OK"), "{stdout}");
}

/// A running `sakhi serve`. Killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts `sakhi serve` on 127.0.0.1 port 0 and waits for the line that
    /// names the address, which is printed only once the socket listens.
    pub fn start(dir: &Path, url: &str) -> Server {
        let log = dir.join(format!("serve-{}.log", std::process::id()));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("server log file");
        let mut child = sakhi(dir)
            .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
            .env("SAKHI_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn sakhi serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Keeps draining stdout after the address line, so the server can
        // never block on a full pipe.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(url) = line.trim().strip_prefix("Sakhi is listening on ") {
                        let _ = tx.send(url.to_string());
                        sent = true;
                    }
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "sakhi serve did not start:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Server { child, base, log }
    }

    /// SIGKILL: no graceful shutdown, no flushing, no destructors; what is
    /// on disk is what a power cut or the OOM killer would leave.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A group of borrowers, each with an active loan, and a treasurer's token.
pub struct Lending {
    pub book: i64,
    pub loans: Vec<i64>,
    /// A bearer token of the group's treasurer.
    pub token: String,
}

pub async fn lending(store: &dyn Store, borrowers: usize) -> Lending {
    let today = web_world::today();
    let joined = today - Days::new(200);
    let members = (1..=borrowers)
        .map(|i| NewMember::new(&format!("CR-{i:02}"), &format!("Borrower {i}"), joined).unwrap())
        .collect();
    let setup = store
        .create_group(&NewGroup::new("Crash SHG", Currency::inr(), members).unwrap())
        .await
        .unwrap();
    let book = setup.book.id;
    let cash = store.account_by_code(book, chart::shg::CASH).await.unwrap();
    let mut loans = Vec::new();
    for (i, m) in setup.members.iter().enumerate() {
        let savings = store
            .account_by_code(
                book,
                &chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, &m.code),
            )
            .await
            .unwrap();
        let seed = sakhi::savings::deposit(
            &setup.book,
            &cash,
            &savings,
            2_000_000,
            joined,
            &IdempotencyKey::new(&format!("seed-{i}")).unwrap(),
        )
        .unwrap();
        store.post(&seed).await.unwrap();
        let loan = store
            .apply_for_loan(&LoanApplication {
                group_id: setup.group.id,
                member_id: m.id,
                product_id: None,
                settings: templates()[0].1.clone(),
                source: LoanSource::GroupFund,
                purpose: "tailoring".into(),
                principal: 1_000_000,
                applied_on: joined,
            })
            .await
            .unwrap();
        store
            .decide_loan(loan.id, true, joined, &format!("R-{i}"))
            .await
            .unwrap();
        store
            .disburse_loan(
                loan.id,
                today - Days::new(30),
                None,
                Fund::Cash,
                &IdempotencyKey::new(&format!("disburse-{i}")).unwrap(),
            )
            .await
            .unwrap();
        loans.push(loan.id);
    }
    let token = treasurer_token(store, "treasurer", setup.group.id).await;
    Lending { book, loans, token }
}

/// A new treasurer of the group (password `web_world::PASSWORD`) and an API
/// token issued to her.
pub async fn treasurer_token(store: &dyn Store, username: &str, group_id: i64) -> String {
    let hash = sakhi::auth::hash_secret(web_world::PASSWORD).unwrap();
    let treasurer = store
        .create_user(&NewUser {
            username,
            display_name: "Treasurer",
            role: Role::Treasurer,
            password_hash: &hash,
            must_change_password: false,
            lang: sakhi::i18n::Lang::En,
        })
        .await
        .unwrap();
    store
        .assign_treasurer(treasurer.id, group_id)
        .await
        .unwrap();
    let (_, token, _) = sakhi::web::api::issue_for(store, username, "test")
        .await
        .unwrap();
    token
}

/// The app in this process, on a port of its own (the repayment batcher
/// starts on the test's runtime, as it does in `sakhi serve`); its base URL.
pub async fn serve_in_process(store: std::sync::Arc<dyn Store>) -> String {
    let state = sakhi::web::AppState::new(store).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, sakhi::web::app(state)).await });
    format!("http://{addr}")
}
