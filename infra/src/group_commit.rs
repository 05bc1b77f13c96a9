//! Group commit for SQLite: writes that arrive together commit in one transaction, so that one
//! `fsync` makes many of them durable (the pattern PostgreSQL's `commit_delay` uses). One
//! task takes the writes waiting for it, runs each in a savepoint of its own (a write that
//! fails rolls back alone and gets its error), commits the batch, and only then answers each
//! caller: what a caller is told was written has been synced to disk.
//!
//! SQLite writes one transaction at a time anyway; without this, each of them pays its own
//! sync. PostgreSQL flushes concurrent commits together by itself and does not use this.

use crate::db::begin_write;
use crate::error::{Error, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

/// The most writes one transaction takes.
const MAX_BATCH: usize = 64;

/// A write to run inside the batch's transaction (in a savepoint of its own).
pub type Work =
    Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 't>> + Send>;

struct Job {
    work: Work,
    done: oneshot::Sender<Result<()>>,
}

/// The writer: cheap to clone; its task starts with the first write.
#[derive(Clone)]
pub struct GroupCommit {
    db: DatabaseConnection,
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl GroupCommit {
    /// A writer over `db` (its task starts on the first write, inside the runtime).
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, queue: Arc::default() }
    }

    fn queue(&self) -> &mpsc::Sender<Job> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(1024);
            let db = self.db.clone();
            let rx = Arc::new(Mutex::new(rx));
            tokio::spawn(async move {
                loop {
                    // Each batch in a task of its own: one that panics fails its callers (their
                    // answers are dropped, its transaction rolls back) and the next goes on.
                    match tokio::spawn(batch(db.clone(), rx.clone())).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => tracing::error!(error = %e, "a group commit failed; its writes were rolled back"),
                    }
                }
            });
            tx
        })
    }

    /// Runs `work` in the next batch and waits until the batch is committed.
    ///
    /// # Errors
    /// The work's own error (it rolled back alone), or the batch's commit failing (nothing of
    /// it was written).
    pub async fn run(&self, work: Work) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.queue()
            .send(Job { work, done })
            .await
            .map_err(|_| Error::Unexpected("the group-commit writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Unexpected("a group commit failed; nothing of it was written".into()))?
    }
}

/// Takes the writes waiting (at least one), runs each in a savepoint, commits, answers. False
/// when no more writes can come.
async fn batch(db: DatabaseConnection, queue: Arc<Mutex<mpsc::Receiver<Job>>>) -> bool {
    let mut queue = queue.lock().await;
    let Some(first) = queue.recv().await else { return false };
    let txn = match begin_write(&db).await {
        Ok(t) => t,
        Err(e) => {
            let _ = first.done.send(Err(e.into()));
            return true;
        }
    };
    let mut written: Vec<oneshot::Sender<Result<()>>> = Vec::new();
    let mut next = Some(first);
    let mut taken = 0;
    while let Some(job) = next.take() {
        taken += 1;
        match savepoint(&txn, job.work).await {
            Step::Written => written.push(job.done),
            Step::Refused(e) => {
                let _ = job.done.send(Err(e));
            }
            // The transaction itself is gone (SQLite rolls a whole transaction back on some
            // errors: a full disk, an I/O error): nothing of the batch may be trusted, so
            // nothing of it is kept and every caller is told.
            Step::Broken(e) => {
                tracing::error!(error = %e, writes = written.len() + 1, "a group commit broke; nothing of it was written");
                let _ = txn.rollback().await;
                let _ = job.done.send(Err(Error::Database(DbErr::Custom(format!("group commit: {e}")))));
                for done in written {
                    let _ = done.send(Err(Error::Database(DbErr::Custom(format!("group commit: {e}")))));
                }
                return true;
            }
        }
        // Whatever arrived meanwhile joins this commit.
        if taken < MAX_BATCH {
            next = queue.try_recv().ok();
        }
    }
    drop(queue);
    match txn.commit().await {
        Ok(()) => {
            for done in written {
                let _ = done.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, writes = written.len(), "a group commit failed; nothing of it was written");
            for done in written {
                let _ = done.send(Err(Error::Database(DbErr::Custom(format!("group commit: {e}")))));
            }
        }
    }
    true
}

/// What came of one write.
enum Step {
    /// Written (its savepoint released), to be committed with the batch.
    Written,
    /// Refused, and rolled back to its savepoint: the batch goes on without it.
    Refused(Error),
    /// The savepoint could not be released or rolled back: the batch's transaction is broken.
    Broken(DbErr),
}

/// Runs one write between a savepoint of its own and its release, or its rollback when the
/// write fails or panics. The savepoint is named here, on the batch's own transaction, so the
/// driver's count of nested transactions never changes.
async fn savepoint(txn: &DatabaseTransaction, work: Work) -> Step {
    if let Err(e) = txn.execute_unprepared("SAVEPOINT filing").await {
        return Step::Broken(e);
    }
    let outcome = CatchUnwind(work(txn)).await;
    let (end, result): (&[&str], _) = match outcome {
        Ok(Ok(())) => (&["RELEASE filing"], Ok(())),
        Ok(Err(e)) => (&["ROLLBACK TO filing", "RELEASE filing"], Err(e)),
        Err(()) => (&["ROLLBACK TO filing", "RELEASE filing"], Err(Error::Unexpected("a write panicked".into()))),
    };
    for sql in end {
        if let Err(e) = txn.execute_unprepared(sql).await {
            return Step::Broken(e);
        }
    }
    match result {
        Ok(()) => Step::Written,
        Err(e) => Step::Refused(e),
    }
}

/// A write's future, with a panic in it caught and reported as `Err(())`: one write's bug fails
/// that write, not the others of its batch.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(std::task::Poll::Ready(out)) => std::task::Poll::Ready(Ok(out)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(n: i64, fail: bool) -> Work {
        Box::new(move |txn| {
            Box::pin(async move {
                txn.execute_unprepared(&format!("INSERT INTO t (n) VALUES ({n})")).await?;
                if n == 7 {
                    panic!("write 7 has a bug");
                }
                if fail {
                    return Err(Error::Unexpected(format!("write {n} refused")));
                }
                Ok(())
            })
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_commit_together_and_a_failed_one_rolls_back_alone() {
        let path = std::env::temp_dir().join(format!("lj_group_commit_{}.db", uuid::Uuid::new_v4().simple()));
        let db = crate::db::connect(&format!("sqlite://{}", path.display()), 4).await.expect("database");
        db.execute_unprepared("CREATE TABLE t (n INTEGER PRIMARY KEY)").await.expect("table");
        let group = GroupCommit::new(db.clone());
        let runs: Vec<_> = (0..40)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move { group.run(insert(n, n % 10 == 3)).await })
            })
            .collect();
        let mut refused = Vec::new();
        for (n, run) in runs.into_iter().enumerate() {
            if run.await.expect("task").is_err() {
                refused.push(n);
            }
        }
        assert_eq!(refused, [3, 7, 13, 23, 33], "each failed (or panicking) write gets its own error, and only those");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS c, sum(n) AS s FROM t",
            ))
            .await
            .expect("count")
            .expect("row");
        let (count, sum): (i64, i64) = (row.try_get("", "c").expect("c"), row.try_get("", "s").expect("s"));
        assert_eq!(count, 35, "every other write is committed");
        assert_eq!(sum, (0..40).sum::<i64>() - (3 + 7 + 13 + 23 + 33), "and the failed ones are not");
        // The same key twice: the second fails at the database, alone, and the next batch goes on.
        assert!(group.run(insert(1, false)).await.is_err());
        assert!(group.run(insert(100, false)).await.is_ok());
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
