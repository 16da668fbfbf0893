//! The `sakhi` binary as a newcomer runs it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn sakhi(dir: &std::path::Path) -> Command {
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

#[test]
fn migrate_creates_the_default_sqlite_file_and_verify_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = sakhi(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/sakhi.db").exists());
    let out = sakhi(dir.path()).arg("verify").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("verify: OK"), "{stdout}");
    assert!(
        stdout.contains("ok    every book's trial balance is zero"),
        "{stdout}"
    );
}

#[test]
fn verify_exits_non_zero_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let url = format!("sqlite:{}", db.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = sakhi::store::open(&url).await.unwrap();
        store
            .create_program_book("Program", sakhi::money::Currency::inr())
            .await
            .unwrap();
    });
    // Tamper with a maintained balance behind the store's back.
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE accounts SET balance = 700 WHERE code = '1000'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let out = sakhi(dir.path())
        .args(["--database-url", &url, "verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  maintained balances equal the sum of postings"),
        "{stdout}"
    );
    assert!(
        stdout.contains("account 1000 of book 1: maintained 700, postings sum to 0"),
        "{stdout}"
    );
    let json = sakhi(dir.path())
        .args(["--database-url", &url, "verify", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["books"], 1);
}

#[test]
fn serve_starts_with_no_set_up_and_answers_health() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = sakhi(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // First the one-time admin password (an empty database), then the address.
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut printed = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("serve stopped printing: {printed:?}"));
        if let Some(url) = line.trim().strip_prefix("Sakhi is listening on ") {
            break url.to_string();
        }
        printed.push(line);
    };
    assert!(
        printed[0].starts_with("Created the program admin"),
        "{printed:?}"
    );
    let password = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.len() == 16 && !l.contains(' '))
        .expect("a one-time password line");
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        client
            .get(format!("{url}/health"))
            .send()
            .await
            .map(|r| r.status())
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status.unwrap(), 200);
    assert!(dir.path().join("data/sakhi.db").exists());
}

#[test]
fn bad_settings_exit_with_a_message_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = sakhi(dir.path())
        .args(["serve", "--bind", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bind address \"not-an-address\" is not valid"),
        "{stderr}"
    );
}

#[test]
fn schedule_prints_the_fineract_reference_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = sakhi(dir.path())
        .args([
            "schedule",
            "--principal",
            "5000",
            "--rate",
            "12",
            "--rate-per",
            "year",
            "--installments",
            "18",
            "--every",
            "1",
            "--frequency",
            "month",
            "--method",
            "declining",
            "--amortization",
            "equal-installments",
            "--interest-period",
            "repayment",
            "--disbursed",
            "2022-11-01",
            "--installment-multiple",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["currency"], "INR");
    assert_eq!(v["total_principal"], "5000.00");
    assert_eq!(v["total_interest"], "488.22");
    assert_eq!(v["total_due"], "5488.22");
    let first = &v["installments"][0];
    assert_eq!(first["number"], 1);
    assert_eq!(first["due_date"], "2022-12-01");
    assert_eq!(first["principal"], "255.00");
    assert_eq!(first["interest"], "50.00");
    assert_eq!(first["total"], "305.00");
    assert_eq!(first["balance"], "4745.00");
    assert_eq!(v["installments"].as_array().unwrap().len(), 18);
    assert!(
        !dir.path().join("data").exists(),
        "schedule touches no database"
    );
}

#[test]
fn schedule_refuses_bad_flags_with_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "schedule",
        "--installments",
        "12",
        "--frequency",
        "month",
        "--disbursed",
        "2026-01-01",
    ];
    let cases: [(&[&str], &str); 6] = [
        (
            &["--principal", "0", "--rate", "12", "--method", "flat"],
            "--principal must be greater than zero",
        ),
        (
            &["--principal", "-5", "--rate", "12", "--method", "flat"],
            "--principal must be greater than zero",
        ),
        (
            &["--principal", "100.001", "--rate", "12", "--method", "flat"],
            "--principal: INR amounts have at most 2 decimal places",
        ),
        (
            &[
                "--principal",
                "100",
                "--rate",
                "12",
                "--method",
                "flat",
                "--grace-principal",
                "12",
            ],
            "--grace-principal must be shorter",
        ),
        (
            &["--principal", "100", "--rate", "12", "--method", "simple"],
            "--method must be one of: flat, declining",
        ),
        (
            &[
                "--principal",
                "100",
                "--rate",
                "101",
                "--rate-per",
                "month",
                "--method",
                "flat",
            ],
            "--rate must not exceed 100% a month",
        ),
    ];
    for (extra, wanted) in cases {
        let out = sakhi(dir.path()).args(base).args(extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(wanted), "{extra:?}: {stderr}");
    }
}

#[test]
fn portfolio_reports_par_for_the_books() {
    use sakhi::groups::{NewGroup, NewMember};
    use sakhi::ledger::IdempotencyKey;
    use sakhi::loans::product::{templates, LoanSource};
    use sakhi::money::Currency;
    use sakhi::store::{Fund, LoanApplication};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("books.db").display());
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = sakhi::store::open(&url).await.unwrap();
        let member = NewMember::new("M001", "Member one", day(1, 1)).unwrap();
        let setup = store
            .create_group(&NewGroup::new("Lotus", Currency::inr(), vec![member]).unwrap())
            .await
            .unwrap();
        let (_, settings) = templates().remove(0);
        let loan = store
            .apply_for_loan(&LoanApplication {
                group_id: setup.group.id,
                member_id: setup.members[0].id,
                product_id: None,
                settings,
                source: LoanSource::GroupFund,
                purpose: "pickle business".into(),
                principal: 1_200_000,
                applied_on: day(1, 2),
            })
            .await
            .unwrap();
        store
            .decide_loan(loan.id, true, day(1, 3), "R-1")
            .await
            .unwrap();
        let key = IdempotencyKey::new("disburse").unwrap();
        store
            .disburse_loan(loan.id, day(1, 5), None, Fund::Cash, &key)
            .await
            .unwrap();
    });
    // Nothing repaid: by 2026-04-20 the February installment is 74 days late.
    let out = sakhi(dir.path())
        .args([
            "--database-url",
            &url,
            "portfolio",
            "--as-of",
            "2026-04-20",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["active_loans"], 1);
    assert_eq!(v["par"]["principal_outstanding"], 1_200_000);
    assert_eq!(v["par1"], "1.0000");
    assert_eq!(v["par30"], "1.0000");
    assert_eq!(v["par90"], "0.0000");
    assert_eq!(v["ageing"]["d61_90"]["loans"], 1);
    let text = sakhi(dir.path())
        .args(["--database-url", &url, "portfolio", "--as-of", "2026-04-20"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("PAR1   1.0000   PAR30   1.0000   PAR90   0.0000"),
        "{text}"
    );
    let missing = sakhi(dir.path())
        .args([
            "--database-url",
            &url,
            "portfolio",
            "--as-of",
            "2026-04-20",
            "--group",
            "99",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("group 99 was not found"));
}

/// Starts `serve` and says whether it got as far as listening (then stops
/// it), or returns what it printed on stderr when it refused to start.
fn serve_outcome(cmd: &mut Command) -> Result<(), String> {
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("Sakhi is listening on"));
    if listening {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(());
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    Err(String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn serve_refuses_sealed_records_without_the_key_that_sealed_them() {
    use sakhi::crypto::IdentityKey;
    use sakhi::store::auth::NewUser;
    use sakhi::store::{Role, Sealed};
    let dir = tempfile::tempdir().unwrap();
    let out = sakhi(dir.path())
        .args(["key", "generate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key_file = dir.path().join("data/identity.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = sakhi(dir.path())
        .args(["key", "generate"])
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing key is never overwritten"
    );

    // A client whose identity is sealed with that key.
    let key = IdentityKey::from_file(&key_file).unwrap();
    let url = format!("sqlite:{}", dir.path().join("data/sakhi.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = sakhi::store::open(&url).await.unwrap();
        let lotus = sakhi::groups::NewGroup::new(
            "Lotus SHG",
            sakhi::money::Currency::inr(),
            vec![sakhi::groups::NewMember::new(
                "LOT-01",
                "Sanahanbi",
                chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            )
            .unwrap()],
        )
        .unwrap();
        let group = store.create_group(&lotus).await.unwrap();
        let user = store
            .create_user(&NewUser {
                username: "counsellor",
                display_name: "Counsellor",
                role: Role::Counsellor,
                password_hash: "not-a-real-hash",
                must_change_password: false,
                lang: sakhi::i18n::Lang::En,
            })
            .await
            .unwrap();
        let code = sakhi::outcomes::ClientCode::generate().unwrap();
        let sealed = Sealed {
            bytes: key
                .seal_str("{\"full_name\":\"Invented Person\"}", b"identity")
                .unwrap(),
            key_fingerprint: key.fingerprint(),
        };
        store
            .create_client(&code, &[group.members[0].id], Some(&sealed), user.id)
            .await
            .unwrap();
    });

    // With its key (the default file) the server starts.
    serve_outcome(&mut sakhi(dir.path())).expect("serves with the right key");

    // Without it, or with another key, it refuses and says why.
    let elsewhere = dir.path().join("safe.key");
    std::fs::rename(&key_file, &elsewhere).unwrap();
    let refused = serve_outcome(&mut sakhi(dir.path())).unwrap_err();
    assert!(refused.contains("SAKHI_IDENTITY_KEY"), "{refused}");
    let other = IdentityKey::generate().unwrap();
    let refused =
        serve_outcome(sakhi(dir.path()).env("SAKHI_IDENTITY_KEY", other.to_base64().as_str()))
            .unwrap_err();
    assert!(refused.contains(&key.fingerprint()), "{refused}");
    assert!(
        !refused.contains(other.to_base64().as_str()),
        "the key is never printed"
    );

    // Pointing at the key where it now lives works again.
    serve_outcome(sakhi(dir.path()).env("SAKHI_IDENTITY_KEY_FILE", &elsewhere))
        .expect("serves with the key file named");
}

/// Repayments through the served API until `stop`, counting the ones the
/// server acknowledged.
async fn keep_repaying(
    base: String,
    token: String,
    loans: Vec<i64>,
    worker: usize,
    acknowledged: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let client = reqwest::Client::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        let res = client
            .post(format!(
                "{base}/api/v1/loans/{}/repayments",
                loans[(worker + i) % loans.len()]
            ))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "amount": "1.25",
                "idempotency_key": format!("live-{worker}-{i}"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        acknowledged.fetch_add(1, Ordering::SeqCst);
        i += 1;
    }
}

async fn repayments_in(url: &str) -> usize {
    let store = sakhi::store::connect(url).await.unwrap();
    let mut n = 0;
    for book in store.books().await.unwrap() {
        n += store
            .journal(book.id, None, None)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.idempotency_key.starts_with("live-"))
            .count();
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_live_sqlite_database_while_the_server_writes() {
    use common::server::{assert_verify_passes, lending, run, Server};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("live.db").display());
    let books = {
        let store = sakhi::store::open(&url).await.unwrap();
        lending(store.as_ref(), 4).await
    };
    let server = Server::start(dir.path(), &url);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(keep_repaying(
                server.base.clone(),
                books.token.clone(),
                books.loans.clone(),
                w,
                acknowledged.clone(),
                stop.clone(),
            ))
        })
        .collect();
    while acknowledged.load(Ordering::SeqCst) < 40 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The backup runs while the four writers keep posting.
    let before = acknowledged.load(Ordering::SeqCst);
    let backup = dir.path().join("backups").join("sakhi-copy.db");
    std::fs::create_dir(backup.parent().unwrap()).unwrap();
    let out = {
        let (dir, url, backup) = (dir.path().to_path_buf(), url.clone(), backup.clone());
        tokio::task::spawn_blocking(move || run(&dir, &url, &["backup", backup.to_str().unwrap()]))
            .await
            .unwrap()
    };
    let during = acknowledged.load(Ordering::SeqCst);
    while acknowledged.load(Ordering::SeqCst) < during + 20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    drop(server);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sakhi-copy.db"), "{stdout}");
    let copy_url = format!("sqlite:{}", backup.display());
    assert_verify_passes(dir.path(), &copy_url);
    assert_verify_passes(dir.path(), &url);
    // A snapshot from the middle of the writing: everything acknowledged
    // before it began, less than everything written by the end.
    let in_copy = repayments_in(&copy_url).await;
    let in_live = repayments_in(&url).await;
    assert!(in_copy >= before, "{in_copy} in the copy, {before} before");
    assert!(in_copy < in_live, "{in_copy} in the copy, {in_live} live");
    // Nothing half-written left beside it.
    let names: Vec<String> = std::fs::read_dir(backup.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sakhi-backup-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");

    // A second backup to the same name is refused and the first is kept.
    let kept = std::fs::read(&backup).unwrap();
    let out = run(dir.path(), &url, &["backup", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(&backup).unwrap(), kept);
    // So is a database that is not there (rather than creating an empty one).
    let missing = format!("sqlite:{}", dir.path().join("nope.db").display());
    let out = run(dir.path(), &missing, &["backup", "elsewhere.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("nope.db").exists());
    assert!(!dir.path().join("elsewhere.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_names_pg_dump_for_postgres_and_the_readme_restore_drill_passes() {
    use common::server::{assert_verify_passes, lending, run};
    let Some(db) = common::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = db.cluster.create_database("drill_source").unwrap();
    let store = sakhi::store::open(&url).await.unwrap();
    lending(store.as_ref(), 3).await;

    let out = run(dir.path(), &url, &["backup", "sakhi.dump"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pg_dump -Fc"), "{stderr}");
    assert!(stderr.contains("\"Backup and restore\""), "{stderr}");
    assert!(!dir.path().join("sakhi.dump").exists());
    let readme = include_str!("../README.md");
    assert!(readme.contains("## Backup and restore"));

    // The drill as the README gives it, with the cluster's own tools.
    let tool = |name: &str| {
        let mut cmd = Command::new(db.cluster.bin_dir().join(name));
        cmd.current_dir(dir.path());
        cmd
    };
    let dump = dir.path().join("sakhi.dump");
    let status = tool("pg_dump")
        .args(["-Fc", "--file"])
        .arg(&dump)
        .arg(&url)
        .status()
        .unwrap();
    assert!(status.success());
    let status = tool("createdb")
        .arg("-h")
        .arg(db.cluster.socket_dir())
        .args(["-p", &db.cluster.port().to_string()])
        .args([
            "-U",
            sakhi::store::pg_cluster::SUPERUSER,
            "sakhi_restore_drill",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let restored = db.cluster.url("sakhi_restore_drill");
    let out = tool("pg_restore")
        .args(["--no-owner", "--dbname", &restored])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_verify_passes(dir.path(), &restored);
    let copy = sakhi::store::open(&restored).await.unwrap();
    for book in store.books().await.unwrap() {
        assert_eq!(
            copy.trial_balance(book.id, None).await.unwrap(),
            store.trial_balance(book.id, None).await.unwrap()
        );
    }
    assert_eq!(
        copy.verify().await.unwrap().entries,
        store.verify().await.unwrap().entries
    );
}
