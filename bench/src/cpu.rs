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

    /// Every process called `name`, with the CPU time of their children that have exited
    /// (`cutime` + `cstime`): a backend or autovacuum worker that ends inside the window moves its
    /// time into the postmaster's, so it is neither lost nor counted twice.
    pub fn named(name: &'static str, ticks_per_second: f64) -> Self {
        Probe { whose: Whose::Named(name), ticks_per_second }
    }

    /// User plus system time used so far, in seconds; `None` once the process is gone, or when
    /// no process of that name is visible.
    pub fn seconds(&self) -> Option<f64> {
        let ticks = match self.whose {
            Whose::Process(pid) => ticks_of(pid, None)?,
            Whose::Named(name) => {
                let each: Vec<u64> = std::fs::read_dir("/proc")
                    .ok()?
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                    .filter_map(|pid| ticks_of(pid, Some(name)))
                    .collect();
                if each.is_empty() {
                    return None;
                }
                each.into_iter().sum()
            }
        };
        Some(ticks as f64 / self.ticks_per_second)
    }
}

/// A process's CPU time so far, all its threads: `utime` + `stime` (fields 14 and 15 of
/// `/proc/<pid>/stat`); for a process looked up by `name`, also its exited children's,
/// `cutime` + `cstime` (16 and 17). `None` if it does not run (or is called otherwise).
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
    let mut next = || fields.next()?.parse::<u64>().ok();
    let own = next()? + next()?;
    Some(if name.is_some() { own + next()? + next()? } else { own })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin() {
        let began = std::time::Instant::now();
        let mut x = 0u64;
        while began.elapsed() < std::time::Duration::from_millis(100) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        assert_ne!(x, 42);
    }

    #[test]
    fn a_process_and_the_processes_of_its_name_are_read() {
        let ticks = ticks_per_second();
        let me = Probe::process(std::process::id(), ticks);
        let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc");
        let comm = stat.split_once('(').and_then(|(_, r)| r.rsplit_once(')')).map(|(c, _)| c.to_owned()).expect("comm");
        let mine = Probe::named(Box::leak(comm.into_boxed_str()), ticks);
        let (before, before_named) = (me.seconds().expect("own stat"), mine.seconds().expect("own name"));
        spin();
        let (after, after_named) = (me.seconds().expect("own stat"), mine.seconds().expect("own name"));
        assert!(after > before, "100 ms of spinning shows: {before} -> {after}");
        assert!(after_named >= after, "the name's sum holds this process: {after_named} < {after}");
        assert!(after_named > before_named);
        assert_eq!(Probe::named("no-such-process", ticks).seconds(), None, "nothing of that name: no figure");
    }
}
