//! How `lifeline serve` stamps its log lines: to the minute, like everything else the relay
//! keeps. A log line per event with a microsecond stamp would time each session's steps far
//! more precisely than the store does (Unix minutes); the journal or container runtime may
//! add its own stamp, which is the operator's to configure (README, "Logs").
//!
//! Must never write a time finer than the minute.

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::clock::Clock;

/// `2026-11-30T03:14Z`: UTC, to the minute, read from the relay's [`Clock`] (so a test that
/// lives a month in seconds sees its log stamps move with it).
#[derive(Debug, Clone, Default)]
pub struct MinuteTime {
    clock: Clock,
}

impl MinuteTime {
    /// A timer reading `clock` (production: [`Clock::system`]).
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }
}

impl FormatTime for MinuteTime {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", minute_stamp(self.clock.unix_s()))
    }
}

/// The UTC minute of `unix_s`, as `YYYY-MM-DDTHH:MMZ`.
pub fn minute_stamp(unix_s: u64) -> String {
    let days = (unix_s / 86_400) as i64;
    let minute_of_day = (unix_s % 86_400) / 60;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}Z",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`): no date library for one line of a log.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_the_utc_minute() {
        assert_eq!(minute_stamp(0), "1970-01-01T00:00Z");
        // 2026-11-30T03:14:59Z: the seconds are dropped, not rounded up.
        assert_eq!(minute_stamp(1_796_008_499), "2026-11-30T03:14Z");
        // A leap day and a year's last minute.
        assert_eq!(minute_stamp(951_782_400), "2000-02-29T00:00Z");
        assert_eq!(minute_stamp(1_735_689_599), "2024-12-31T23:59Z");
    }

    #[test]
    fn the_stamp_follows_the_clock_it_was_given() {
        let clock = Clock::manual(1_796_008_499);
        let timer = MinuteTime::new(clock.clone());
        let mut line = String::new();
        timer
            .format_time(&mut Writer::new(&mut line))
            .expect("writes to a string");
        assert_eq!(line, "2026-11-30T03:14Z");
        clock.advance(std::time::Duration::from_secs(40 * 86_400));
        line.clear();
        timer
            .format_time(&mut Writer::new(&mut line))
            .expect("writes to a string");
        assert_eq!(line, "2027-01-09T03:14Z");
    }
}
