//! Group commit for repayments. A durable commit costs one `fsync` (and on
//! SQLite holds the only write lock meanwhile), so one transaction per
//! request caps the server at the disk's commit rate. Handlers queue their
//! repayment here instead; one task takes whatever has queued up while the
//! last batch was committing and posts it with `repay_loans` in one
//! transaction. Each request still gets its own answer, exactly what
//! `repay_loan` would have said. Under light load a batch is one request and
//! waits for nothing.

use super::AppError;
use crate::store::{LoanOperation, Repayment, Store, StoreResult};
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

struct Job {
    repayment: Repayment,
    reply: oneshot::Sender<Answer>,
}

pub struct RepaymentBatcher {
    store: Arc<dyn Store>,
    // Started by the first repayment rather than with the app state: the
    // state is built in plain (non-async) code, and the task must run on
    // the runtime that serves the requests.
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl RepaymentBatcher {
    pub fn new(store: Arc<dyn Store>) -> RepaymentBatcher {
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

async fn run(store: Arc<dyn Store>, mut queue: mpsc::Receiver<Job>) {
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

async fn commit(store: Arc<dyn Store>, jobs: Vec<Job>) {
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
    let answered = store.repay_loans(&batch).await;
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
            // Nothing of the batch was posted (or the store miscounted, and
            // the keys make posting again harmless): each request on its
            // own gets its precise answer, a database error only for those
            // it really hits.
            match failed {
                Ok(answers) => tracing::error!(
                    asked = batch.len(),
                    answered = answers.len(),
                    "repay_loans answered a different number of repayments"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, size = batch.len(), "repayment batch failed; posting one by one")
                }
            }
            for (r, reply) in batch.iter().zip(replies) {
                if reply.is_closed() {
                    continue;
                }
                let answer = store
                    .repay_loan(r.loan_id, r.amount, r.on, r.into, &r.key)
                    .await;
                let _ = reply.send(answer);
            }
        }
    }
}
