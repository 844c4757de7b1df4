//! The seed's server settings, translated for each inference server.
//!
//! The seed names its token and concurrency limits the way TGI's launcher reads them from the
//! environment. TGI (and TEI, for `MAX_CONCURRENT_REQUESTS`) read them there as they are; vLLM
//! ignores them and takes command-line arguments instead, so the server command carries the
//! translation. vLLM has no separate prompt limit: `MAX_INPUT_LENGTH` stays for TGI alone.

use std::collections::BTreeMap;

/// The port every inference server listens on.
pub const SERVER_PORT: u16 = 8080;

/// The most tokens (prompt and completion) of one request. vLLM: `--max-model-len`.
pub const MAX_TOTAL_TOKENS: &str = "MAX_TOTAL_TOKENS";
/// The most requests served at once. vLLM: `--max-num-seqs`.
pub const MAX_CONCURRENT_REQUESTS: &str = "MAX_CONCURRENT_REQUESTS";
/// The longest prompt in tokens (TGI only).
pub const MAX_INPUT_LENGTH: &str = "MAX_INPUT_LENGTH";

/// vLLM's arguments for the seed's settings; `None` leaves vLLM's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VllmLimits {
    /// `--max-model-len`, from [`MAX_TOTAL_TOKENS`].
    pub max_model_len: Option<u32>,
    /// `--max-num-seqs`, from [`MAX_CONCURRENT_REQUESTS`].
    pub max_num_seqs: Option<u32>,
}

impl VllmLimits {
    /// Reads the limits from a container environment. A value that is not a positive whole
    /// number is left out of the command (vLLM would refuse to start with it).
    pub fn from_environment(environment: &BTreeMap<String, String>) -> VllmLimits {
        let number = |name: &str| {
            environment
                .get(name)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|n| *n > 0)
        };
        VllmLimits {
            max_model_len: number(MAX_TOTAL_TOKENS),
            max_num_seqs: number(MAX_CONCURRENT_REQUESTS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tgi_names_map_to_vllm_arguments() {
        let environment: BTreeMap<String, String> = [
            (MAX_TOTAL_TOKENS, "2048"),
            (MAX_CONCURRENT_REQUESTS, "128"),
            (MAX_INPUT_LENGTH, "1024"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            VllmLimits::from_environment(&environment),
            VllmLimits {
                max_model_len: Some(2048),
                max_num_seqs: Some(128)
            }
        );
    }

    #[test]
    fn missing_or_malformed_values_leave_the_defaults() {
        let environment: BTreeMap<String, String> = [(MAX_TOTAL_TOKENS, "lots"), ("OTHER", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(
            VllmLimits::from_environment(&environment),
            VllmLimits::default()
        );
    }
}
