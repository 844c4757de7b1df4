//! Stack operations: deploy a template through a change set (compact JSON; through the artifacts
//! bucket when larger than CloudFormation's inline limit), preview one, delete, describe, and
//! find the reason of a failure in the stack's events. Nothing here waits for a stack to settle
//! except [`StackOps::wait`], which polls gently.

use crate::aws::{Clients, call};
use crate::aws_errors::means_no_changes;
use crate::error::{DeployError, Result};
use crate::stack_status::StackStatus;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, ExecutionStatus, Parameter, ResourceStatus,
};
use lisa_constructs::cfn::Template;
use sha2::{Digest, Sha256};

mod event;
mod progress;

use event::STACK_RESOURCE_TYPE;
pub use event::StackEvent;
pub use progress::{Budgets, Pending, Progress, Resources, Waiting};
use std::time::{Duration, Instant, SystemTime};

/// The tag every stack this deployer creates carries, with the deployment's name as its value:
/// a stack without it (or another deployment's) is never updated, adopted or deleted.
pub const DEPLOYMENT_TAG: &str = "lisa:deployment";

/// CloudFormation's limit for a template sent inline (`TemplateBody`), in bytes.
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;

/// How often a waiting operation asks CloudFormation for news.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    /// The interval between two describe calls of one operation (jittered by up to a fifth).
    pub interval: Duration,
}

impl Default for Polling {
    /// One describe call every 4 s (±20%): the status is known within 5 s of the stack settling.
    fn default() -> Self {
        Polling {
            interval: Duration::from_secs(4),
        }
    }
}

impl Polling {
    /// The next pause.
    pub fn pause(&self) -> Duration {
        self.interval.mul_f64(0.8 + 0.4 * fastrand::f64())
    }
}

/// A stack as CloudFormation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    /// The stack's id (ARN).
    pub stack_id: String,
    /// The stack's name.
    pub stack_name: String,
    /// Its status.
    pub status: StackStatus,
    /// CloudFormation's reason for the status.
    pub status_reason: Option<String>,
    /// Its outputs.
    pub outputs: Vec<(String, String)>,
    /// Its parameters.
    pub parameters: Vec<(String, String)>,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

impl StackInfo {
    /// Whether the stack carries the mark of `deployment_name`, written when it was created.
    pub fn has_mark_of(&self, deployment_name: &str) -> bool {
        self.tags
            .iter()
            .any(|(key, value)| key == DEPLOYMENT_TAG && value == deployment_name)
    }

    /// One output's value.
    pub fn output(&self, name: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a deploy started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A change set was executed; the stack is working.
    Executing {
        /// The stack's id.
        stack_id: String,
    },
    /// The template and parameters are what the stack has already: nothing to do.
    NoChanges {
        /// The stack's id.
        stack_id: String,
    },
}

impl Started {
    /// The stack's id.
    pub fn stack_id(&self) -> &str {
        match self {
            Started::Executing { stack_id } | Started::NoChanges { stack_id } => stack_id,
        }
    }
}

/// One resource a change set would touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, ...
    pub action: String,
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a modification.
    pub replacement: Option<String>,
}

/// A stack's change, previewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// The stack does not exist: it would be created.
    Create,
    /// Nothing would change.
    Unchanged,
    /// These resources would change.
    Changes(Vec<ResourceChange>),
}

/// The stack operations, over one set of clients.
#[derive(Debug, Clone)]
pub struct StackOps {
    clients: Clients,
    /// Where templates over `inline_limit` bytes are uploaded.
    pub artifacts_bucket: Option<String>,
    /// Templates larger than this go through the artifacts bucket.
    pub inline_limit: usize,
    /// How often to poll.
    pub polling: Polling,
    /// The CloudFormation service role every change set and delete is passed, so the stack and
    /// its rollbacks act with its rights, whoever calls.
    pub role_arn: Option<String>,
    /// The deployment whose mark ([`DEPLOYMENT_TAG`]) new stacks get and existing stacks must
    /// carry (or be known by id) to be updated or deleted.
    pub deployment_name: Option<String>,
}

/// A computed change set, not executed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The change set's id.
    pub change_set_id: String,
    /// Its stack's id.
    pub stack_id: String,
}

/// What [`StackOps::prepare`] found to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// A change set to execute (or to discard).
    Ready(ChangeSet),
    /// The template and parameters are what the stack has already.
    NoChanges {
        /// The stack's id.
        stack_id: String,
    },
}

fn parameters(values: &[(String, String)]) -> Vec<Parameter> {
    values
        .iter()
        .map(|(key, value)| {
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build()
        })
        .collect()
}

/// The lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl StackOps {
    /// Stack operations with default polling and the inline limit.
    pub fn new(clients: Clients, artifacts_bucket: Option<String>) -> StackOps {
        StackOps {
            clients,
            artifacts_bucket,
            inline_limit: INLINE_TEMPLATE_LIMIT,
            polling: Polling::default(),
            role_arn: None,
            deployment_name: None,
        }
    }

    /// Refuses a stack this deployment did not make: it must carry the deployment's mark, or be
    /// the stack `known_id` (recorded when this deployer created it, before stacks were marked).
    fn check_ours(&self, info: &StackInfo, known_id: Option<&str>) -> Result<()> {
        let Some(deployment) = &self.deployment_name else {
            return Ok(());
        };
        if info.has_mark_of(deployment) || known_id == Some(info.stack_id.as_str()) {
            return Ok(());
        }
        Err(DeployError::StackNotOurs {
            stack_name: info.stack_name.clone(),
            why: "it does not carry this deployment's mark",
        })
    }

    /// Describes a stack by name or id; `None` when it does not exist (by name: deleted stacks
    /// are gone; by id: they report `DELETE_COMPLETE`).
    pub async fn describe(&self, name_or_id: &str) -> Result<Option<StackInfo>> {
        let cfn = &self.clients.cloudformation;
        let result = call("CloudFormation.DescribeStacks", || {
            cfn.describe_stacks().stack_name(name_or_id).send()
        })
        .await;
        let output = match result {
            Ok(output) => output,
            Err(error) if error.is_missing_stack() => return Ok(None),
            Err(error) => return Err(error),
        };
        let Some(stack) = output.stacks().first() else {
            return Ok(None);
        };
        let wire = stack.stack_status().map_or("", |s| s.as_str());
        let status = StackStatus::parse(wire).ok_or_else(|| DeployError::UnknownStackStatus {
            stack_name: name_or_id.to_owned(),
            status: wire.to_owned(),
        })?;
        Ok(Some(StackInfo {
            stack_id: stack.stack_id().unwrap_or_default().to_owned(),
            stack_name: stack.stack_name().unwrap_or_default().to_owned(),
            status,
            status_reason: stack.stack_status_reason().map(str::to_owned),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect(),
            parameters: stack
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_owned(),
                        p.parameter_value()?.to_owned(),
                    ))
                })
                .collect(),
            tags: stack
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
        }))
    }

    /// The template as compact JSON, and where CloudFormation reads it from.
    async fn template_source(
        &self,
        stack_name: &str,
        template: &Template,
    ) -> Result<TemplateSource> {
        let body = template
            .to_compact_json_string()
            .map_err(|e| DeployError::Synth {
                stack_name: stack_name.to_owned(),
                message: e.to_string(),
            })?;
        if body.len() <= self.inline_limit {
            return Ok(TemplateSource::Body(body));
        }
        let bucket =
            self.artifacts_bucket
                .as_deref()
                .ok_or_else(|| DeployError::NoArtifactsBucket {
                    stack_name: stack_name.to_owned(),
                    bytes: body.len(),
                })?;
        let key = format!(
            "{}{stack_name}/{}.json",
            lisa_constructs::bootstrap::TEMPLATE_KEY_PREFIX,
            sha256_hex(body.as_bytes())
        );
        let s3 = &self.clients.s3;
        call("S3.PutObject", || {
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .content_type("application/json")
                .body(body.clone().into_bytes().into())
                .send()
        })
        .await?;
        Ok(TemplateSource::Url(format!(
            "https://{bucket}.s3.{}.amazonaws.com/{key}",
            self.clients.region
        )))
    }

    /// The tags a new stack gets; an existing stack keeps the tags it has (a change set without
    /// tags leaves them alone, and one with new tags would touch every taggable resource).
    fn mark(&self, exists: bool) -> Option<Vec<aws_sdk_cloudformation::types::Tag>> {
        let deployment = self.deployment_name.as_ref().filter(|_| !exists)?;
        Some(vec![
            aws_sdk_cloudformation::types::Tag::builder()
                .key(DEPLOYMENT_TAG)
                .value(deployment)
                .build(),
        ])
    }

    /// Creates a change set and waits until CloudFormation has computed it. `Ok(None)`: there
    /// is nothing to change (the change set is deleted again).
    async fn change_set(
        &self,
        stack_name: &str,
        template: &Template,
        values: &[(String, String)],
        exists: bool,
    ) -> Result<Option<(String, String)>> {
        let source = self.template_source(stack_name, template).await?;
        let name = format!(
            "lisa-{}-{:08x}",
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
            fastrand::u32(..)
        );
        let kind = if exists {
            ChangeSetType::Update
        } else {
            ChangeSetType::Create
        };
        let cfn = &self.clients.cloudformation;
        let created = match call("CloudFormation.CreateChangeSet", || {
            let request = cfn
                .create_change_set()
                .stack_name(stack_name)
                .change_set_name(&name)
                .change_set_type(kind.clone())
                .capabilities(Capability::CapabilityIam)
                .set_parameters(Some(parameters(values)))
                .set_role_arn(self.role_arn.clone())
                .set_tags(self.mark(exists))
                .client_token(&name);
            match &source {
                TemplateSource::Body(body) => request.template_body(body),
                TemplateSource::Url(url) => request.template_url(url),
            }
            .send()
        })
        .await
        {
            Ok(created) => created,
            // Some implementations refuse a change set without changes at once.
            Err(DeployError::Aws { message, .. }) if means_no_changes(&message) => return Ok(None),
            Err(error) => return Err(error),
        };
        let change_set_id = created.id().unwrap_or(&name).to_owned();
        let stack_id = created.stack_id().unwrap_or(stack_name).to_owned();
        // A change set is computed in seconds: poll faster than a stack.
        let pause = self.polling.interval.min(Duration::from_secs(2));
        loop {
            let described = call("CloudFormation.DescribeChangeSet", || {
                cfn.describe_change_set()
                    .change_set_name(&change_set_id)
                    .stack_name(&stack_id)
                    .send()
            })
            .await?;
            match described.status() {
                Some(ChangeSetStatus::CreateComplete) => {
                    return Ok(Some((change_set_id, stack_id)));
                }
                Some(ChangeSetStatus::Failed) => {
                    let reason = described.status_reason().unwrap_or("no reason given");
                    if means_no_changes(reason) {
                        let _ = cfn
                            .delete_change_set()
                            .change_set_name(&change_set_id)
                            .stack_name(&stack_id)
                            .send()
                            .await;
                        return Ok(None);
                    }
                    return Err(DeployError::ChangeSetFailed {
                        stack_name: stack_name.to_owned(),
                        reason: reason.to_owned(),
                    });
                }
                _ => tokio::time::sleep(pause).await,
            }
        }
    }

    /// Deploys `template` with `values` to the stack: [`StackOps::prepare`], then
    /// [`StackOps::execute`] at once. For stacks no registry record describes (the bootstrap
    /// stack); a model's operation puts its fence between the two.
    pub async fn deploy(
        &self,
        stack_name: &str,
        template: &Template,
        values: &[(String, String)],
        token: &str,
        must_be_new: bool,
    ) -> Result<Started> {
        match self
            .prepare(stack_name, template, values, must_be_new, None)
            .await?
        {
            Prepared::NoChanges { stack_id } => Ok(Started::NoChanges { stack_id }),
            Prepared::Ready(change_set) => {
                self.execute(&change_set, token).await?;
                Ok(Started::Executing {
                    stack_id: change_set.stack_id,
                })
            }
        }
    }

    /// Computes the change set (CREATE or UPDATE) that deploys `template` with `values`,
    /// without executing it. A stack left by a create that rolled back is refused (delete it
    /// first); so is an existing stack when `must_be_new` (a create never adopts a stack it did
    /// not make), and a stack that carries neither this deployment's mark nor the id `known_id`.
    pub async fn prepare(
        &self,
        stack_name: &str,
        template: &Template,
        values: &[(String, String)],
        must_be_new: bool,
        known_id: Option<&str>,
    ) -> Result<Prepared> {
        use crate::stack_status::StackClass;
        let current = self.describe(stack_name).await?;
        let exists = match &current {
            None => false,
            Some(info) => match info.status.class() {
                StackClass::AwaitingExecution => false,
                StackClass::Complete | StackClass::RolledBack if must_be_new => {
                    return Err(DeployError::StackNotOurs {
                        stack_name: stack_name.to_owned(),
                        why: "no model in the registry has it",
                    });
                }
                StackClass::Complete | StackClass::RolledBack => {
                    self.check_ours(info, known_id)?;
                    true
                }
                StackClass::InProgress => {
                    return Err(DeployError::StackBusy {
                        stack_name: stack_name.to_owned(),
                        status: info.status.as_str().to_owned(),
                    });
                }
                StackClass::FailedNeedsDelete
                | StackClass::FailedNeedsContinueRollback
                | StackClass::Deleted => {
                    return Err(DeployError::StackCannotUpdate {
                        stack_name: stack_name.to_owned(),
                        status: info.status.as_str().to_owned(),
                    });
                }
            },
        };
        match self
            .change_set(stack_name, template, values, exists)
            .await?
        {
            Some((change_set_id, stack_id)) => Ok(Prepared::Ready(ChangeSet {
                change_set_id,
                stack_id,
            })),
            None => Ok(Prepared::NoChanges {
                stack_id: current.map_or_else(|| stack_name.to_owned(), |i| i.stack_id),
            }),
        }
    }

    /// Executes a computed change set with `token` as its ClientRequestToken, so a repeated
    /// call with the same token is recognized by CloudFormation, and every event of the
    /// operation carries it. Returns once execution started.
    ///
    /// An answer that never arrived or could not be read (no error code: a connection cut, a
    /// truncated body) says nothing about whether execution started, so the change set is read
    /// back: no longer available means it runs; still available, it is executed once more (the
    /// token makes that safe).
    pub async fn execute(&self, change_set: &ChangeSet, token: &str) -> Result<()> {
        let cfn = &self.clients.cloudformation;
        let execute = || {
            call("CloudFormation.ExecuteChangeSet", || {
                cfn.execute_change_set()
                    .change_set_name(&change_set.change_set_id)
                    .stack_name(&change_set.stack_id)
                    .client_request_token(token)
                    .send()
            })
        };
        match execute().await {
            Ok(_) => Ok(()),
            Err(DeployError::Aws { code: None, .. })
                if !self.still_available(change_set).await? =>
            {
                Ok(())
            }
            Err(DeployError::Aws { code: None, .. }) => execute().await.map(drop),
            Err(error) => Err(error),
        }
    }

    /// Whether a change set can still be executed (it has not started).
    async fn still_available(&self, change_set: &ChangeSet) -> Result<bool> {
        let cfn = &self.clients.cloudformation;
        let described = call("CloudFormation.DescribeChangeSet", || {
            cfn.describe_change_set()
                .change_set_name(&change_set.change_set_id)
                .stack_name(&change_set.stack_id)
                .send()
        })
        .await?;
        Ok(described.execution_status() == Some(&ExecutionStatus::Available))
    }

    /// Deletes a change set that will not be executed (one already gone is no error).
    pub async fn discard(&self, change_set: &ChangeSet) -> Result<()> {
        let cfn = &self.clients.cloudformation;
        match call("CloudFormation.DeleteChangeSet", || {
            cfn.delete_change_set()
                .change_set_name(&change_set.change_set_id)
                .stack_name(&change_set.stack_id)
                .send()
        })
        .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_missing_change_set() => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// What deploying `template` would change, without changing anything.
    pub async fn preview(
        &self,
        stack_name: &str,
        template: &Template,
        values: &[(String, String)],
    ) -> Result<Preview> {
        let Some(current) = self.describe(stack_name).await? else {
            return Ok(Preview::Create);
        };
        let Some((change_set_id, stack_id)) =
            self.change_set(stack_name, template, values, true).await?
        else {
            return Ok(Preview::Unchanged);
        };
        let cfn = &self.clients.cloudformation;
        let mut changes = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = call("CloudFormation.DescribeChangeSet", || {
                cfn.describe_change_set()
                    .change_set_name(&change_set_id)
                    .stack_name(&stack_id)
                    .set_next_token(next.clone())
                    .send()
            })
            .await?;
            for change in page.changes() {
                if let Some(resource) = change.resource_change() {
                    changes.push(ResourceChange {
                        action: resource.action().map_or("", |a| a.as_str()).to_owned(),
                        logical_id: resource
                            .logical_resource_id()
                            .unwrap_or_default()
                            .to_owned(),
                        resource_type: resource.resource_type().unwrap_or_default().to_owned(),
                        replacement: resource.replacement().map(|r| r.as_str().to_owned()),
                    });
                }
            }
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        call("CloudFormation.DeleteChangeSet", || {
            cfn.delete_change_set()
                .change_set_name(&change_set_id)
                .stack_name(&current.stack_id)
                .send()
        })
        .await?;
        Ok(Preview::Changes(changes))
    }

    /// Starts deleting a stack; `Ok(None)` when there is no such stack (nothing to do). A stack
    /// whose last delete failed is deleted keeping the resources that failed (CloudFormation
    /// allows nothing else: a plain delete fails on them again); they stay in the account, named
    /// by the stack's `DELETE_SKIPPED` events.
    pub async fn delete(
        &self,
        name_or_id: &str,
        token: &str,
        known_id: Option<&str>,
    ) -> Result<Option<String>> {
        let Some(info) = self.describe(name_or_id).await? else {
            return Ok(None);
        };
        if info.status == StackStatus::DeleteComplete {
            return Ok(None);
        }
        self.check_ours(&info, known_id)?;
        let retain = if info.status == StackStatus::DeleteFailed {
            self.failed_to_delete(&info.stack_id).await?
        } else {
            Vec::new()
        };
        let cfn = &self.clients.cloudformation;
        call("CloudFormation.DeleteStack", || {
            cfn.delete_stack()
                .stack_name(&info.stack_id)
                .client_request_token(token)
                .set_role_arn(self.role_arn.clone())
                .set_retain_resources((!retain.is_empty()).then(|| retain.clone()))
                .send()
        })
        .await?;
        Ok(Some(info.stack_id))
    }

    /// The resources whose deletion failed in the stack's latest delete.
    async fn failed_to_delete(&self, stack_id: &str) -> Result<Vec<String>> {
        let name = stack_name_of(stack_id);
        let mut failed = Vec::new();
        // Newest first: stop at the stack's own event that began the latest delete.
        for event in self.events(stack_id, 100).await? {
            let own = event.resource_type == STACK_RESOURCE_TYPE && event.logical_id == name;
            if own && event.status == StackStatus::DeleteInProgress.as_str() {
                break;
            }
            if !own
                && event.status == ResourceStatus::DeleteFailed.as_str()
                && !failed.contains(&event.logical_id)
            {
                failed.push(event.logical_id);
            }
        }
        Ok(failed)
    }

    /// Continues rolling back a stack whose update rollback failed (UPDATE_ROLLBACK_FAILED), so
    /// it returns to the state before the update.
    pub async fn continue_rollback(&self, stack_id: &str, token: &str) -> Result<()> {
        let cfn = &self.clients.cloudformation;
        call("CloudFormation.ContinueUpdateRollback", || {
            cfn.continue_update_rollback()
                .stack_name(stack_id)
                .client_request_token(token)
                .set_role_arn(self.role_arn.clone())
                .send()
        })
        .await?;
        Ok(())
    }

    /// Whether an operation started with `token` has reached the stack: CloudFormation marks
    /// every event of an operation with its ClientRequestToken.
    pub async fn has_run(&self, stack_id: &str, token: &str) -> Result<bool> {
        Ok(self
            .events(stack_id, 100)
            .await?
            .iter()
            .any(|e| e.token.as_deref() == Some(token)))
    }

    /// The stack's events, newest first, up to `limit` (one page is usually enough).
    pub async fn events(&self, stack_id: &str, limit: usize) -> Result<Vec<StackEvent>> {
        let cfn = &self.clients.cloudformation;
        let output = call("CloudFormation.DescribeStackEvents", || {
            cfn.describe_stack_events().stack_name(stack_id).send()
        })
        .await?;
        Ok(output
            .stack_events()
            .iter()
            .take(limit)
            .map(|e| StackEvent {
                logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: e.resource_type().unwrap_or_default().to_owned(),
                status: e.resource_status().map_or("", |s| s.as_str()).to_owned(),
                reason: e.resource_status_reason().map(str::to_owned),
                event_id: e.event_id().unwrap_or_default().to_owned(),
                token: e.client_request_token().map(str::to_owned),
                timestamp: e.timestamp().and_then(|t| SystemTime::try_from(*t).ok()),
            })
            .collect())
    }

    /// The reason of the first failure of the stack's latest operation: the oldest `*_FAILED`
    /// event with a reason since the operation began, or the stack's own status reason.
    pub async fn failure_reason(&self, stack_id: &str) -> Result<Option<String>> {
        let events = self.events(stack_id, 100).await?;
        // Newest first: the latest operation's events come before its "User Initiated" start.
        let latest: Vec<&StackEvent> = {
            let start = events
                .iter()
                .position(|e| e.reason.as_deref() == Some("User Initiated"))
                .map_or(events.len(), |i| i + 1);
            events[..start].iter().collect()
        };
        let failed = |e: &&StackEvent| {
            ResourceStatus::from(e.status.as_str())
                .as_str()
                .ends_with("_FAILED")
                && e.reason.as_deref().is_some_and(|r| !r.is_empty())
        };
        if let Some(event) = latest.iter().rev().find(|e| failed(e)) {
            return Ok(Some(format!(
                "{} ({}): {}",
                event.logical_id,
                event.status,
                event.reason.as_deref().unwrap_or_default()
            )));
        }
        Ok(self
            .describe(stack_id)
            .await?
            .and_then(|info| info.status_reason)
            .filter(|r| !r.is_empty() && r != "User Initiated"))
    }

    /// Why the last task of the stack's ECS cluster (logical id `cluster_logical_id`) stopped,
    /// if there is such a task: ECS's stopped reason and each container's exit reason. Best
    /// effort: `None` when anything is missing or a call fails.
    pub async fn last_stopped_task_reason(
        &self,
        stack_id: &str,
        cluster_logical_id: &str,
    ) -> Option<String> {
        let cfn = &self.clients.cloudformation;
        let resource = cfn
            .describe_stack_resource()
            .stack_name(stack_id)
            .logical_resource_id(cluster_logical_id)
            .send()
            .await
            .ok()?;
        let cluster = resource
            .stack_resource_detail()?
            .physical_resource_id()?
            .to_owned();
        let ecs = &self.clients.ecs;
        let tasks = ecs
            .list_tasks()
            .cluster(&cluster)
            .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
            .max_results(1)
            .send()
            .await
            .ok()?;
        let arn = tasks.task_arns().first()?.clone();
        let described = ecs
            .describe_tasks()
            .cluster(&cluster)
            .tasks(arn)
            .send()
            .await
            .ok()?;
        let task = described.tasks().first()?;
        let mut reason = task.stopped_reason()?.to_owned();
        for container in task.containers() {
            if let Some(why) = container.reason() {
                reason.push_str(&format!(
                    "; {}: {why}",
                    container.name().unwrap_or("container")
                ));
            }
        }
        Some(reason)
    }

    /// Polls the stack until it settles; gives up after `timeout`. Returns the settled stack, or
    /// `None` when it is gone. `progress` hears of each new event (with the operation's
    /// resources counted as CloudFormation reported them) and, after each look that found the
    /// stack still working, of what it waits on, each resource's limit taken from `budgets`.
    ///
    /// Gentle: one DescribeStackEvents call per round (every [`Polling::interval`], jittered);
    /// the stack's own events say when it has settled, and only then is the stack described
    /// (once, to confirm and read its outputs).
    pub async fn wait(
        &self,
        stack_id: &str,
        timeout: Duration,
        budgets: &Budgets,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Option<StackInfo>> {
        let started = Instant::now();
        let name = stack_name_of(stack_id);
        let (mut seen, mut resources) = match self.events(stack_id, 100).await {
            // The operation so far is counted, not reported again.
            Ok(events) => (
                events.iter().map(|e| e.event_id.clone()).collect(),
                Resources::of_latest_operation(&events, name),
            ),
            Err(_) => (std::collections::HashSet::new(), Resources::default()),
        };
        loop {
            let mut status = None;
            let settled_by_events = match self.events(stack_id, 50).await {
                Ok(events) => {
                    for event in events.iter().rev() {
                        if seen.insert(event.event_id.clone()) {
                            resources.record(event, name);
                            progress(Progress::Event(event, &resources));
                        }
                    }
                    // The newest event of the stack itself; an unknown status means: look.
                    status = events
                        .iter()
                        .find(|e| e.resource_type == STACK_RESOURCE_TYPE && e.logical_id == name)
                        .and_then(|e| StackStatus::parse(&e.status));
                    status.is_none_or(StackStatus::is_settled)
                }
                Err(_) => true,
            };
            if settled_by_events {
                let info = self.describe(stack_id).await?;
                match &info {
                    None => return Ok(None),
                    Some(stack) if stack.status.is_settled() => return Ok(info),
                    Some(_) => {}
                }
            }
            if started.elapsed() > timeout {
                return Err(DeployError::Timeout {
                    stack_name: stack_id.to_owned(),
                    seconds: timeout.as_secs(),
                });
            }
            let now = SystemTime::now();
            progress(Progress::Waiting(&Waiting {
                stack_name: name.to_owned(),
                status,
                elapsed: resources
                    .began()
                    .and_then(|began| now.duration_since(began).ok())
                    .unwrap_or_else(|| started.elapsed()),
                pending: resources.pending(budgets, now),
                resources: resources.clone(),
            }));
            tokio::time::sleep(self.polling.pause()).await;
        }
    }
}

/// The stack name in a stack id (`arn:...:stack/<name>/<uuid>`), or the argument itself.
fn stack_name_of(stack_id: &str) -> &str {
    stack_id
        .split_once(":stack/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(stack_id)
}

enum TemplateSource {
    Body(String),
    Url(String),
}
