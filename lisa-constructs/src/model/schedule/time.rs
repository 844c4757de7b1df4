//! Times of day and days of the week as a schedule writes them (`"08:30"`, `"monday"`) and as
//! EventBridge Scheduler's cron expressions name them (`30 8`, `MON`).

use serde::{Serialize, Serializer};
use std::fmt;

/// A wall-clock time in whole minutes, 00:00 to 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    minutes: u16,
}

impl TimeOfDay {
    /// `hour:minute`, or `None` past 23:59.
    pub fn new(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then(|| TimeOfDay {
            minutes: u16::from(hour) * 60 + u16::from(minute),
        })
    }

    /// Reads `HH:MM` exactly: two digits each, 24-hour clock (`8:00`, `08:00:00` and `24:00`
    /// are refused, as the JSON Schema's pattern refuses them).
    pub fn parse(text: &str) -> Option<TimeOfDay> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return None;
        }
        let two_digits = |pair: &[u8]| -> Option<u8> {
            match pair {
                [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => {
                    Some((tens - b'0') * 10 + (ones - b'0'))
                }
                _ => None,
            }
        };
        TimeOfDay::new(two_digits(&bytes[..2])?, two_digits(&bytes[3..])?)
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u8 {
        // At most 23 by construction.
        u8::try_from(self.minutes / 60).unwrap_or(23)
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u8 {
        u8::try_from(self.minutes % 60).unwrap_or(59)
    }

    /// As a civil time of the tz library.
    pub(crate) fn to_civil(self) -> jiff::civil::Time {
        let (hour, minute) = (self.hour(), self.minute());
        // Cannot fail: the hour is below 24 and the minute below 60 by construction.
        jiff::civil::Time::new(
            i8::try_from(hour).unwrap_or(0),
            i8::try_from(minute).unwrap_or(0),
            0,
            0,
        )
        .unwrap_or(jiff::civil::Time::midnight())
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Every day, Monday first (the order of the JSON and of the cron day lists).
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// The JSON field names, Monday first.
    pub(crate) const NAMES: [&'static str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];

    /// The JSON field name: `monday` ... `sunday`.
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self.index()]
    }

    /// EventBridge Scheduler's name in a cron expression's day-of-week field: `MON` ... `SUN`.
    pub fn cron_name(self) -> &'static str {
        ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][self.index()]
    }

    /// 0 for Monday to 6 for Sunday.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The day after (Monday after Sunday).
    pub fn next(self) -> Weekday {
        Self::ALL[(self.index() + 1) % 7]
    }

    /// The day before (Sunday before Monday).
    pub fn previous(self) -> Weekday {
        Self::ALL[(self.index() + 6) % 7]
    }

    /// The day of a civil date.
    pub(crate) fn of(date: jiff::civil::Date) -> Weekday {
        let monday_zero = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        Self::ALL[monday_zero % 7]
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_two_digit_hours_and_minutes() {
        assert_eq!(TimeOfDay::parse("00:00"), TimeOfDay::new(0, 0));
        assert_eq!(TimeOfDay::parse("23:59"), TimeOfDay::new(23, 59));
        assert_eq!(
            TimeOfDay::parse("07:05").map(|t| t.to_string()),
            Some("07:05".into())
        );
        for bad in [
            "24:00", "7:05", "07:5", "07:60", "07-05", "07:05:00", "", "ab:cd", "+1:00",
        ] {
            assert_eq!(TimeOfDay::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_follow_each_other_round_the_week() {
        assert_eq!(Weekday::Sunday.next(), Weekday::Monday);
        assert_eq!(Weekday::Monday.previous(), Weekday::Sunday);
        let date = jiff::civil::date(2026, 3, 29);
        assert_eq!(Weekday::of(date), Weekday::Sunday);
    }
}
