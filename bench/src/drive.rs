//! The load generator: `connections` tasks, each with its own keep-alive connection, repeat
//! one operation for a fixed time after a short warm-up; latencies are kept whole and sorted,
//! and the server's CPU time is read at both ends of the measured window.

use crate::cpu::Probes;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One operation: whether it succeeded, or `None` when there is no work left for it.
pub type Op =
    Arc<dyn Fn(reqwest::Client, usize, u64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send>> + Send + Sync>;

/// What a run measured.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Operations completed in the measured window.
    pub ops: u64,
    /// Operations that failed.
    pub errors: u64,
    /// Operations per second.
    pub per_second: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// The server's CPU time (user + system) in the measured window per operation,
    /// microseconds; `None` when it could not be read or nothing completed.
    pub cpu_us_per_op: Option<f64>,
    /// The same for the database server's processes (a local PostgreSQL); `None` for SQLite,
    /// whose work is inside the server's.
    pub db_cpu_us_per_op: Option<f64>,
}

/// Runs `op` on `connections` connections: `warmup`, then `duration` measured, reading the CPU
/// time of the server (and the database) when the measured window opens and when it closes.
pub async fn run(connections: usize, warmup: Duration, duration: Duration, op: Op, probes: Probes) -> Stats {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    // The window's operations are those that begin in it, as the latencies below count them.
    let cpu = tokio::spawn(async move {
        let read = || [Some(probes.server), probes.database].map(|p| p.and_then(|p| p.seconds()));
        tokio::time::sleep_until(tokio::time::Instant::from_std(measure_from)).await;
        let before = read();
        tokio::time::sleep_until(tokio::time::Instant::from_std(end)).await;
        let after = read();
        [0, 1].map(|i| after[i].zip(before[i]).map(|(a, b)| a - b))
    });
    let mut tasks = Vec::new();
    for conn in 0..connections {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            // One request per operation: a redirect (the portal's answer to a session it does
            // not know is a 303 to its sign-in page) is an error, not a second request.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default();
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors = 0u64;
            let mut i = 0u64;
            loop {
                let began = Instant::now();
                if began >= end {
                    break;
                }
                let Some(ok) = op(client.clone(), conn, i).await else { break };
                i += 1;
                if began >= measure_from {
                    latencies.push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if !ok {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    all.sort_unstable();
    let pick = |q: f64| {
        if all.is_empty() {
            return 0.0;
        }
        let idx = ((all.len() as f64 - 1.0) * q).round() as usize;
        f64::from(all[idx.min(all.len() - 1)]) / 1000.0
    };
    let ops = all.len() as u64;
    let [server_seconds, db_seconds] = cpu.await.unwrap_or([None, None]);
    let per_op = |s: Option<f64>| s.filter(|_| ops > 0).map(|s| s * 1e6 / ops as f64);
    Stats {
        ops,
        errors,
        per_second: ops as f64 / duration.as_secs_f64(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        cpu_us_per_op: per_op(server_seconds),
        db_cpu_us_per_op: per_op(db_seconds),
    }
}
