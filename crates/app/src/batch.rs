//! Group commit for booking decisions. Decisions that arrive together are decided one after
//! another inside one write transaction (holding the booking lock once) and committed with one
//! fsync; each caller gets its answer only after that commit. A decision refused by the rules or by
//! validation writes nothing, so it cannot disturb the others in its batch; a storage error aborts
//! the whole batch and every caller in it gets an error (nothing of the batch is stored).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use glassroom_store::{Store, Tx};

use crate::context::{Directory, DirectoryCache};
use crate::{AppError, RuleFinding};

/// Most decisions committed together.
const MAX_BATCH: usize = 64;

pub(crate) type JobFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<RuleFinding>, AppError>> + Send + 'a>>;
pub(crate) type Job =
    Box<dyn for<'a> FnOnce(&'a mut dyn Tx, Arc<Directory>) -> JobFuture<'a> + Send>;

pub(crate) struct Envelope {
    job: Job,
    reply: oneshot::Sender<Result<Vec<RuleFinding>, AppError>>,
}

/// Errors after which a decision may have written part of its change.
fn may_have_written(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict | AppError::Unavailable(_) | AppError::Internal(_)
    )
}

pub(crate) fn spawn(store: Arc<dyn Store>, cache: Arc<DirectoryCache>) -> mpsc::Sender<Envelope> {
    let (tx, mut rx) = mpsc::channel::<Envelope>(1024);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(e) => batch.push(e),
                    Err(_) => break,
                }
            }
            run_batch(&*store, &cache, batch).await;
        }
    });
    tx
}

async fn run_batch(store: &dyn Store, cache: &DirectoryCache, batch: Vec<Envelope>) {
    let (jobs, replies): (Vec<Job>, Vec<_>) = batch.into_iter().map(|e| (e.job, e.reply)).unzip();
    let mut answers: Vec<Result<Vec<RuleFinding>, AppError>> = Vec::with_capacity(jobs.len());
    let outcome: Result<(), AppError> = async {
        let mut tx = store.write().await?;
        tx.lock_bookings().await?;
        let dir = cache.get(&mut *tx).await?;
        for job in jobs {
            let answer = job(&mut *tx, dir.clone()).await;
            if let Err(e) = &answer
                && may_have_written(e)
            {
                answers.push(answer);
                return Err(AppError::Conflict);
            }
            answers.push(answer);
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        Err(batch_error) => {
            tracing::warn!(error = %batch_error, "a batch of booking decisions was rolled back");
            let mut answers = answers.into_iter();
            for reply in replies {
                // The decision that failed gets its own error; the others are asked to retry.
                let own = answers
                    .next()
                    .and_then(|a| a.err().filter(may_have_written));
                let _ = reply.send(Err(own.unwrap_or(AppError::Conflict)));
            }
        }
    }
}

/// Sends `job` to the writer and waits for its answer (after the commit).
pub(crate) async fn submit(
    sender: &mpsc::Sender<Envelope>,
    job: Job,
) -> Result<Vec<RuleFinding>, AppError> {
    let (reply, answer) = oneshot::channel();
    sender
        .send(Envelope { job, reply })
        .await
        .map_err(|_| AppError::Unavailable("the decision writer has stopped".into()))?;
    answer
        .await
        .map_err(|_| AppError::Unavailable("the decision writer has stopped".into()))?
}
