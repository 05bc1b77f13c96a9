//! Time. The service reads "now" through [`Clock`] so that tests can move time instead of
//! sleeping; "today" is the calendar date in China Standard Time (UTC+8, no daylight saving),
//! because contracts, terms and posts are dated the way the county writes them.

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};

/// The source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China Standard Time.
    fn today(&self) -> NaiveDate {
        local_date(self.now())
    }
}

/// An instant to the microsecond, as PostgreSQL keeps it (SQLite would keep nanoseconds): the
/// clocks and the instants clients send are cut to it, so an answer built from what was just
/// written says what a later read of it will say, on either database.
#[must_use]
pub fn stored(at: DateTime<Utc>) -> DateTime<Utc> {
    // Within the second, so it holds for every instant chrono represents (`duration_trunc`
    // gives up outside 1677 to 2262).
    at.with_nanosecond(at.nanosecond() / 1000 * 1000).unwrap_or(at)
}

/// UTC+8, the offset used for every calendar date in the service.
pub const CHINA_STANDARD_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The China Standard Time calendar date of an instant.
#[must_use]
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&CHINA_STANDARD_TIME).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_instant_is_kept_to_the_microsecond() {
        let nanos = chrono::TimeDelta::nanoseconds;
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).single().expect("valid") + nanos(1_234_567);
        assert_eq!(stored(at).timestamp_subsec_nanos(), 1_234_000);
        assert_eq!(stored(stored(at)), stored(at));
        let far = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single().expect("valid") + nanos(999_999_999);
        assert_eq!(stored(far).timestamp_subsec_nanos(), 999_999_000, "beyond 2262 too");
    }

    #[test]
    fn late_evening_utc_is_the_next_day_in_china() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).single().expect("valid");
        assert_eq!(local_date(at), NaiveDate::from_ymd_opt(2026, 3, 2).expect("valid"));
    }
}
