//! A process's CPU time from `/proc/<pid>/stat`. The load generator shares the cores with the
//! server, so requests per second mix both; the server's own CPU time per request does not.

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

/// Reads one process's CPU time.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pid: u32,
    ticks_per_second: f64,
}

impl Probe {
    pub fn new(pid: u32, ticks_per_second: f64) -> Self {
        Probe { pid, ticks_per_second }
    }

    /// User plus system time (`utime` + `stime`, fields 14 and 15) the process and all its
    /// threads have used so far, in seconds; `None` once it is gone.
    pub fn seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Field 2, the command name, is in parentheses and may hold spaces: count from after it,
        // where field 3 comes first, so field 14 is the twelfth.
        let (_, rest) = stat.rsplit_once(')')?;
        let mut fields = rest.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some((utime + stime) as f64 / self.ticks_per_second)
    }
}
