//! CPU time from `/proc`. The load generator shares the cores with the server (and with a local
//! PostgreSQL), so requests per second mix them all; CPU time per request, process by process,
//! does not.

use std::process::Command;

/// Clock ticks per second, the unit of `/proc/<pid>/stat`'s times: `getconf CLK_TCK`, else
/// Linux's usual 100.
pub fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Whose CPU time a probe reads.
#[derive(Debug, Clone, Copy)]
enum Whose {
    /// One process and all its threads.
    Process(u32),
    /// Every process of this command name (`postgres`: the postmaster, its backends and its
    /// background writers), as many as run when it is read.
    Named(&'static str),
}

/// Reads the CPU time of one process, or of every process of one name.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    whose: Whose,
    ticks_per_second: f64,
}

/// What a scenario reads at both ends of its measured window: the server, and the database
/// server's processes when the database is a local PostgreSQL (SQLite runs inside the server).
#[derive(Debug, Clone, Copy)]
pub struct Probes {
    pub server: Probe,
    pub database: Option<Probe>,
}

impl Probe {
    pub fn process(pid: u32, ticks_per_second: f64) -> Self {
        Probe { whose: Whose::Process(pid), ticks_per_second }
    }

    /// Every process called `name`. A backend that exits inside the window takes its time with
    /// it; the server's pool keeps its connections open, so its backends stay.
    pub fn named(name: &'static str, ticks_per_second: f64) -> Self {
        Probe { whose: Whose::Named(name), ticks_per_second }
    }

    /// User plus system time used so far, in seconds; `None` once the process is gone.
    pub fn seconds(&self) -> Option<f64> {
        let ticks = match self.whose {
            Whose::Process(pid) => ticks_of(pid, None)?,
            Whose::Named(name) => std::fs::read_dir("/proc")
                .ok()?
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| ticks_of(pid, Some(name)))
                .sum(),
        };
        Some(ticks as f64 / self.ticks_per_second)
    }
}

/// `utime` + `stime` (fields 14 and 15 of `/proc/<pid>/stat`) of a process and all its
/// threads, if it runs (and is called `name`, when one is given).
fn ticks_of(pid: u32, name: Option<&str>) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2, the command name, is in parentheses and may hold spaces: count from after it,
    // where field 3 comes first, so field 14 is the twelfth.
    let (head, rest) = stat.rsplit_once(')')?;
    if let Some(name) = name {
        let (_, comm) = head.split_once('(')?;
        if comm != name {
            return None;
        }
    }
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}
