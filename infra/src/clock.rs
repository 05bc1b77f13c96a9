//! Clocks: the system clock for the service, and a clock tests can move. Both tell time to
//! the microsecond ([`domain::clock::stored`]).

use chrono::{DateTime, Duration, Utc};
use domain::clock::{stored, Clock};
use std::sync::Mutex;

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        stored(Utc::now())
    }
}

/// Real time plus an offset that tests can advance, so "a term that has run out" or
/// "15 minutes later" can be tested without sleeping.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset += by;
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        stored(Utc::now() + offset)
    }
}
