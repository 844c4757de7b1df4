//! Time zone names, checked against the IANA database compiled into the library, so a name is
//! valid (and a schedule's transitions fall) the same way on every machine.

use super::super::reader::did_you_mean;
use jiff::tz::TimeZone;
use std::sync::OnceLock;

/// A time zone of the bundled IANA database, by its exact name (`Europe/Berlin`).
#[derive(Debug, Clone)]
pub struct TimeZoneName {
    name: String,
    zone: TimeZone,
}

impl PartialEq for TimeZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZoneName {}

/// Every zone name a schedule accepts, sorted: the bundled database's names, without jiff's
/// placeholder for an unknown zone.
pub fn time_zone_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| name != "Etc/Unknown")
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

impl TimeZoneName {
    /// The zone named exactly `name`; otherwise why not, with the closest name when one is
    /// near (a wrong case, a typo).
    pub fn find(name: &str) -> Result<TimeZoneName, String> {
        let names = time_zone_names();
        if names
            .binary_search_by(|known| known.as_str().cmp(name))
            .is_ok()
        {
            let zone = jiff::tz::db()
                .get(name)
                .map_err(|error| format!("time zone {name:?} cannot be loaded: {error}"))?;
            return Ok(TimeZoneName {
                name: name.to_owned(),
                zone,
            });
        }
        if let Some(exact) = names.iter().find(|known| known.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "unknown time zone {name:?}: names are case-sensitive; did you mean {exact:?}?"
            ));
        }
        let known: Vec<&str> = names.iter().map(String::as_str).collect();
        Err(match did_you_mean(name, &known) {
            Some(near) => format!("unknown time zone {name:?}; did you mean {near:?}?"),
            None => format!(
                "unknown time zone {name:?}: give an IANA time zone name such as \
                 \"Europe/Berlin\" or \"America/New_York\" (an offset such as \"+02:00\" is not \
                 a zone)"
            ),
        })
    }

    /// The name, as EventBridge Scheduler's `ScheduleExpressionTimezone` takes it.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The zone's rules.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl std::fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_exact_and_mistakes_get_a_hint() {
        assert_eq!(
            TimeZoneName::find("Europe/Berlin").map(|z| z.to_string()),
            Ok("Europe/Berlin".to_owned())
        );
        assert!(TimeZoneName::find("UTC").is_ok());
        let wrong_case = TimeZoneName::find("europe/berlin").expect_err("case");
        assert!(
            wrong_case.contains("did you mean \"Europe/Berlin\""),
            "{wrong_case}"
        );
        let typo = TimeZoneName::find("Europe/Berln").expect_err("typo");
        assert!(typo.contains("did you mean \"Europe/Berlin\""), "{typo}");
        let offset = TimeZoneName::find("+02:00").expect_err("offset");
        assert!(offset.contains("is not a zone"), "{offset}");
        assert!(TimeZoneName::find("Etc/Unknown").is_err());
    }

    #[test]
    fn the_bundled_database_has_the_zones_of_every_region() {
        let names = time_zone_names();
        assert!(names.len() > 300, "{}", names.len());
        for name in [
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
            "Etc/UTC",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}");
        }
    }
}
