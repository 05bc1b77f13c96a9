//! Group commit: writes that arrive together are written together, so that one transaction,
//! a few statements and one flush to disk serve many of them (the pattern PostgreSQL's
//! `commit_delay` uses). One task takes the writes waiting for it (up to [`MAX_BATCH`]) and hands
//! them to the write function in one call, which answers each caller with its own outcome once
//! it is known: what a caller is told was written has been committed.
//!
//! The write function decides how a batch is written and what a failure costs; filings, for
//! instance, are written again one by one when their batch fails (`complaints::filing`).

use crate::error::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// The most writes one batch takes.
pub const MAX_BATCH: usize = 64;

/// Writes a batch, answering each write through its [`Answer`] as soon as its outcome is known
/// (a write answered is one whose commit is done, or that failed). A write left unanswered (the
/// function panicked before it got to it) is told its outcome is unknown.
pub type WriteAll<J, R> = Arc<dyn Fn(Vec<(J, Answer<R>)>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Where one write's outcome goes: its caller, waiting in [`GroupCommit::run`].
pub struct Answer<R>(oneshot::Sender<Result<R>>);

impl<R> Answer<R> {
    /// Tells the caller (who may have gone: then nobody is told).
    pub fn send(self, outcome: Result<R>) {
        let _ = self.0.send(outcome);
    }
}

/// An answer and the caller's end of it, for tests that drive a write function directly.
#[cfg(test)]
pub(crate) fn answer<R>() -> (Answer<R>, oneshot::Receiver<Result<R>>) {
    let (tx, rx) = oneshot::channel();
    (Answer(tx), rx)
}

/// A write waiting, and where its outcome goes.
type Job<J, R> = (J, Answer<R>);

/// The writer: cheap to clone; its task starts with the first write.
pub struct GroupCommit<J, R> {
    write: WriteAll<J, R>,
    queue: Arc<OnceLock<mpsc::Sender<Job<J, R>>>>,
}

impl<J, R> Clone for GroupCommit<J, R> {
    fn clone(&self) -> Self {
        Self { write: self.write.clone(), queue: self.queue.clone() }
    }
}

impl<J: Send + 'static, R: Send + 'static> GroupCommit<J, R> {
    /// A writer that writes each batch with `write` (its task starts on the first write, inside
    /// the runtime).
    #[must_use]
    pub fn new(write: WriteAll<J, R>) -> Self {
        Self { write, queue: Arc::default() }
    }

    fn queue(&self) -> &mpsc::Sender<Job<J, R>> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(1024);
            let write = self.write.clone();
            let rx = Arc::new(Mutex::new(rx));
            tokio::spawn(async move {
                loop {
                    // Each batch in a task of its own: one that panics leaves the callers it had
                    // not answered told their outcome is unknown (its open transaction rolls
                    // back), and the next goes on.
                    match tokio::spawn(batch(write.clone(), rx.clone())).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            tracing::error!(error = %e, "a group commit panicked; its unanswered writes were told so")
                        }
                    }
                }
            });
            tx
        })
    }

    /// Runs `work` in the next batch and waits until the batch is written.
    ///
    /// # Errors
    /// The write's own error, or the batch failing as a whole.
    pub async fn run(&self, work: J) -> Result<R> {
        let (done, answer) = oneshot::channel();
        self.queue()
            .send((work, Answer(done)))
            .await
            .map_err(|_| Error::Unexpected("the group-commit writer has stopped".into()))?;
        answer.await.map_err(|_| {
            Error::Unexpected(
                "a group commit failed before this write's outcome was known; it may have been written".into(),
            )
        })?
    }
}

/// Takes the writes waiting (at least one), writes them, answers each. False when no more
/// writes can come.
async fn batch<J, R>(write: WriteAll<J, R>, queue: Arc<Mutex<mpsc::Receiver<Job<J, R>>>>) -> bool {
    let mut queue = queue.lock().await;
    let Some(first) = queue.recv().await else { return false };
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    drop(queue);
    write(jobs).await;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_waiting_together_are_written_in_one_call_and_each_gets_its_own_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let group: GroupCommit<u32, u32> = GroupCommit::new(Arc::new(move |batch: Vec<(u32, Answer<u32>)>| {
            counted.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(40)).await;
                for (n, answer) in batch {
                    assert!(n != 999, "a write function with a bug");
                    answer.send(if n % 10 == 3 { Err(Error::Unexpected(format!("{n} refused"))) } else { Ok(n * 2) });
                }
            })
        }));
        // The first write is alone in its batch; the 39 that come while it is written wait
        // and are written together after it.
        let first = {
            let group = group.clone();
            tokio::spawn(async move { group.run(0).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let runs: Vec<_> = (1..40)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move { group.run(n).await })
            })
            .collect();
        assert_eq!(first.await.expect("task").expect("write 0"), 0);
        for (n, run) in (1..40).zip(runs) {
            match run.await.expect("task") {
                Ok(v) => assert_eq!(v, n * 2, "write {n} got its own answer"),
                Err(e) => assert_eq!(n % 10, 3, "only the refused writes fail, each with its own error: {e}"),
            }
        }
        let batches = calls.load(Ordering::SeqCst);
        assert!(batches <= 3, "the writes that waited were written together ({batches} calls for 40 writes)");
        // A write function that panics leaves its unanswered callers told the outcome is unknown,
        // and the writer goes on.
        let panicked = group.run(999).await.expect_err("its batch panicked");
        assert!(panicked.to_string().contains("may have been written"), "{panicked}");
        assert_eq!(group.run(21).await.expect("after the panic"), 42);
    }
}
