//! The model server's own metrics in CloudWatch: a CloudWatch agent beside the server in every
//! task scrapes the server's Prometheus endpoint (`/metrics`) and publishes the saturation
//! signals of [`InferenceContainer::signals`] as embedded-metric-format log events, from which
//! CloudWatch makes metrics in [`NAMESPACE`], one series per stack ([`STACK_DIMENSION`]).
//! Service auto scaling tracks them (see [`scaling`](super::scaling)).

use super::scripts::{self, Rename, RenderError};
use super::server_settings::SERVER_PORT;
use crate::cfn::resources::ecs::{
    ContainerDefinition, ContainerDependency, KeyValuePair, LogConfiguration,
};
use crate::cfn::resources::iam::Statement;
use crate::cfn::{Expr, Pseudo};
use crate::construct::ResourceHandle;
use crate::model::{InferenceContainer, VLLM_KV_CACHE_LEGACY_METRIC};

/// The agent's container name.
pub const AGENT_CONTAINER: &str = "metrics-agent";
/// The CloudWatch agent image AWS maintains, pinned.
pub const AGENT_IMAGE: &str = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304";
/// Memory (MiB) reserved for the agent.
pub const AGENT_MEMORY_MIB: u32 = 128;
/// The namespace of the servers' metrics.
pub const NAMESPACE: &str = "LISA/ModelServer";
/// The one dimension of the servers' metrics: the stack's name. Every task of a model
/// publishes into the same series, so an `Average` is the average per task.
pub const STACK_DIMENSION: &str = "Stack";
/// How often the agent scrapes the server, in seconds: target tracking reads one-minute
/// averages, so four samples per task go into each.
pub const SCRAPE_INTERVAL_SECONDS: u32 = 15;
/// The scrape job's name.
const JOB: &str = "model-server";

/// The Prometheus metrics `container` publishes to CloudWatch: every signal it has.
pub fn published_metrics(container: InferenceContainer) -> Vec<&'static str> {
    container
        .signals()
        .filter_map(|signal| container.metric_of(signal))
        .collect()
}

/// Renames that give one metric one name across server releases.
fn renames(container: InferenceContainer) -> Vec<Rename<'static>> {
    match container {
        InferenceContainer::Vllm => vec![Rename {
            from: VLLM_KV_CACHE_LEGACY_METRIC,
            to: container
                .metric_of(crate::model::ServerMetricName::KvCacheUse)
                .unwrap_or_default(),
        }],
        InferenceContainer::Tgi | InferenceContainer::Tei => Vec::new(),
    }
}

/// The agent's configuration (`CW_CONFIG_CONTENT`), as an `Fn::Sub` template: the Prometheus
/// scrape of `PROMETHEUS_CONFIG_CONTENT`, published through `log_group` (logical id) with
/// `container`'s metrics selected.
fn agent_config(container: InferenceContainer, cluster: &str, log_group: &str) -> String {
    let selectors: Vec<String> = published_metrics(container)
        .iter()
        .map(|name| format!("^{name}$"))
        .collect();
    let config = serde_json::json!({
        "agent": {"region": "${AWS::Region}"},
        "logs": {
            "metrics_collected": {
                "prometheus": {
                    "cluster_name": format!("${{{cluster}}}"),
                    "log_group_name": format!("${{{log_group}}}"),
                    "prometheus_config_path": "env:PROMETHEUS_CONFIG_CONTENT",
                    "emf_processor": {
                        "metric_namespace": NAMESPACE,
                        "metric_declaration": [{
                            "source_labels": ["job"],
                            "label_matcher": format!("^{JOB}$"),
                            "dimensions": [[STACK_DIMENSION]],
                            "metric_selectors": selectors,
                        }],
                    },
                },
            },
            "force_flush_interval": SCRAPE_INTERVAL_SECONDS,
        },
    });
    config.to_string()
}

/// The agent container for `container`'s server (container `server`, reached through a link in
/// bridge mode), logging to `log_group` and publishing through it. Not essential: a failed
/// agent stops the metrics, not the model.
pub fn agent_container(
    container: InferenceContainer,
    server: &str,
    cluster: &ResourceHandle,
    log_group: &ResourceHandle,
) -> Result<ContainerDefinition, RenderError> {
    let scrape = scripts::prometheus_config(
        JOB,
        &format!("{server}:{SERVER_PORT}"),
        SCRAPE_INTERVAL_SECONDS,
        STACK_DIMENSION,
        &renames(container),
    )?;
    let config = agent_config(
        container,
        cluster.logical_id().as_str(),
        log_group.logical_id().as_str(),
    );
    Ok(ContainerDefinition {
        essential: Some(false),
        environment: vec![
            KeyValuePair::new("PROMETHEUS_CONFIG_CONTENT", Expr::sub(scrape)),
            KeyValuePair::new("CW_CONFIG_CONTENT", Expr::sub(config)),
        ],
        memory_reservation: Some(AGENT_MEMORY_MIB.into()),
        log_configuration: Some(LogConfiguration::awslogs(
            log_group.ref_(),
            Expr::pseudo(Pseudo::Region),
            "metrics",
        )),
        depends_on: vec![ContainerDependency {
            container_name: Expr::str(server),
            condition: Expr::str("START"),
        }],
        links: vec![Expr::str(server)],
        privileged: Some(false),
        ..ContainerDefinition::new(AGENT_CONTAINER, AGENT_IMAGE)
    })
}

/// What the agent needs in the task role: writing its metric events to `log_group`.
pub fn agent_permissions(log_group: &ResourceHandle) -> Statement {
    Statement::allow(
        [
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ],
        [log_group.get_att("Arn")],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_server_publishes_its_own_metric_names() {
        assert_eq!(
            published_metrics(InferenceContainer::Vllm),
            [
                "vllm:num_requests_waiting",
                "vllm:num_requests_running",
                "vllm:kv_cache_usage_perc"
            ]
        );
        assert_eq!(
            published_metrics(InferenceContainer::Tei),
            ["te_queue_size", "te_batch_current_size"]
        );
        let config: serde_json::Value =
            serde_json::from_str(&agent_config(InferenceContainer::Tgi, "Cluster", "Logs"))
                .expect("JSON");
        let prometheus = &config["logs"]["metrics_collected"]["prometheus"];
        assert_eq!(prometheus["log_group_name"], "${Logs}");
        assert_eq!(
            prometheus["emf_processor"]["metric_declaration"][0]["metric_selectors"],
            serde_json::json!(["^tgi_queue_size$", "^tgi_batch_current_size$"])
        );
    }

    #[test]
    fn vllm_scrape_renames_the_older_kv_cache_metric() {
        let scrape = scripts::prometheus_config(
            JOB,
            "model-server:8080",
            15,
            STACK_DIMENSION,
            &renames(InferenceContainer::Vllm),
        )
        .expect("renders");
        assert!(
            scrape.contains("targets: [\"model-server:8080\"]"),
            "{scrape}"
        );
        assert!(scrape.contains("Stack: \"${AWS::StackName}\""), "{scrape}");
        assert!(
            scrape.contains(
                "regex: \"vllm:gpu_cache_usage_perc\"\n        target_label: __name__\n        replacement: \"vllm:kv_cache_usage_perc\""
            ),
            "{scrape}"
        );
        let plain =
            scripts::prometheus_config(JOB, "s:1", 15, STACK_DIMENSION, &[]).expect("renders");
        assert!(!plain.contains("relabel"), "{plain}");
    }
}
