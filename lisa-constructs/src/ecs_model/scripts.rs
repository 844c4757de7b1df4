//! The shell scripts a model's instances and containers run, and the metrics agent's scrape
//! configuration, rendered from the handlebars templates under the workspace's `templates/`
//! folder (compiled into the library).

use handlebars::Handlebars;
use serde::Serialize;
use std::sync::{Mutex, OnceLock, PoisonError};

use super::load_balancer::IDLE_TIMEOUT_SECONDS;
use super::server_settings::SERVER_PORT;
use super::server_settings::VllmLimits;
use crate::model::InferenceContainer;

/// Where instances keep the project's files (the NVMe mount point when the instance has one).
pub const LISA_ROOT: &str = "/opt/lisa";
/// The host folder the weights are copied to.
pub const HOST_WEIGHTS_DIR: &str = "/opt/lisa/models";
/// Where the containers see the weights.
pub const CONTAINER_WEIGHTS_DIR: &str = "/models";
/// How long vLLM keeps an idle connection open: longer than the load balancer's idle timeout, so
/// the load balancer, never the server, closes an idle connection (otherwise a request sent on a
/// connection the server is closing gets a 502). TGI and TEI (hyper servers) have no idle
/// timeout of their own.
pub const SERVER_KEEP_ALIVE_SECONDS: u32 = IDLE_TIMEOUT_SECONDS + 60;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "user-data",
        include_str!("../../../templates/user-data.sh.hbs"),
    ),
    (
        "fetch-weights",
        include_str!("../../../templates/fetch-weights.sh.hbs"),
    ),
    ("vllm", include_str!("../../../templates/vllm.sh.hbs")),
    ("tgi", include_str!("../../../templates/tgi.sh.hbs")),
    ("tei", include_str!("../../../templates/tei.sh.hbs")),
    (
        "prometheus",
        include_str!("../../../templates/prometheus.yml.hbs"),
    ),
];

/// A rendering failure. The templates are compiled in and their inputs typed, so this means a
/// template and the code disagree: the tests render every template to catch it.
#[derive(Debug, thiserror::Error)]
#[error("rendering the {template} template: {source}")]
pub struct RenderError {
    template: &'static str,
    #[source]
    source: Box<handlebars::RenderError>,
}

/// Compiles the script templates now; otherwise the first synthesis does it, and any other
/// thread synthesizing meanwhile waits for it. A program that synthesizes many stacks can call
/// this on a thread of its own while it reads its inputs.
pub fn prepare() {
    registry();
}

fn registry() -> &'static Handlebars<'static> {
    static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, text) in TEMPLATES {
            // A template that does not parse is a build defect; the unit tests render each one.
            if let Err(error) = registry.register_template_string(name, *text) {
                panic!("template {name} does not parse: {error}");
            }
        }
        registry
    })
}

fn render<T: Serialize>(template: &'static str, data: &T) -> Result<String, RenderError> {
    registry()
        .render(template, data)
        .map_err(|source| RenderError {
            template,
            source: Box::new(source),
        })
}

#[derive(Serialize)]
struct UserData<'a> {
    cluster: &'a str,
    gpu: bool,
    local_nvme: bool,
    lisa_root: &'static str,
    weights_dir: &'static str,
}

/// The instance user data, as an `Fn::Sub` template: `cluster_sub` is the `${...}` reference
/// to the cluster's name. Every model on the same kind of instance has the same script, so the
/// last few rendered are kept: a copy costs a small part of a rendering.
pub fn user_data(cluster_sub: &str, gpu: bool, local_nvme: bool) -> Result<String, RenderError> {
    type Inputs = (String, bool, bool);
    /// At most this many scripts are kept (a long-running process sees few kinds of instance).
    const KEPT: usize = 8;
    static RENDERED: Mutex<Vec<(Inputs, String)>> = Mutex::new(Vec::new());
    let rendered = || RENDERED.lock().unwrap_or_else(PoisonError::into_inner);
    let same = |(kept, _): &&(Inputs, String)| {
        kept.0 == cluster_sub && kept.1 == gpu && kept.2 == local_nvme
    };
    if let Some((_, script)) = rendered().iter().find(same) {
        return Ok(script.clone());
    }
    let script = render(
        "user-data",
        &UserData {
            cluster: cluster_sub,
            gpu,
            local_nvme,
            lisa_root: LISA_ROOT,
            weights_dir: HOST_WEIGHTS_DIR,
        },
    )?;
    let mut kept = rendered();
    if !kept.iter().any(|entry| same(&entry)) {
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push(((cluster_sub.to_owned(), gpu, local_nvme), script.clone()));
    }
    Ok(script)
}

#[derive(Serialize)]
struct FetchWeights<'a> {
    bucket: &'a str,
    model_name: &'a str,
    container_weights_dir: &'static str,
}

/// The weights-copy command, as an `Fn::Sub` template: `bucket_sub` is the `${...}` reference to
/// the models bucket's name.
pub fn fetch_weights(bucket_sub: &str, model_name: &str) -> Result<String, RenderError> {
    render(
        "fetch-weights",
        &FetchWeights {
            bucket: bucket_sub,
            model_name,
            container_weights_dir: CONTAINER_WEIGHTS_DIR,
        },
    )
}

#[derive(Serialize)]
struct Server<'a> {
    model_name: &'a str,
    container_weights_dir: &'static str,
    port: u16,
    gpus: u32,
    embedding: bool,
    keep_alive_seconds: u32,
    max_model_len: Option<u32>,
    max_num_seqs: Option<u32>,
    server_args: Vec<String>,
}

/// `arg` as one word of a POSIX shell command: as it is when it holds only characters the
/// shell takes literally, single-quoted otherwise (a `'` inside becomes `'\''`). Validation
/// keeps newlines and NUL out of server arguments, so a quoted word cannot end the command.
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The inference server's start command. `model_name` is the served model name; validation
/// limits hosted model names to `[A-Za-z0-9._/-]`, so it needs no shell quoting. `limits` are the
/// seed's settings translated for vLLM (the other servers read them from the environment);
/// `server_args` (`containerConfig.serverArgs`) follow the product's flags, each one word.
pub fn server_command(
    container: InferenceContainer,
    model_name: &str,
    gpus: u32,
    embedding: bool,
    limits: VllmLimits,
    server_args: &[String],
) -> Result<String, RenderError> {
    let template = match container {
        InferenceContainer::Vllm => "vllm",
        InferenceContainer::Tgi => "tgi",
        InferenceContainer::Tei => "tei",
    };
    let data = Server {
        model_name,
        container_weights_dir: CONTAINER_WEIGHTS_DIR,
        port: SERVER_PORT,
        gpus,
        embedding,
        keep_alive_seconds: SERVER_KEEP_ALIVE_SECONDS,
        max_model_len: limits.max_model_len,
        max_num_seqs: limits.max_num_seqs,
        server_args: server_args.iter().map(|arg| shell_word(arg)).collect(),
    };
    render(template, &data)
}

#[derive(Serialize)]
struct Prometheus<'a> {
    scrape_interval_seconds: u32,
    scrape_timeout_seconds: u32,
    job: &'a str,
    target: &'a str,
    dimension: &'a str,
    renames: Vec<Rename<'a>>,
}

/// A metric the scrape renames (`from` is matched whole).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rename<'a> {
    /// The name the server gives it.
    pub from: &'a str,
    /// The name it is published under.
    pub to: &'a str,
}

/// The Prometheus scrape configuration of one server, as an `Fn::Sub` template: job `job`
/// scrapes `target`'s `/metrics` every `interval_seconds`, labels every series with `dimension`
/// set to the stack's name, and applies `renames`.
pub fn prometheus_config(
    job: &str,
    target: &str,
    interval_seconds: u32,
    dimension: &str,
    renames: &[Rename<'_>],
) -> Result<String, RenderError> {
    render(
        "prometheus",
        &Prometheus {
            scrape_interval_seconds: interval_seconds,
            // A scrape must end before the next one starts.
            scrape_timeout_seconds: interval_seconds.saturating_sub(5).max(1),
            job,
            target,
            dimension,
            renames: renames.to_vec(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_joins_the_cluster_and_blocks_metadata() {
        let script = user_data("${Cluster}", true, true).expect("renders");
        assert!(script.starts_with("#!/bin/bash\n"), "{script}");
        assert!(script.contains("ECS_CLUSTER=${Cluster}\n"));
        assert!(script.contains("ECS_ENABLE_GPU_SUPPORT=true"));
        assert!(script.contains("--destination 169.254.169.254/32 --jump DROP"));
        assert!(script.contains("mount \"UUID=$uuid\" /opt/lisa"));
        // Fn::Sub would read any other ${...} as a reference.
        assert_eq!(script.matches("${").count(), 1, "{script}");
    }

    #[test]
    fn user_data_without_gpu_or_nvme_skips_them() {
        let script = user_data("${Cluster}", false, false).expect("renders");
        assert!(!script.contains("ECS_ENABLE_GPU_SUPPORT"));
        assert!(!script.contains("mkfs"));
    }

    #[test]
    fn fetch_weights_copies_the_model_prefix() {
        let script = fetch_weights("${ModelsBucketName}", "mistralai/Mistral-7B").expect("renders");
        assert!(script.contains("source=\"s3://${ModelsBucketName}/mistralai/Mistral-7B\"\n"));
        assert!(script.contains("aws s3 sync --only-show-errors \"$source\" /models"));
        assert!(script.contains("--exclude 'original/*' \"$source\" /models"));
        // Fn::Sub would read any other ${...} as a reference.
        assert_eq!(script.matches("${").count(), 1, "{script}");
    }

    #[test]
    fn user_data_kept_from_an_earlier_model_is_the_script_of_the_same_inputs() {
        let inputs: Vec<(String, bool, bool)> = (0..20)
            .flat_map(|i| {
                let cluster = format!("${{Cluster{i}}}");
                [(cluster.clone(), true, false), (cluster, false, true)]
            })
            .collect();
        let fresh = |(cluster, gpu, nvme): &(String, bool, bool)| {
            render(
                "user-data",
                &UserData {
                    cluster,
                    gpu: *gpu,
                    local_nvme: *nvme,
                    lisa_root: LISA_ROOT,
                    weights_dir: HOST_WEIGHTS_DIR,
                },
            )
            .expect("renders")
        };
        // Each in turn, then again in another order: kept or evicted, always its own script.
        for round in 0..3 {
            for i in 0..inputs.len() {
                let input = &inputs[(i * 7 + round) % inputs.len()];
                let script = user_data(&input.0, input.1, input.2).expect("renders");
                assert_eq!(script, fresh(input), "{input:?}");
                assert!(
                    script.contains(&format!("ECS_CLUSTER={}", input.0)),
                    "{script}"
                );
            }
        }
    }

    #[test]
    fn each_server_listens_on_the_port_with_the_weights() {
        let vllm = server_command(
            InferenceContainer::Vllm,
            "org/model",
            4,
            false,
            VllmLimits::default(),
            &[],
        )
        .expect("renders");
        assert!(vllm.contains("--served-model-name org/model"));
        assert!(vllm.contains("--tensor-parallel-size 4"));
        assert!(!vllm.contains("--task embed"));
        let vllm_embed = server_command(
            InferenceContainer::Vllm,
            "org/model",
            1,
            true,
            VllmLimits::default(),
            &[],
        )
        .expect("renders");
        assert!(vllm_embed.contains("--task embed"));
        assert!(!vllm.contains("--max-model-len"));
        let limits = VllmLimits {
            max_model_len: Some(4096),
            max_num_seqs: Some(64),
        };
        let limited = server_command(InferenceContainer::Vllm, "org/model", 1, false, limits, &[])
            .expect("renders");
        assert!(limited.contains("--max-model-len 4096 \\\n  --max-num-seqs 64"));
        assert!(limited.starts_with("export VLLM_HTTP_TIMEOUT_KEEP_ALIVE=660\n"));
        let tgi = server_command(
            InferenceContainer::Tgi,
            "org/model",
            4,
            false,
            VllmLimits::default(),
            &[],
        )
        .expect("renders");
        assert!(
            tgi.contains("--num-shard 4")
                && tgi.contains("--port 8080")
                && tgi.contains("--model-id /models")
        );
        let tei = server_command(
            InferenceContainer::Tei,
            "org/model",
            0,
            true,
            VllmLimits::default(),
            &[],
        )
        .expect("renders");
        assert!(tei.starts_with("exec text-embeddings-router") && tei.contains("--port 8080"));
    }

    #[test]
    fn server_arguments_follow_the_products_flags_one_word_each() {
        let args: Vec<String> = [
            "--enable-auto-tool-choice",
            "--tool-call-parser=hermes",
            "--chat-template",
            "{% for m in messages %}{{ m['content'] }} $HOME `id`{% endfor %}",
        ]
        .map(str::to_owned)
        .to_vec();
        for container in InferenceContainer::ALL {
            let command = server_command(
                *container,
                "org/model",
                1,
                false,
                VllmLimits::default(),
                &args,
            )
            .expect("renders");
            assert!(
                command.ends_with(
                    " \\\n  --enable-auto-tool-choice \\\n  --tool-call-parser=hermes \\\n  --chat-template \\\n  '{% for m in messages %}{{ m['\\''content'\\''] }} $HOME `id`{% endfor %}'\n"
                ),
                "{command}"
            );
        }
        let plain = server_command(
            InferenceContainer::Tgi,
            "org/model",
            1,
            false,
            VllmLimits::default(),
            &[],
        )
        .expect("renders");
        assert!(plain.ends_with("--num-shard 1\n"), "{plain}");
    }

    #[test]
    fn shell_words_survive_sh_unchanged() {
        for arg in [
            "plain-1.0",
            "a b",
            "it's",
            "$(id)",
            "`id`",
            "\\n",
            "{\"k\": [1]}",
            "*",
        ] {
            let word = shell_word(arg);
            let output = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {word}")])
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&output.stdout), arg, "{word}");
        }
    }
}
