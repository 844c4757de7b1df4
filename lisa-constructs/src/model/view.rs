//! A model as the Admin API shows it (the seed's list and get examples): a typed view of the
//! registry's record whose JSON Schema is derived from the type itself.

use super::definition::{AutoScalingConfig, ContainerConfig, LoadBalancerConfig};
use super::enums::{InferenceContainer, ModelStatus, ModelType};
use super::ids::ModelId;
use super::record::{ModelRecord, ScheduledRun};
use super::schedule::{Schedule, ScheduledAction};
use schemars::JsonSchema;
use serde::Serialize;

/// A model as the API shows it: its definition (the hosting fields `null` for a LiteLLM-only
/// model, as in the seed's list example), its status, its URL once known, why its last
/// operation failed, and for a scheduled model its next transition and what the schedule last
/// did.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Model", title = "Model", deny_unknown_fields)]
pub struct ModelView {
    /// Unique id, used in stack and resource names.
    pub model_id: ModelId,
    /// LISA-hosted: the S3 key prefix of the weights. LiteLLM-only: the LiteLLM model string.
    pub model_name: String,
    /// What the model produces.
    pub model_type: ModelType,
    /// Whether the model streams responses.
    pub streaming: bool,
    /// The inference server (a hosted model only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_container: Option<InferenceContainer>,
    /// The EC2 instance type (`null` for a LiteLLM-only model).
    pub instance_type: Option<String>,
    /// The inference container (`null` for a LiteLLM-only model).
    pub container_config: Option<ContainerConfig>,
    /// Instance counts and the scaling policy (`null` for a LiteLLM-only model).
    pub auto_scaling_config: Option<AutoScalingConfig>,
    /// The target group's health check (`null` for a LiteLLM-only model).
    pub load_balancer_config: Option<LoadBalancerConfig>,
    /// The model's OpenAI-compatible base URL, once known.
    pub model_url: Option<String>,
    /// When the model runs and when it sleeps (absent: it runs until stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Where the model is in its lifecycle.
    pub status: ModelStatus,
    /// Why the last operation failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The schedule's next start or stop (a model with a schedule only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ScheduledAction")]
    pub next_scheduled_action: Option<ScheduledAction>,
    /// The last transition the schedule ran or skipped, and why (once it has run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ScheduledRun")]
    pub last_scheduled_action: Option<ScheduledRun>,
}

impl ModelRecord {
    /// The model as the API shows it at `now` (its `nextScheduledAction` is the schedule's
    /// first transition after `now`).
    pub fn view_at(&self, now: jiff::Timestamp) -> ModelView {
        let definition = &self.definition;
        let hosting = definition.hosting.as_ref();
        ModelView {
            model_id: definition.model_id.clone(),
            model_name: definition.model_name.clone(),
            model_type: definition.model_type,
            streaming: definition.streaming(),
            inference_container: hosting.map(|h| h.inference_container),
            instance_type: hosting.map(|h| h.instance_type.clone()),
            container_config: hosting.map(|h| h.container_config.clone()),
            auto_scaling_config: hosting.map(|h| h.auto_scaling_config.clone()),
            load_balancer_config: hosting.map(|h| h.load_balancer_config.clone()),
            model_url: self
                .model_url
                .clone()
                .or_else(|| definition.model_url.clone()),
            schedule: definition.schedule.clone(),
            status: self.status,
            failure_reason: self.failure_reason.clone(),
            next_scheduled_action: definition
                .schedule
                .as_ref()
                .and_then(|schedule| schedule.next_action(now)),
            last_scheduled_action: self.last_scheduled_run.clone(),
        }
    }

    /// [`view_at`](ModelRecord::view_at) the present instant.
    pub fn view(&self) -> ModelView {
        self.view_at(jiff::Timestamp::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn view(definition: Value, status: ModelStatus) -> Value {
        let view = ModelRecord::for_tests(&definition, status).view();
        serde_json::to_value(view).expect("serializes")
    }

    /// What the view's derived schema finds wrong with `value`.
    fn problems(value: &Value) -> Vec<String> {
        let schema = schemars::schema_for!(ModelView).to_value();
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        validator
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    fn check(value: &Value) {
        let problems = problems(value);
        assert!(problems.is_empty(), "{problems:?} in {value}");
    }

    #[test]
    fn a_litellm_only_model_looks_like_the_seed_s_list_entry() {
        let shown = view(
            json!({"modelId": "titan-express-v1", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen", "streaming": true}),
            ModelStatus::InService,
        );
        assert_eq!(
            shown,
            json!({
                "autoScalingConfig": null, "containerConfig": null, "loadBalancerConfig": null,
                "instanceType": null, "modelId": "titan-express-v1",
                "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen",
                "modelUrl": null, "status": "InService", "streaming": true
            })
        );
        check(&shown);
    }

    #[test]
    fn a_hosted_model_shows_its_definition_as_it_was_given() {
        let definition: Value =
            serde_json::from_str(include_str!("../../../examples/models/mistral-vllm.json"))
                .expect("example");
        let shown = view(definition.clone(), ModelStatus::Creating);
        for (field, value) in definition.as_object().expect("object") {
            assert_eq!(&shown[field], value, "{field}");
        }
        assert_eq!(shown["status"], "Creating");
        check(&shown);
    }

    #[test]
    fn failure_reason_and_url_show_when_known() {
        let mut record = ModelRecord::for_tests(
            &json!({"modelId": "t", "modelName": "bedrock/x", "modelType": "embedding"}),
            ModelStatus::Failed,
        );
        record.failure_reason = Some("boom".into());
        record.model_url = Some("http://lb/v1".into());
        let shown = serde_json::to_value(record.view()).expect("serializes");
        assert_eq!(shown["failureReason"], "boom");
        assert_eq!(shown["modelUrl"], "http://lb/v1");
        assert_eq!(shown["streaming"], false);
        check(&shown);
    }

    #[test]
    fn the_schema_requires_the_status_and_lets_hosting_fields_be_null() {
        let schema = schemars::schema_for!(ModelView).to_value();
        assert_eq!(schema["title"], "Model");
        let required = schema["required"].as_array().expect("required");
        for field in ["modelId", "modelName", "modelType", "streaming", "status"] {
            assert!(required.contains(&field.into()), "{field}: {schema}");
        }
        assert!(!required.contains(&"instanceType".into()), "{schema}");
        check(
            &json!({"modelId": "m", "modelName": "x", "modelType": "textgen", "streaming": false, "status": "InService", "instanceType": null}),
        );
        let without_status =
            json!({"modelId": "m", "modelName": "x", "modelType": "textgen", "streaming": false});
        assert!(
            !problems(&without_status).is_empty(),
            "a view without a status is not valid"
        );
    }
}
