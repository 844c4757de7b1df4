//! What the product knows of each inference server beyond its image: the Prometheus metrics it
//! publishes for each scaling signal, and the command-line flags the product sets itself, which
//! `containerConfig.serverArgs` may not set again.
//!
//! Metric names are the servers' own: vLLM's `/metrics` (`vllm:num_requests_waiting`,
//! `vllm:num_requests_running`, `vllm:kv_cache_usage_perc`, named `vllm:gpu_cache_usage_perc`
//! before vLLM 0.10), TGI's (`tgi_queue_size`, `tgi_batch_current_size`) and TEI's
//! (`te_queue_size`, `te_batch_current_size`).

use super::bounds;
use super::enums::{InferenceContainer, ServerMetricName};

/// vLLM's KV-cache metric under the name vLLM releases before 0.10 give it; the metrics agent
/// renames it, so one name serves every release.
pub const VLLM_KV_CACHE_LEGACY_METRIC: &str = "vllm:gpu_cache_usage_perc";

impl InferenceContainer {
    /// The Prometheus metric that carries `signal` on this server, if it has one.
    pub fn metric_of(self, signal: ServerMetricName) -> Option<&'static str> {
        use InferenceContainer::{Tei, Tgi, Vllm};
        use ServerMetricName::{KvCacheUse, QueueDepth, RunningRequests};
        match (self, signal) {
            (Vllm, QueueDepth) => Some("vllm:num_requests_waiting"),
            (Vllm, RunningRequests) => Some("vllm:num_requests_running"),
            (Vllm, KvCacheUse) => Some("vllm:kv_cache_usage_perc"),
            (Tgi, QueueDepth) => Some("tgi_queue_size"),
            (Tgi, RunningRequests) => Some("tgi_batch_current_size"),
            (Tei, QueueDepth) => Some("te_queue_size"),
            (Tei, RunningRequests) => Some("te_batch_current_size"),
            (Tgi | Tei, KvCacheUse) => None,
        }
    }

    /// The signals this server publishes.
    pub fn signals(self) -> impl Iterator<Item = ServerMetricName> {
        ServerMetricName::ALL
            .iter()
            .copied()
            .filter(move |signal| self.metric_of(*signal).is_some())
    }

    /// The flags the product's server command sets, each with the reason it does.
    pub fn reserved_flags(self) -> &'static [ReservedFlag] {
        match self {
            InferenceContainer::Vllm => VLLM_RESERVED,
            InferenceContainer::Tgi => TGI_RESERVED,
            InferenceContainer::Tei => TEI_RESERVED,
        }
    }

    /// Whether the server's command line accepts an unambiguous prefix of a long flag
    /// (`--served-model` for `--served-model-name`) and `_` for `-` in flag names: vLLM's does
    /// (Python's argparse, and vLLM's own parser); TGI's and TEI's (Rust's clap) do not.
    fn lenient_flags(self) -> bool {
        self == InferenceContainer::Vllm
    }
}

/// A flag the product sets on a server's command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedFlag {
    /// The flag, as the command line spells it.
    pub flag: &'static str,
    /// Why the product sets it.
    pub why: &'static str,
}

const fn reserved(flag: &'static str, why: &'static str) -> ReservedFlag {
    ReservedFlag { flag, why }
}

const WEIGHTS: &str = "the weights are copied to /models and served from there";
const LISTEN_ALL: &str = "the server listens on every interface of its container";
const PORT: &str =
    "the load balancer, its health checks and the metrics agent reach the server on port 8080";
const GPUS: &str = "it is the instance type's GPU count";

const VLLM_RESERVED: &[ReservedFlag] = &[
    reserved("--model", WEIGHTS),
    reserved(
        "--served-model-name",
        "it is the definition's modelName, the name LiteLLM asks for",
    ),
    reserved("--host", LISTEN_ALL),
    reserved("--port", PORT),
    reserved("--tensor-parallel-size", GPUS),
    reserved("-tp", GPUS),
    reserved(
        "--max-model-len",
        "set it with the environment's MAX_TOTAL_TOKENS",
    ),
    reserved(
        "--max-num-seqs",
        "set it with the environment's MAX_CONCURRENT_REQUESTS",
    ),
    reserved(
        "--task",
        "it follows modelType (embed for an embedding model)",
    ),
];

const TGI_RESERVED: &[ReservedFlag] = &[
    reserved("--model-id", WEIGHTS),
    reserved("--hostname", LISTEN_ALL),
    reserved("--port", PORT),
    reserved("-p", PORT),
    reserved("--num-shard", GPUS),
];

const TEI_RESERVED: &[ReservedFlag] = &[
    reserved("--model-id", WEIGHTS),
    reserved("--hostname", LISTEN_ALL),
    reserved("--port", PORT),
    reserved("-p", PORT),
];

/// The message of a server argument that sets a reserved flag.
pub(crate) const SETS_A_RESERVED_FLAG: &str = "is set by the product";

/// Checks one server argument for `container`: not empty, no control character, bounded, not a
/// flag the product sets (in any spelling the server accepts) and not a credential.
pub(crate) fn check_server_arg(
    container: Option<InferenceContainer>,
    arg: &str,
) -> Result<(), String> {
    if arg.is_empty() {
        return Err("must not be empty".into());
    }
    if arg.len() > bounds::SERVER_ARG_MAX_BYTES {
        return Err(bounds::too_long(bounds::SERVER_ARG_MAX_BYTES, arg.len()));
    }
    if arg.chars().any(char::is_control) {
        return Err(format!(
            "must not contain control characters (newline, NUL, ...): each array item is one argument, found {arg:?}"
        ));
    }
    let Some(name) = flag_name(arg) else {
        return Ok(());
    };
    if let Some(container) = container {
        let spelled = if container.lenient_flags() {
            name.replace('_', "-")
        } else {
            name.to_owned()
        };
        let hit = container.reserved_flags().iter().find(|reserved| {
            reserved.flag == spelled
                || (container.lenient_flags()
                    && spelled.starts_with("--")
                    && spelled.len() > 3
                    && reserved.flag.starts_with(&spelled))
        });
        if let Some(reserved) = hit {
            return Err(format!(
                "{name} {SETS_A_RESERVED_FLAG} on the {container} command line ({}): remove it",
                reserved.why
            ));
        }
    }
    if super::reader::looks_like_a_credential(&name.trim_start_matches('-').replace('-', "_")) {
        return Err(format!(
            "{name:?} looks like a credential: server arguments are stored in plain text in the \
             task definition and the stack; keep secrets in Secrets Manager"
        ));
    }
    Ok(())
}

/// The flag an argument sets (`--port` of `--port=9000`), or `None` for a value.
fn flag_name(arg: &str) -> Option<&str> {
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    (name.starts_with('-')
        && name.len() > 1
        && !name[1..].starts_with(|c: char| c.is_ascii_digit()))
    .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_container_names_a_metric_for_queue_depth() {
        for container in InferenceContainer::ALL {
            assert!(container.metric_of(ServerMetricName::QueueDepth).is_some());
        }
        assert_eq!(
            InferenceContainer::Tgi.signals().collect::<Vec<_>>(),
            [
                ServerMetricName::QueueDepth,
                ServerMetricName::RunningRequests
            ]
        );
    }

    #[test]
    fn reserved_flags_are_refused_in_every_spelling_the_server_takes() {
        let vllm = Some(InferenceContainer::Vllm);
        for arg in [
            "--port",
            "--port=9000",
            "--served_model_name",
            "--served-model",
            "-tp",
        ] {
            let error = check_server_arg(vllm, arg).expect_err(arg);
            assert!(error.contains(SETS_A_RESERVED_FLAG), "{arg}: {error}");
        }
        // clap takes neither prefixes nor underscores: these are unknown flags, not the port.
        assert!(check_server_arg(Some(InferenceContainer::Tgi), "--por").is_ok());
        assert!(check_server_arg(Some(InferenceContainer::Tgi), "-p").is_err());
        for arg in [
            "--enable-auto-tool-choice",
            "--tool-call-parser=hermes",
            "hermes",
            "-1",
            "--max-num-batched-tokens",
            "--p",
        ] {
            assert_eq!(check_server_arg(vllm, arg), Ok(()), "{arg}");
        }
    }

    #[test]
    fn credentials_and_control_characters_are_refused() {
        let vllm = Some(InferenceContainer::Vllm);
        for arg in ["--api-key", "--hf-token=abc"] {
            let error = check_server_arg(vllm, arg).expect_err(arg);
            assert!(error.contains("looks like a credential"), "{error}");
        }
        for arg in ["a\nb", "a\u{0}b", "--x\r"] {
            let error = check_server_arg(vllm, arg).expect_err(arg);
            assert!(error.contains("control characters"), "{error}");
        }
        assert_eq!(
            check_server_arg(vllm, ""),
            Err("must not be empty".to_owned())
        );
    }
}
