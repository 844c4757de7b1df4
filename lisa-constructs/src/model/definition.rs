//! The model definition: the create payload of `POST /models`, as typed data.

use super::catalog::{self, InstanceSpec};
use super::enums::{AlbMetricName, ImageType, InferenceContainer, ModelType, ServerMetricName};
use super::error::ValidationErrors;
use super::ids::ModelId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// A model as an administrator describes it. LISA-hosted models carry a [`Hosting`] block;
/// LiteLLM-only models (Bedrock, SageMaker, any LiteLLM model string) do not.
///
/// Optional fields keep what the payload said (absent stays absent), so a definition serializes
/// back to the JSON it was read from; the effective values come from accessor methods.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ModelDefinition {
    /// Unique id, used in stack and resource names.
    pub model_id: ModelId,
    /// LISA-hosted: the S3 key prefix of the weights in the models bucket. LiteLLM-only: the
    /// LiteLLM model string, such as `bedrock/amazon.titan-text-express-v1`.
    #[schemars(length(min = 1))]
    pub model_name: String,
    /// What the model produces.
    pub model_type: ModelType,
    /// Whether the model streams responses; embedding models cannot. Absent means false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// The hosting block: all five fields or none.
    #[serde(flatten)]
    pub hosting: Option<Hosting>,
    /// A URL the system derives; accepted as given when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_url: Option<String>,
    /// When the model runs and when it sleeps; absent, it runs until stopped. Its JSON Schema
    /// is the schedule module's, joined to the definition's by `definition_schema`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub schedule: Option<super::schedule::Schedule>,
}

/// How a LISA-hosted model runs: container, instances, scaling and load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hosting {
    /// The inference server.
    pub inference_container: InferenceContainer,
    /// An EC2 instance type from the catalog.
    pub instance_type: String,
    /// The inference container.
    pub container_config: ContainerConfig,
    /// Instance counts and the scaling policy.
    pub auto_scaling_config: AutoScalingConfig,
    /// The target group's health check.
    pub load_balancer_config: LoadBalancerConfig,
}

/// The inference container's image and settings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ContainerConfig {
    /// The image to run.
    pub image: ImageConfig,
    /// Shared memory (`/dev/shm`) in MiB, at most the instance's memory.
    pub shared_memory_size: u32,
    /// Environment variables for the server.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// The container health check ECS runs.
    pub health_check_config: ContainerHealthCheck,
    /// Arguments appended to the server's command, one per item (never a shell string): a new
    /// server flag needs no new release. Flags the product sets itself are refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_args: Option<Vec<String>>,
}

impl ContainerConfig {
    /// The arguments appended to the server's command (none when absent).
    pub fn server_args(&self) -> &[String] {
        self.server_args.as_deref().unwrap_or_default()
    }
}

/// The container image.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ImageConfig {
    /// The image reference (`asset`, `external`) or ECR repository `repo[:tag]` (`ecr`).
    pub base_image: String,
    /// How `baseImage` is resolved.
    #[serde(rename = "type")]
    pub image_type: ImageType,
}

/// The ECS container health check. Absent numbers take ECS's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ContainerHealthCheck {
    /// `["CMD", ...]` or `["CMD-SHELL", "..."]`; a plain string is read as `CMD-SHELL`.
    pub command: Vec<String>,
    /// Seconds between checks, 5–300 (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// Grace period in seconds before failures count, 0–300 (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<u32>,
    /// Seconds before a check fails, 2–120 (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Failures before the container is unhealthy, 1–10 (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

impl ContainerHealthCheck {
    /// Seconds between checks.
    pub fn interval(&self) -> u32 {
        self.interval.unwrap_or(30)
    }
    /// Grace period in seconds.
    pub fn start_period(&self) -> u32 {
        self.start_period.unwrap_or(0)
    }
    /// Seconds before a check fails.
    pub fn timeout(&self) -> u32 {
        self.timeout.unwrap_or(5)
    }
    /// Failures before the container is unhealthy.
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(3)
    }
}

/// Instance counts, group timings and the scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct AutoScalingConfig {
    /// The group's MinSize, at least 1.
    pub min_capacity: u32,
    /// The group's MaxSize, at least minCapacity.
    pub max_capacity: u32,
    /// The group's DesiredCapacity, only when explicitly requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,
    /// The group's default cooldown in seconds.
    pub cooldown: u32,
    /// The group's DefaultInstanceWarmup in seconds, 1–3600.
    pub default_instance_warmup: u32,
    /// Root volume size in GiB, at least 30 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_device_volume_size: Option<u32>,
    /// The metric the scaling policy tracks.
    pub metric_config: MetricConfig,
}

impl AutoScalingConfig {
    /// The root volume size in GiB.
    pub fn block_device_volume_size(&self) -> u32 {
        self.block_device_volume_size.unwrap_or(50)
    }
}

/// The target-tracking scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct MetricConfig {
    /// The load balancer metric.
    pub alb_metric_name: AlbMetricName,
    /// The value to hold: requests per target per minute, or seconds of response time.
    #[serde(serialize_with = "whole_numbers_as_integers")]
    pub target_value: f64,
    /// The metric's period in seconds: the policy's CloudWatch metric is averaged over this
    /// many seconds (rounded up to a whole minute for `RequestCountPerTarget`).
    pub duration: u32,
    /// The policy's EstimatedInstanceWarmup in seconds, 1–3600.
    pub estimated_instance_warmup: u32,
    /// Scale on a signal of the model server instead of the load balancer's metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_metric: Option<ServerMetric>,
}

/// A signal of the model server and the value to hold it at, per task.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ServerMetric {
    /// The signal: `queueDepth` (waiting requests), `runningRequests` (requests in the batch)
    /// or `kvCacheUse` (share of the KV cache in use, vLLM only).
    pub name: ServerMetricName,
    /// The value to hold, averaged over the tasks: a number of requests, or a share of the
    /// cache from 0 (exclusive) to 1.
    #[serde(serialize_with = "whole_numbers_as_integers")]
    pub target_value: f64,
}

/// The load balancer settings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct LoadBalancerConfig {
    /// The target group's health check.
    pub health_check_config: TargetHealthCheck,
}

/// The target group's health check.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct TargetHealthCheck {
    /// The HTTP path, starting with `/`.
    pub path: String,
    /// Seconds between checks, 5–300.
    pub interval: u32,
    /// Seconds before a check fails, 2–120, less than the interval.
    pub timeout: u32,
    /// Successes before a target is healthy, 2–10.
    pub healthy_threshold_count: u32,
    /// Failures before a target is unhealthy, 2–10.
    pub unhealthy_threshold_count: u32,
}

fn whole_numbers_as_integers<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl ModelDefinition {
    /// Whether the model streams (absent means false).
    pub fn streaming(&self) -> bool {
        self.streaming.unwrap_or(false)
    }

    /// The catalog entry of a hosted model's instance type.
    pub fn instance(&self) -> Option<&'static InstanceSpec> {
        self.hosting
            .as_ref()
            .and_then(|h| catalog::instance(&h.instance_type))
    }

    /// Checks that the model can be deployed in `region`: a supported region that offers the
    /// instance type. Templates are region-agnostic, so this is the one check that needs it.
    pub fn check_region(&self, region: &str) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !catalog::SUPPORTED_REGIONS.contains(&region) {
            errors.push(
                "",
                format!(
                    "region {region:?} is not supported; supported regions: {}",
                    catalog::SUPPORTED_REGIONS.join(", ")
                ),
            );
        } else if let Some(instance) = self.instance().filter(|i| !i.offered_in(region)) {
            let offered: Vec<&str> = instance.regions().collect();
            errors.push(
                "instanceType",
                format!(
                    "{} is not offered in {region}; supported regions that offer it: {}",
                    instance.name,
                    offered.join(", ")
                ),
            );
        }
        errors.into_result(Some(()))
    }
}

impl<'de> Deserialize<'de> for ModelDefinition {
    /// Deserializing validates: a definition that exists is a valid one.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ModelDefinition::from_json_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod region_tests {
    use super::ModelDefinition;
    use serde_json::json;

    fn hosted_on(instance_type: &str) -> ModelDefinition {
        let text = include_str!("../../../examples/models/mistral-vllm.json");
        let mut value: serde_json::Value = serde_json::from_str(text).expect("seed parses");
        value["instanceType"] = json!(instance_type);
        ModelDefinition::from_json_value(&value).expect("valid")
    }

    #[test]
    fn a_region_must_offer_the_instance_type() {
        assert_eq!(hosted_on("g5.xlarge").check_region("eu-west-1"), Ok(()));
        let errors = hosted_on("g6.xlarge")
            .check_region("eu-west-1")
            .expect_err("no g6 there");
        assert_eq!(errors.errors()[0].path, "instanceType");
        assert!(errors.errors()[0].message.starts_with("g6.xlarge is not offered in eu-west-1; supported regions that offer it: us-east-1, us-east-2"));
    }

    #[test]
    fn unsupported_regions_are_rejected_for_every_model() {
        let titan = ModelDefinition::from_json_value(&json!({
            "modelId": "titan", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen"
        }))
        .expect("valid");
        assert_eq!(titan.check_region("us-west-2"), Ok(()));
        let errors = titan.check_region("mars-north-1").expect_err("unsupported");
        assert!(
            errors.errors()[0]
                .message
                .contains("supported regions: us-east-1")
        );
    }
}
