//! The registry's record of one model (domain §8) and its view as the Admin API returns it
//! (the seed's list and get examples).

use super::definition::ModelDefinition;
use super::enums::ModelStatus;
use super::schedule::Transition;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Everything the registry keeps about a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    /// The model as last accepted (updates merged in).
    pub definition: ModelDefinition,
    /// While an update or a start is under way, the definition before it: restored when the
    /// stack rolls back cleanly, so the record always says what is deployed.
    pub previous_definition: Option<ModelDefinition>,
    /// Whether the model should serve (`false` after a stop).
    pub enabled: bool,
    /// Where the model is in its lifecycle.
    pub status: ModelStatus,
    /// `<deploymentName>-<modelId>`.
    pub stack_name: String,
    /// The stack's id, once CloudFormation gave one.
    pub stack_id: Option<String>,
    /// LiteLLM's id of the registration.
    pub litellm_model_id: Option<String>,
    /// The hosted model's base URL.
    pub model_url: Option<String>,
    /// The hosted model's Auto Scaling group.
    pub auto_scaling_group_name: Option<String>,
    /// Why the last operation failed.
    pub failure_reason: Option<String>,
    /// While a stack operation is under way, the ClientRequestToken it was started with: its
    /// stack events carry it, so a settled stack is taken as this operation's outcome only
    /// when they do (a stack still settled from the operation before is not).
    pub operation_token: Option<String>,
    /// Whether the model was stopped by an administrator rather than by its schedule: such a
    /// stop holds against scheduled starts unless the schedule says `resumeAfterManualStop`.
    pub stopped_by_hand: bool,
    /// What the model's schedule last did to it (or why it did nothing).
    pub last_scheduled_run: Option<ScheduledRun>,
    /// Incremented by every write; a write succeeds only over the version it read.
    pub version: u64,
    /// When the record last changed (RFC 3339, UTC).
    pub last_modified: String,
}

/// A transition the schedule ran or skipped: recorded on the model, shown by the API. A
/// scheduled start skips a model stopped by hand unless the schedule says
/// `resumeAfterManualStop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ScheduledRun", deny_unknown_fields)]
pub struct ScheduledRun {
    /// The transition that was due.
    pub action: Transition,
    /// When it was due, as the scheduler said.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub scheduled_time: Option<String>,
    /// When it was decided (RFC 3339, UTC).
    pub ran_at: String,
    /// What became of it: `started` (its stack had not settled yet), `done` (it settled where
    /// it was asked to be), `failed`, `skipped`, `held` (a start of a model stopped by hand) or
    /// `refused` (a stale event, or one contrary to the schedule); `reason` says why.
    pub outcome: RunOutcome,
    /// Why it failed, was skipped, held or refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(default)]
    pub reason: Option<String>,
}

/// What became of a scheduled transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ScheduledRunOutcome")]
pub enum RunOutcome {
    /// The stop or start ran and the model's stack settled where it was asked to be.
    Done,
    /// The stop or start was started; its stack had not settled when this was recorded.
    Started,
    /// The stop or start did not get the model where it was asked to be (it could not start,
    /// or its stack failed or rolled back); the reason says why.
    Failed,
    /// Nothing was changed; the reason says why (the model was there already, busy past the
    /// retry window, being deleted or `Failed`).
    Skipped,
    /// A scheduled start of a model an administrator stopped (or held stopped) by hand.
    Held,
    /// The event was not obeyed: older than the bound, dated in the future, contrary to what
    /// the model's schedule wants at the time it arrived, or for a model without a schedule.
    Refused,
}

/// The hosting fields ([`super::HOSTING_FIELDS`]) the API shows as `null` for a LiteLLM-only
/// model, as the seed's list example does; `inferenceContainer` is left out there, so it is here.
const NULL_WHEN_NOT_HOSTED: [&str; 4] = [
    "autoScalingConfig",
    "containerConfig",
    "loadBalancerConfig",
    "instanceType",
];

impl ModelRecord {
    /// The model as the Admin API shows it: the definition, `status`, `modelUrl` (null until
    /// known) and, for a LiteLLM-only model, the hosting fields as `null`.
    pub fn to_api_json(&self) -> Value {
        let mut object = match serde_json::to_value(&self.definition) {
            Ok(Value::Object(object)) => object,
            // A definition always serializes to an object; keep the view total all the same.
            _ => Map::new(),
        };
        if self.definition.hosting.is_none() {
            for field in NULL_WHEN_NOT_HOSTED {
                object.insert(field.to_owned(), Value::Null);
            }
        }
        object.insert(
            "modelUrl".to_owned(),
            self.model_url
                .clone()
                .or_else(|| self.definition.model_url.clone())
                .map_or(Value::Null, Value::String),
        );
        object.insert(
            "status".to_owned(),
            Value::String(self.status.as_str().to_owned()),
        );
        object.insert(
            "streaming".to_owned(),
            Value::Bool(self.definition.streaming()),
        );
        if let Some(reason) = &self.failure_reason {
            object.insert("failureReason".to_owned(), Value::String(reason.clone()));
        }
        if let Some(run) = &self.last_scheduled_run {
            object.insert(
                "lastScheduledAction".to_owned(),
                serde_json::to_value(run).unwrap_or(Value::Null),
            );
        }
        Value::Object(object)
    }

    /// [`to_api_json`](ModelRecord::to_api_json) with, for a model with a schedule, its next
    /// transition after `now` (`nextScheduledAction`: the action, the instant in UTC and the
    /// local time in the schedule's zone).
    pub fn to_api_json_at(&self, now: jiff::Timestamp) -> Value {
        let mut view = self.to_api_json();
        let next = self
            .definition
            .schedule
            .as_ref()
            .and_then(|schedule| schedule.next_action(now));
        if let (Some(next), Value::Object(object)) = (next, &mut view) {
            object.insert(
                "nextScheduledAction".to_owned(),
                serde_json::to_value(next).unwrap_or(Value::Null),
            );
        }
        view
    }
}

/// A record of `definition` in `status`, as a fresh create would leave it, for the tests of
/// the rules that read records.
#[cfg(test)]
impl ModelRecord {
    pub(crate) fn for_tests(definition: &Value, status: ModelStatus) -> ModelRecord {
        ModelRecord {
            definition: ModelDefinition::from_json_value(definition).expect("valid"),
            previous_definition: None,
            enabled: status != ModelStatus::Stopped,
            status,
            stack_name: "lisa-m1".into(),
            stack_id: None,
            litellm_model_id: None,
            model_url: None,
            auto_scaling_group_name: None,
            failure_reason: None,
            operation_token: None,
            stopped_by_hand: false,
            last_scheduled_run: None,
            version: 1,
            last_modified: "2026-01-01T00:00:00Z".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(definition: Value, status: ModelStatus) -> ModelRecord {
        ModelRecord::for_tests(&definition, status)
    }

    #[test]
    fn a_litellm_only_model_looks_like_the_seed_s_list_entry() {
        let record = record(
            json!({"modelId": "titan-express-v1", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen", "streaming": true}),
            ModelStatus::InService,
        );
        assert_eq!(
            record.to_api_json(),
            json!({
                "autoScalingConfig": null, "containerConfig": null, "loadBalancerConfig": null,
                "instanceType": null, "modelId": "titan-express-v1",
                "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen",
                "modelUrl": null, "status": "InService", "streaming": true
            })
        );
    }

    #[test]
    fn failure_reason_and_url_show_when_known() {
        let mut record = record(
            json!({"modelId": "t", "modelName": "bedrock/x", "modelType": "embedding"}),
            ModelStatus::Failed,
        );
        record.failure_reason = Some("boom".into());
        record.model_url = Some("http://lb/v1".into());
        let view = record.to_api_json();
        assert_eq!(view["failureReason"], "boom");
        assert_eq!(view["modelUrl"], "http://lb/v1");
        assert_eq!(view["streaming"], false);
    }
}
