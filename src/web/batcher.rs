//! Group commit for repayments. A durable commit costs one `fsync` (and on
//! SQLite holds the only write lock meanwhile), so one transaction per
//! request caps the server at the disk's commit rate. Handlers queue their
//! repayment here instead; one task takes whatever has queued up while the
//! last batch was committing and posts it with `repay_loans` in one
//! transaction. Each request still gets its own answer, exactly what
//! `repay_loan` would have said. Under light load a batch is one request and
//! waits for nothing.

use super::AppError;
use crate::store::{LoanOperation, Repayment, Store, StoreError, StoreResult};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// The most repayments one transaction takes: enough to amortize the
/// commit many times over, few enough that the first in line is not kept
/// waiting long for the last.
const MAX_BATCH: usize = 256;
/// Requests that may wait for a batch; beyond this, handlers wait to
/// queue, so a flood holds memory to this many small jobs.
const QUEUE: usize = 4 * MAX_BATCH;

type Answer = StoreResult<LoanOperation>;

/// The two store calls the batcher makes. `Store` has both; the tests
/// below put a fake in its place to steer what each batch meets.
#[async_trait::async_trait]
trait Repay: Send + Sync {
    async fn batch(&self, batch: &[Repayment]) -> StoreResult<Vec<Answer>>;
    async fn one(&self, r: &Repayment) -> Answer;
}

#[async_trait::async_trait]
impl Repay for Arc<dyn Store> {
    async fn batch(&self, batch: &[Repayment]) -> StoreResult<Vec<Answer>> {
        self.repay_loans(batch).await
    }

    async fn one(&self, r: &Repayment) -> Answer {
        self.repay_loan(r.loan_id, r.amount, r.on, r.into, &r.key)
            .await
    }
}

struct Job {
    repayment: Repayment,
    reply: oneshot::Sender<Answer>,
}

pub struct RepaymentBatcher {
    store: Arc<dyn Repay>,
    // Started by the first repayment rather than with the app state: the
    // state is built in plain (non-async) code, and the task must run on
    // the runtime that serves the requests.
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl RepaymentBatcher {
    pub fn new(store: Arc<dyn Store>) -> RepaymentBatcher {
        RepaymentBatcher::over(Arc::new(store))
    }

    fn over(store: Arc<dyn Repay>) -> RepaymentBatcher {
        RepaymentBatcher {
            store,
            queue: OnceLock::new(),
        }
    }

    /// Posts the repayment in the next batch and answers as `repay_loan`.
    pub async fn repay(&self, repayment: Repayment) -> Result<LoanOperation, AppError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            // The task ends when the last app state (and so the sender) is
            // dropped: `recv_many` then returns 0.
            tokio::spawn(run(self.store.clone(), receiver));
            sender
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { repayment, reply })
            .await
            .map_err(|_| stopped())?;
        let answer = answer.await.map_err(|_| stopped())?;
        Ok(answer?)
    }
}

fn stopped() -> AppError {
    AppError::Internal("the repayment queue stopped before answering".into())
}

async fn run(store: Arc<dyn Repay>, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = std::mem::replace(&mut jobs, Vec::with_capacity(MAX_BATCH));
        // Its own task, so that a panic below fails this batch's requests
        // (their reply senders are dropped) and not every later one.
        if let Err(e) = tokio::spawn(commit(store.clone(), batch)).await {
            tracing::error!(error = %e, "a repayment batch panicked");
        }
    }
}

async fn commit(store: Arc<dyn Repay>, jobs: Vec<Job>) {
    // A request whose client has gone is not posted: no one would learn
    // the answer, and a retry with its key posts it then.
    let (batch, replies): (Vec<Repayment>, Vec<oneshot::Sender<Answer>>) = jobs
        .into_iter()
        .filter(|job| !job.reply.is_closed())
        .map(|job| (job.repayment, job.reply))
        .unzip();
    if batch.is_empty() {
        return;
    }
    let started = std::time::Instant::now();
    let answered = store.batch(&batch).await;
    tracing::debug!(
        size = batch.len(),
        micros = started.elapsed().as_micros() as u64,
        "repayment batch"
    );
    match answered {
        Ok(answers) if answers.len() == batch.len() => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                // The client may have gone meanwhile; the others still hear.
                let _ = reply.send(answer);
            }
        }
        failed => {
            // Nothing of the batch was posted (or the store miscounted, or
            // the connection dropped before the commit's answer: the keys
            // make posting again harmless either way): each request on its
            // own gets its precise answer, a database error only for those
            // it really hits. Once the database is known to be out of
            // reach, though, asking again only makes each request wait out
            // the pool's acquire timeout in turn (minutes for a full
            // batch): the rest hear the same outage at once.
            let mut outage = match failed {
                Ok(answers) => {
                    tracing::error!(
                        asked = batch.len(),
                        answered = answers.len(),
                        "repay_loans answered a different number of repayments"
                    );
                    None
                }
                Err(StoreError::Unavailable(cause)) => {
                    tracing::warn!(
                        error = %cause,
                        size = batch.len(),
                        "repayment batch failed: database unavailable; answering the batch so"
                    );
                    Some(cause)
                }
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        size = batch.len(),
                        "repayment batch failed; posting one by one"
                    );
                    None
                }
            };
            for (r, reply) in batch.iter().zip(replies) {
                if reply.is_closed() {
                    continue;
                }
                let answer = match &outage {
                    Some(cause) => Err(StoreError::Unavailable(cause.clone())),
                    None => store.one(r).await,
                };
                // A refusal is this request's own; only an outage is
                // everyone's.
                if let Err(StoreError::Unavailable(cause)) = &answer {
                    outage.get_or_insert_with(|| cause.clone());
                }
                let _ = reply.send(answer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::IdempotencyKey;
    use crate::store::Fund;
    use chrono::NaiveDate;
    use std::sync::Mutex;
    use tokio::sync::Semaphore;

    /// How the fake's `batch` ends.
    #[derive(Clone, Copy)]
    enum Batch {
        /// A refusal for each repayment.
        Answers,
        /// As a whole, with a database error that is not an outage.
        Fails,
        /// As a whole, the database out of reach.
        Unreachable,
    }

    /// Answers every repayment with a refusal naming its key, so a test
    /// can tell whose answer reached whom, except that `one` finds the
    /// database gone for a key starting with "down"; records each call.
    struct Fake {
        /// The batches `batch` was given, as lists of keys, and then "one"
        /// calls as single keys prefixed with `one:`.
        calls: Mutex<Vec<Vec<String>>>,
        /// Each `batch` call takes a permit first: the test decides when
        /// a batch may finish.
        gate: Semaphore,
        batch: Batch,
    }

    impl Fake {
        fn new(batch: Batch) -> Arc<Fake> {
            Arc::new(Fake {
                calls: Mutex::new(Vec::new()),
                gate: Semaphore::new(0),
                batch,
            })
        }

        fn calls(&self) -> Vec<Vec<String>> {
            self.calls.lock().map(|c| c.clone()).unwrap_or_default()
        }

        fn record(&self, keys: Vec<String>) {
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(keys);
            }
        }
    }

    fn answer_for(r: &Repayment, how: &str) -> Answer {
        Err(StoreError::Invalid(format!("{how} {}", r.key.as_str())))
    }

    #[async_trait::async_trait]
    impl Repay for Fake {
        async fn batch(&self, batch: &[Repayment]) -> StoreResult<Vec<Answer>> {
            let keys: Vec<String> = batch.iter().map(|r| r.key.as_str().to_string()).collect();
            self.record(keys.clone());
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            assert!(!keys.iter().any(|k| k == "panics"), "a bug in the store");
            match self.batch {
                Batch::Answers => Ok(batch.iter().map(|r| answer_for(r, "batched")).collect()),
                Batch::Fails => Err(StoreError::from(sqlx::Error::RowNotFound)),
                Batch::Unreachable => Err(StoreError::from(sqlx::Error::PoolTimedOut)),
            }
        }

        async fn one(&self, r: &Repayment) -> Answer {
            self.record(vec![format!("one:{}", r.key.as_str())]);
            if r.key.as_str().starts_with("down") {
                return Err(StoreError::from(sqlx::Error::PoolTimedOut));
            }
            answer_for(r, "alone")
        }
    }

    fn repayment(key: &str) -> Repayment {
        Repayment {
            loan_id: 1,
            amount: 100,
            on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
            into: Fund::Cash,
            key: IdempotencyKey::new(key).unwrap(),
        }
    }

    /// The refusal text a caller got.
    fn said(answer: Result<LoanOperation, AppError>) -> String {
        match answer {
            Err(AppError::Store(StoreError::Invalid(text))) => text,
            other => format!("unexpected {other:?}"),
        }
    }

    /// Whether a caller was told the database is out of reach.
    fn unavailable(answer: &Result<LoanOperation, AppError>) -> bool {
        matches!(answer, Err(AppError::Store(e)) if e.is_unavailable())
    }

    type Pending = tokio::task::JoinHandle<Result<LoanOperation, AppError>>;

    /// Starts `keys` as concurrent requests and lets each reach the queue
    /// (one runtime thread: a yield runs every task spawned before it).
    async fn start(batcher: &Arc<RepaymentBatcher>, keys: &[&str]) -> Vec<Pending> {
        let tasks = keys
            .iter()
            .map(|k| {
                let (batcher, r) = (batcher.clone(), repayment(k));
                tokio::spawn(async move { batcher.repay(r).await })
            })
            .collect();
        tokio::task::yield_now().await;
        tasks
    }

    /// Starts one request and waits until its batch has reached the store
    /// (and waits there at the gate): what queues now goes in the next.
    async fn first_batch(fake: &Fake, batcher: &Arc<RepaymentBatcher>, key: &str) -> Pending {
        let mut started = start(batcher, &[key]).await;
        for _ in 0..1_000 {
            if !fake.calls().is_empty() {
                return started.remove(0);
            }
            tokio::task::yield_now().await;
        }
        panic!("the first batch never reached the store");
    }

    #[tokio::test]
    async fn requests_that_queue_behind_a_batch_go_together_in_the_next() {
        let fake = Fake::new(Batch::Answers);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        let first = first_batch(&fake, &batcher, "a").await;
        let rest = start(&batcher, &["b", "c", "d"]).await;
        fake.gate.add_permits(2);
        assert_eq!(said(first.await.unwrap()), "batched a");
        for (task, key) in rest.into_iter().zip(["b", "c", "d"]) {
            assert_eq!(said(task.await.unwrap()), format!("batched {key}"));
        }
        assert_eq!(fake.calls(), [vec!["a"], vec!["b", "c", "d"]]);
    }

    #[tokio::test]
    async fn a_batch_that_fails_as_a_whole_is_answered_one_by_one() {
        let fake = Fake::new(Batch::Fails);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        let first = first_batch(&fake, &batcher, "a").await;
        let rest = start(&batcher, &["b", "c"]).await;
        fake.gate.add_permits(2);
        assert_eq!(said(first.await.unwrap()), "alone a");
        for (task, key) in rest.into_iter().zip(["b", "c"]) {
            assert_eq!(said(task.await.unwrap()), format!("alone {key}"));
        }
        assert_eq!(
            fake.calls(),
            [
                vec!["a"],
                vec!["one:a"],
                vec!["b", "c"],
                vec!["one:b"],
                vec!["one:c"]
            ]
        );
    }

    #[tokio::test]
    async fn a_batch_that_cannot_reach_the_database_is_answered_at_once() {
        let fake = Fake::new(Batch::Unreachable);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        let first = first_batch(&fake, &batcher, "a").await;
        let rest = start(&batcher, &["b", "c", "d"]).await;
        fake.gate.add_permits(2);
        let first = first.await.unwrap();
        assert!(unavailable(&first), "{first:?}");
        for task in rest {
            let answer = task.await.unwrap();
            assert!(unavailable(&answer), "{answer:?}");
        }
        // No one-by-one calls: each would wait out the pool's timeout.
        assert_eq!(fake.calls(), [vec!["a"], vec!["b", "c", "d"]]);
    }

    #[tokio::test]
    async fn once_one_request_finds_the_database_gone_the_rest_of_its_batch_hear_so_at_once() {
        let fake = Fake::new(Batch::Fails);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        let first = first_batch(&fake, &batcher, "a").await;
        let keys = ["b", "c", "down", "e", "f"];
        let rest = start(&batcher, &keys).await;
        fake.gate.add_permits(3);
        assert_eq!(said(first.await.unwrap()), "alone a");
        let mut answers = Vec::new();
        for task in rest {
            answers.push(task.await.unwrap());
        }
        // Refusals are each request's own and do not stop the others.
        assert_eq!(said(answers.remove(0)), "alone b");
        assert_eq!(said(answers.remove(0)), "alone c");
        for answer in &answers {
            assert!(unavailable(answer), "{answer:?}");
        }
        // The outage ended that batch's fallback, not the queue: the next
        // batch is tried, and on its own again.
        assert_eq!(said(batcher.repay(repayment("g")).await), "alone g");
        assert_eq!(
            fake.calls(),
            [
                vec!["a"],
                vec!["one:a"],
                vec!["b", "c", "down", "e", "f"],
                vec!["one:b"],
                vec!["one:c"],
                vec!["one:down"],
                vec!["g"],
                vec!["one:g"],
            ]
        );
    }

    #[tokio::test]
    async fn a_client_that_has_gone_is_skipped_and_the_others_are_answered() {
        let fake = Fake::new(Batch::Answers);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        let first = first_batch(&fake, &batcher, "a").await;
        let mut queued = start(&batcher, &["gone", "stays"]).await;
        let stays = queued.remove(1);
        let gone = queued.remove(0);
        gone.abort();
        assert!(gone.await.unwrap_err().is_cancelled());
        fake.gate.add_permits(2);
        assert_eq!(said(first.await.unwrap()), "batched a");
        assert_eq!(said(stays.await.unwrap()), "batched stays");
        assert_eq!(fake.calls(), [vec!["a"], vec!["stays"]]);
    }

    #[tokio::test]
    async fn a_batch_that_panics_fails_its_requests_and_the_queue_goes_on() {
        let fake = Fake::new(Batch::Answers);
        let batcher = Arc::new(RepaymentBatcher::over(fake.clone()));
        fake.gate.add_permits(2);
        let answer = batcher.repay(repayment("panics")).await;
        assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
        assert_eq!(said(batcher.repay(repayment("next")).await), "batched next");
    }
}
