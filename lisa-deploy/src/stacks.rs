//! Stack operations: deploy a template through a change set (compact JSON; through the artifacts
//! bucket when larger than CloudFormation's inline limit), preview one, delete, describe, and
//! find the reason of a failure in the stack's events. Nothing here waits for a stack to settle
//! except [`StackOps::wait`], which polls gently.

use crate::aws::{Clients, call};
use crate::error::{DeployError, Result};
use crate::stack_status::StackStatus;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, ResourceStatus,
};
use lisa_constructs::cfn::Template;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant, SystemTime};

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
}

impl StackInfo {
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

/// A stack event, as the waiting operation reports progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    /// The resource's logical id.
    pub logical_id: String,
    /// The resource's type.
    pub resource_type: String,
    /// Its status.
    pub status: String,
    /// CloudFormation's reason, if any.
    pub reason: Option<String>,
    /// The event's id.
    pub event_id: String,
    /// The ClientRequestToken of the operation that caused it, if it was given one.
    pub token: Option<String>,
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

/// Whether an error says the stack does not exist.
fn is_missing_stack(error: &DeployError) -> bool {
    matches!(error, DeployError::Aws { code: Some(code), message, .. }
        if code == "ValidationError" && message.contains("does not exist"))
}

/// Whether a failed change set only says there was nothing to change.
fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

impl StackOps {
    /// Stack operations with default polling and the inline limit.
    pub fn new(clients: Clients, artifacts_bucket: Option<String>) -> StackOps {
        StackOps {
            clients,
            artifacts_bucket,
            inline_limit: INLINE_TEMPLATE_LIMIT,
            polling: Polling::default(),
        }
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
            Err(error) if is_missing_stack(&error) => return Ok(None),
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
        let bucket = self
            .artifacts_bucket
            .as_deref()
            .ok_or_else(|| DeployError::Stack {
                stack_name: stack_name.to_owned(),
                reason: format!(
                    "the template is {} bytes, over the inline limit, and there is no artifacts bucket to upload it to",
                    body.len()
                ),
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
                    return Err(DeployError::Stack {
                        stack_name: stack_name.to_owned(),
                        reason: format!("change set failed: {reason}"),
                    });
                }
                _ => tokio::time::sleep(pause).await,
            }
        }
    }

    /// Deploys `template` with `values` to the stack: a change set (CREATE or UPDATE), executed
    /// with `token` as its ClientRequestToken, so a repeated call with the same token is
    /// recognized by CloudFormation. Returns once execution started, or at once when there is
    /// nothing to change. A stack left by a create that rolled back is refused (delete it first);
    /// so is an existing stack when `must_be_new` (a create never adopts a stack it did not make).
    pub async fn deploy(
        &self,
        stack_name: &str,
        template: &Template,
        values: &[(String, String)],
        token: &str,
        must_be_new: bool,
    ) -> Result<Started> {
        let current = self.describe(stack_name).await?;
        let exists = match &current {
            None => false,
            Some(info) => match info.status.class() {
                crate::stack_status::StackClass::AwaitingExecution => false,
                crate::stack_status::StackClass::Complete
                | crate::stack_status::StackClass::RolledBack
                    if must_be_new =>
                {
                    return Err(DeployError::Stack {
                        stack_name: stack_name.to_owned(),
                        reason: "exists already but no model in the registry has it; delete the stack or choose another modelId".to_owned(),
                    });
                }
                crate::stack_status::StackClass::Complete
                | crate::stack_status::StackClass::RolledBack => true,
                crate::stack_status::StackClass::InProgress => {
                    return Err(DeployError::Stack {
                        stack_name: stack_name.to_owned(),
                        reason: format!(
                            "is busy ({}); wait until it settles",
                            info.status.as_str()
                        ),
                    });
                }
                crate::stack_status::StackClass::FailedNeedsDelete
                | crate::stack_status::StackClass::FailedNeedsContinueRollback
                | crate::stack_status::StackClass::Deleted => {
                    return Err(DeployError::Stack {
                        stack_name: stack_name.to_owned(),
                        reason: format!(
                            "is {} and cannot be updated; delete the model and create it again",
                            info.status.as_str()
                        ),
                    });
                }
            },
        };
        let Some((change_set_id, stack_id)) = self
            .change_set(stack_name, template, values, exists)
            .await?
        else {
            let stack_id = current.map_or_else(|| stack_name.to_owned(), |i| i.stack_id);
            return Ok(Started::NoChanges { stack_id });
        };
        let cfn = &self.clients.cloudformation;
        call("CloudFormation.ExecuteChangeSet", || {
            cfn.execute_change_set()
                .change_set_name(&change_set_id)
                .stack_name(&stack_id)
                .client_request_token(token)
                .send()
        })
        .await?;
        Ok(Started::Executing { stack_id })
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
    pub async fn delete(&self, name_or_id: &str, token: &str) -> Result<Option<String>> {
        let Some(info) = self.describe(name_or_id).await? else {
            return Ok(None);
        };
        if info.status == StackStatus::DeleteComplete {
            return Ok(None);
        }
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

    /// Polls the stack until it settles, calling `progress` with each new event; gives up after
    /// `timeout`. Returns the settled stack, or `None` when it is gone.
    ///
    /// Gentle: one DescribeStackEvents call per round (every [`Polling::interval`], jittered);
    /// the stack's own events say when it has settled, and only then is the stack described
    /// (once, to confirm and read its outputs).
    pub async fn wait(
        &self,
        stack_id: &str,
        timeout: Duration,
        progress: &mut (dyn FnMut(&StackEvent) + Send),
    ) -> Result<Option<StackInfo>> {
        let started = Instant::now();
        let name = stack_name_of(stack_id);
        let mut seen: std::collections::HashSet<String> = self
            .events(stack_id, 100)
            .await
            .map(|events| events.into_iter().map(|e| e.event_id).collect())
            .unwrap_or_default();
        loop {
            let settled_by_events = match self.events(stack_id, 50).await {
                Ok(events) => {
                    for event in events.iter().rev() {
                        if seen.insert(event.event_id.clone()) {
                            progress(event);
                        }
                    }
                    // The newest event of the stack itself; an unknown status means: look.
                    events
                        .iter()
                        .find(|e| e.resource_type == STACK_RESOURCE_TYPE && e.logical_id == name)
                        .and_then(|e| StackStatus::parse(&e.status))
                        .is_none_or(StackStatus::is_settled)
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
                return Err(DeployError::Stack {
                    stack_name: stack_id.to_owned(),
                    reason: format!("did not settle within {} s", timeout.as_secs()),
                });
            }
            tokio::time::sleep(self.polling.pause()).await;
        }
    }
}

/// The resource type of a stack's own events.
const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";

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
