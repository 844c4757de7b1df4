//! The registry's record of one model (domain §8); [`ModelRecord::view`] shows it as the Admin
//! API returns it.

use super::definition::ModelDefinition;
use super::enums::ModelStatus;
use super::schedule::Transition;
use serde::{Deserialize, Serialize};

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

/// A record of `definition` in `status`, as a fresh create would leave it, for the tests of
/// the rules that read records.
#[cfg(test)]
impl ModelRecord {
    pub(crate) fn for_tests(definition: &serde_json::Value, status: ModelStatus) -> ModelRecord {
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
