//! What the function trusts, from its own environment: the deployment the bootstrap stack pins
//! (`LISA_DEPLOYMENT_NAME`) and how long a transition waits for a busy model
//! (`LISA_SCHEDULE_RETRY_SECONDS`, optional). An event only names a model; whose model it is
//! comes from here.

use std::time::{Duration, Instant};

use lisa_constructs::bootstrap::lifecycle::{
    DEFAULT_RETRY_SECONDS, ENV_RETRY_SECONDS, TIMEOUT_SECONDS,
};
use lisa_constructs::ecs_model::registration::function::ENV_DEPLOYMENT_NAME;
use lisa_deploy::ScheduleRetry;

/// Kept free before the invocation's deadline after the last wait for a busy model or the last
/// look at a started transition: the stop or start itself (a change set and a registry write)
/// and recording its outcome.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(60);

/// The function's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The deployment whose models the function stops and starts.
    pub deployment_name: String,
    /// The longest a transition keeps trying a busy model before it records a skip.
    pub retry_within: Duration,
}

/// Why the function's configuration cannot be used; every event is refused with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is missing or empty.
    #[error(
        "the lifecycle function is not configured: {variable} is not set; deploy it with `lisa-ops bootstrap --lifecycle-zip`, whose stack pins the deployment in the function's environment"
    )]
    Missing {
        /// The variable.
        variable: &'static str,
    },
    /// A variable holds a value the function cannot use.
    #[error("the lifecycle function is misconfigured: {variable} is {value:?}; {expected}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        expected: String,
    },
}

impl Settings {
    /// Reads the process environment; see [`Settings::read`].
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::read(|variable| std::env::var(variable).ok())
    }

    /// Reads the settings through `lookup` (a variable's value, if set): the deployment name is
    /// required; the retry window defaults to [`DEFAULT_RETRY_SECONDS`] and is whole seconds up
    /// to the function's timeout. Surrounding white space is ignored; an empty value counts as
    /// unset.
    pub fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let value = |variable: &str| {
            lookup(variable)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let deployment_name = value(ENV_DEPLOYMENT_NAME).ok_or(SettingsError::Missing {
            variable: ENV_DEPLOYMENT_NAME,
        })?;
        let retry_seconds = match value(ENV_RETRY_SECONDS) {
            None => DEFAULT_RETRY_SECONDS,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|seconds| *seconds <= TIMEOUT_SECONDS)
                .ok_or_else(|| SettingsError::Invalid {
                    variable: ENV_RETRY_SECONDS,
                    value: text,
                    expected: format!(
                        "expected whole seconds from 0 to {TIMEOUT_SECONDS} (the function's timeout)"
                    ),
                })?,
        };
        Ok(Settings {
            deployment_name,
            retry_within: Duration::from_secs(retry_seconds.into()),
        })
    }

    /// How a transition invoked now, with `deadline` as the invocation's, retries a busy model
    /// (within the configured window) and follows the stop or start it started to its end, both
    /// cut short so the outcome is recorded [`DEADLINE_MARGIN`] before the deadline.
    pub fn retry(&self, deadline: Instant) -> ScheduleRetry {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN);
        ScheduleRetry::within(self.retry_within.min(left)).settling_within(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::read(|variable| {
            pairs
                .iter()
                .find(|(name, _)| *name == variable)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn the_deployment_is_required_and_the_retry_window_has_a_default() {
        assert_eq!(
            read(&[(ENV_DEPLOYMENT_NAME, " lisa ")]),
            Ok(Settings {
                deployment_name: "lisa".into(),
                retry_within: Duration::from_secs(DEFAULT_RETRY_SECONDS.into()),
            })
        );
        assert_eq!(
            read(&[(ENV_DEPLOYMENT_NAME, "lisa"), (ENV_RETRY_SECONDS, "120")])
                .map(|s| s.retry_within),
            Ok(Duration::from_secs(120))
        );
        assert_eq!(
            read(&[(ENV_DEPLOYMENT_NAME, "lisa"), (ENV_RETRY_SECONDS, "")]).map(|s| s.retry_within),
            Ok(Duration::from_secs(DEFAULT_RETRY_SECONDS.into()))
        );
        for missing in [&[][..], &[(ENV_DEPLOYMENT_NAME, "  ")][..]] {
            let error = read(missing).expect_err("no deployment");
            assert_eq!(
                error,
                SettingsError::Missing {
                    variable: ENV_DEPLOYMENT_NAME
                }
            );
            let message = error.to_string();
            assert!(
                message.contains("LISA_DEPLOYMENT_NAME is not set"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_retry_window_that_is_not_whole_seconds_within_the_timeout_is_refused() {
        for bad in ["ten", "-1", "1.5", "901", "99999999999"] {
            let error = read(&[(ENV_DEPLOYMENT_NAME, "lisa"), (ENV_RETRY_SECONDS, bad)])
                .expect_err(bad)
                .to_string();
            assert!(
                error.contains(ENV_RETRY_SECONDS) && error.contains(&format!("{bad:?}")),
                "{error}"
            );
        }
        assert!(read(&[(ENV_DEPLOYMENT_NAME, "lisa"), (ENV_RETRY_SECONDS, "0")]).is_ok());
        assert!(read(&[(ENV_DEPLOYMENT_NAME, "lisa"), (ENV_RETRY_SECONDS, "900")]).is_ok());
    }

    #[test]
    fn the_retry_window_ends_before_the_invocations_deadline() {
        let settings = Settings {
            deployment_name: "lisa".into(),
            retry_within: Duration::from_secs(600),
        };
        let far = Instant::now() + Duration::from_secs(900);
        assert_eq!(settings.retry(far).within, Duration::from_secs(600));
        let settle = settings.retry(far).settle_within;
        assert!(
            settle <= Duration::from_secs(840) && settle > Duration::from_secs(830),
            "{settle:?}"
        );
        let near = Instant::now() + Duration::from_secs(200);
        let within = settings.retry(near).within;
        assert!(
            within <= Duration::from_secs(140) && within > Duration::from_secs(130),
            "{within:?}"
        );
        assert_eq!(settings.retry(Instant::now()).within, Duration::ZERO);
        assert_eq!(settings.retry(Instant::now()).settle_within, Duration::ZERO);
    }
}
