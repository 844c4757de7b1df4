//! Reconciliation: a record's in-progress status against its stack, outcomes tied to their
//! operation by its ClientRequestToken, operations that never ran taken back, failed rollbacks
//! continued, and unreadable records removed once their stack is gone.

use super::{CONTINUED, Deployer, model_id_of};
use crate::error::Result;
use crate::registry::{Unreadable, WriteError};
use crate::stack_status::{StackClass, StackStatus};
use crate::stacks::StackInfo;
use lisa_constructs::ecs_model::stack_io::ModelStackOutputs;
use lisa_constructs::model::status::{self, StackOutcome};
use lisa_constructs::model::{ModelRecord, ModelStatus};

impl Deployer {
    /// Removes an unreadable record whose delete has finished (its stack is gone); whether it
    /// was removed.
    pub(super) async fn settle_unreadable(&self, unreadable: &Unreadable) -> Result<bool> {
        let (Some(ModelStatus::Deleting), Some(stack), Some(version)) = (
            unreadable.status,
            unreadable.stack.as_deref(),
            unreadable.version,
        ) else {
            return Ok(false);
        };
        let gone = self
            .stacks
            .describe(stack)
            .await?
            .is_none_or(|info| info.status == StackStatus::DeleteComplete);
        if !gone {
            return Ok(false);
        }
        match self.registry.remove(&unreadable.model_id, version).await {
            Ok(()) => Ok(true),
            Err(WriteError::Conflict) => Ok(false),
            Err(WriteError::Failed(error)) => Err(error),
        }
    }

    /// Brings a record in line with its stack: an in-progress status whose stack settled gets
    /// its final status (outputs, failure reason), a settled model whose stack vanished becomes
    /// `Failed`. Returns `None` when the record was removed (a finished delete).
    pub async fn reconcile(&self, record: ModelRecord) -> Result<Option<ModelRecord>> {
        let stack = record
            .stack_id
            .clone()
            .unwrap_or_else(|| record.stack_name.clone());
        let working = status::is_working(record.status);
        if record.status == ModelStatus::Failed {
            return Ok(Some(record));
        }
        let fresh = self.observed.unchanged_for(&record) < self.options.stale_after;
        if working && record.stack_id.is_none() && record.status == ModelStatus::Creating && fresh {
            return Ok(Some(record));
        }
        let info = self.stacks.describe(&stack).await?;
        let deleting = record.status == ModelStatus::Deleting;
        let (outcome, info) = match info {
            None => {
                let outcome = if deleting {
                    StackOutcome::Succeeded
                } else {
                    StackOutcome::Failed
                };
                (outcome, None)
            }
            Some(info) => match info.status.outcome(deleting) {
                None => return Ok(Some(record)),
                Some(outcome) => (outcome, Some(info)),
            },
        };
        if working && let Some(info) = &info {
            if !self.has_run(&record, info).await? {
                // The stack is settled from an earlier operation; this one has not reached it
                // (yet: its ExecuteChangeSet may be on its way).
                return if fresh {
                    Ok(Some(record))
                } else {
                    self.abandon(record, info).await
                };
            }
            let continued = record
                .operation_token
                .as_deref()
                .is_none_or(|token| token.ends_with(CONTINUED));
            if info.status == StackStatus::UpdateRollbackFailed
                && status::before(record.status).is_some()
                && !continued
            {
                return self.continue_rollback(record, info).await;
            }
        }
        let gone = info
            .as_ref()
            .is_none_or(|i| i.status == crate::stack_status::StackStatus::DeleteComplete);
        if !working && !gone {
            // A settled model: only a vanished stack changes it.
            return Ok(Some(record));
        }
        let next_status = if working {
            status::finish_with(record.status, outcome, record.enabled)
        } else {
            Some(ModelStatus::Failed)
        };
        let Some(next_status) = next_status else {
            return match self
                .registry
                .remove(record.definition.model_id.as_str(), record.version)
                .await
            {
                Ok(()) => Ok(None),
                // Someone else wrote first: theirs is the newer truth.
                Err(WriteError::Conflict) => {
                    self.registry.get(record.definition.model_id.as_str()).await
                }
                Err(WriteError::Failed(error)) => Err(error),
            };
        };
        let mut next = record.clone();
        next.status = next_status;
        next.operation_token = None;
        if let Some(previous) = next.previous_definition.take()
            && outcome == StackOutcome::RolledBack
        {
            next.definition = previous;
        }
        next.enabled = match next_status {
            ModelStatus::InService => true,
            ModelStatus::Stopped => false,
            ModelStatus::Creating
            | ModelStatus::Updating
            | ModelStatus::Stopping
            | ModelStatus::Starting
            | ModelStatus::Deleting
            | ModelStatus::Failed => next.enabled,
        };
        match info.as_ref().filter(|_| working || !gone) {
            Some(info) => {
                next.stack_id = Some(info.stack_id.clone());
                if outcome != StackOutcome::Succeeded {
                    let mut reason = self
                        .stacks
                        .failure_reason(&info.stack_id)
                        .await?
                        .or_else(|| record.failure_reason.clone())
                        .unwrap_or_else(|| {
                            format!("stack {} is {}", info.stack_name, info.status.as_str())
                        });
                    if record.definition.hosting.is_some()
                        && let Some(task) = self
                            .stacks
                            .last_stopped_task_reason(
                                &info.stack_id,
                                lisa_constructs::ecs_model::CLUSTER_ID,
                            )
                            .await
                    {
                        reason.push_str(&format!("; last stopped task: {task}"));
                    }
                    next.failure_reason = Some(reason);
                } else {
                    let outputs = ModelStackOutputs::from_outputs(
                        info.outputs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                    next.litellm_model_id = outputs.litellm_model_id.or(next.litellm_model_id);
                    next.model_url = outputs.model_endpoint_url.or(next.model_url);
                    next.auto_scaling_group_name = outputs
                        .auto_scaling_group_name
                        .or(next.auto_scaling_group_name);
                }
            }
            None => {
                next.failure_reason = Some(format!(
                    "stack {} no longer exists (deleted outside lisa?); delete the model to clean up",
                    record.stack_name
                ));
            }
        }
        self.record_outcome(next).await
    }

    /// Writes a reconciled record; when someone else wrote first, theirs is the newer truth.
    pub(super) async fn record_outcome(&self, next: ModelRecord) -> Result<Option<ModelRecord>> {
        let model_id = model_id_of(&next);
        match self.registry.replace(next).await {
            Ok(next) => Ok(Some(next)),
            Err(WriteError::Conflict) => self.registry.get(&model_id).await,
            Err(WriteError::Failed(error)) => Err(error),
        }
    }

    /// Whether the record's operation has reached its stack (its token is in the stack's
    /// events). A record without a token (written before tokens were recorded) is taken at its
    /// stack's word, as then.
    async fn has_run(&self, record: &ModelRecord, info: &StackInfo) -> Result<bool> {
        match &record.operation_token {
            Some(token) => self.stacks.has_run(&info.stack_id, token).await,
            None => Ok(true),
        }
    }

    /// An operation that never reached its stack and never will (the process that started it
    /// stopped before CloudFormation began it): the model goes back to where it was, with the
    /// definition its stack still has.
    async fn abandon(&self, record: ModelRecord, info: &StackInfo) -> Result<Option<ModelRecord>> {
        let intact = matches!(
            info.status.class(),
            StackClass::Complete | StackClass::RolledBack
        );
        let back = match status::before_with(record.status, record.enabled) {
            Some(status) => status,
            None if record.status == ModelStatus::Deleting && intact => {
                if record.enabled {
                    ModelStatus::InService
                } else {
                    ModelStatus::Stopped
                }
            }
            None => ModelStatus::Failed,
        };
        let mut next = record.clone();
        if let Some(previous) = next.previous_definition.take() {
            next.definition = previous;
        }
        next.status = back;
        next.enabled = match back {
            ModelStatus::InService => true,
            ModelStatus::Stopped => false,
            _ => next.enabled,
        };
        next.operation_token = None;
        next.failure_reason = Some(format!(
            "the operation recorded as {} at {} never reached stack {} (the process that started it stopped first); nothing was changed",
            record.status, record.last_modified, info.stack_name
        ));
        self.record_outcome(next).await
    }

    /// An update, stop or start whose rollback failed: CloudFormation is asked to continue the
    /// rollback (once), which returns the stack to where it was before the operation; the
    /// record keeps its working status and waits for that, with the failure's reason.
    async fn continue_rollback(
        &self,
        record: ModelRecord,
        info: &StackInfo,
    ) -> Result<Option<ModelRecord>> {
        let reason = self.stacks.failure_reason(&info.stack_id).await?;
        let token = format!(
            "{}{CONTINUED}",
            record.operation_token.as_deref().unwrap_or_default()
        );
        let mut next = record;
        next.operation_token = Some(token.clone());
        next.failure_reason = reason;
        let Some(next) = self.record_outcome(next).await? else {
            return Ok(None);
        };
        if next.operation_token.as_deref() != Some(token.as_str()) {
            return Ok(Some(next)); // someone else wrote first
        }
        match self.stacks.continue_rollback(&info.stack_id, &token).await {
            Ok(()) => Ok(Some(next)),
            Err(error) => {
                let mut failed = next;
                failed.status = ModelStatus::Failed;
                failed.operation_token = None;
                failed.failure_reason = Some(format!(
                    "{}; the rollback could not be continued: {error}",
                    failed
                        .failure_reason
                        .as_deref()
                        .unwrap_or("the update's rollback failed")
                ));
                self.record_outcome(failed).await
            }
        }
    }
}
