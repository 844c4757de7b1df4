//! What a waiting stack operation reports: each new event of the stack, with the operation's
//! resources counted as CloudFormation reported them, and, after each look that found the stack
//! still working, what it waits on: the resources in progress, for how long, against which
//! budget. The caller decides what to print, and how often.
//!
//! Counts are of what CloudFormation reported, never of a template: a template's conditions
//! leave some resources out, an update touches only some, and an emulator may report none
//! (moto reports the stack's own events only). Nothing reported, nothing counted.

use super::event::{STACK_RESOURCE_TYPE, StackEvent};
use crate::stack_status::StackStatus;
use lisa_constructs::cfn::Template;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// One report of a waiting operation.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A new event of the stack, and the operation's resources with it counted.
    Event(&'a StackEvent, &'a Resources),
    /// The stack was found still working.
    Waiting(&'a Waiting),
}

/// A stack still working, as the last look found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// The stack's name.
    pub stack_name: String,
    /// The stack's status by its newest own event.
    pub status: Option<StackStatus>,
    /// How long the operation has run: since its first event, or since the wait began when
    /// that event is out of sight.
    pub elapsed: Duration,
    /// The operation's resources as CloudFormation reported them.
    pub resources: Resources,
    /// The resources in progress, the one in progress longest first.
    pub pending: Vec<Pending>,
}

/// A resource CloudFormation reported in progress and not finished yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its logical id.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// Its status (`CREATE_IN_PROGRESS`, ...).
    pub status: String,
    /// How long it has been in that status.
    pub elapsed: Duration,
    /// How long CloudFormation gives it, where the template says (a custom resource's
    /// `ServiceTimeout`).
    pub budget: Option<Duration>,
}

/// How long CloudFormation waits for a custom resource whose template gives no
/// `ServiceTimeout`.
pub const DEFAULT_SERVICE_TIMEOUT: Duration = Duration::from_secs(3600);

/// How long CloudFormation gives each resource of a stack that has a limit: its custom
/// resources, by their `ServiceTimeout`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budgets(BTreeMap<String, Duration>);

impl Budgets {
    /// The budgets a template sets.
    pub fn of_template(template: &Template) -> Budgets {
        let custom = |kind: &str| {
            kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource"
        };
        Budgets(
            template
                .resources
                .iter()
                .filter(|(_, resource)| custom(resource.resource_type()))
                .map(|(id, resource)| {
                    let seconds =
                        resource
                            .properties_json()
                            .ok()
                            .and_then(|p| match &p["ServiceTimeout"] {
                                serde_json::Value::Number(n) => n.as_u64(),
                                serde_json::Value::String(s) => s.trim().parse().ok(),
                                _ => None,
                            });
                    let budget = seconds.map_or(DEFAULT_SERVICE_TIMEOUT, Duration::from_secs);
                    (id.clone(), budget)
                })
                .collect(),
        )
    }

    /// The budget of one resource.
    pub fn of(&self, logical_id: &str) -> Option<Duration> {
        self.0.get(logical_id).copied()
    }
}

/// One resource's latest report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reported {
    resource_type: String,
    status: String,
    /// When it entered that status.
    since: SystemTime,
}

/// The resources of the operation under way, as its events reported them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    reported: BTreeMap<String, Reported>,
    /// When the operation began, by its first event.
    began: Option<SystemTime>,
}

/// The reason of the stack's own event that begins an operation.
const USER_INITIATED: &str = "User Initiated";

fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS")
}

fn failed(status: &str) -> bool {
    status.ends_with("_FAILED")
}

impl Resources {
    /// Whether an event is the stack's own event that begins an operation.
    fn begins_operation(event: &StackEvent, stack_name: &str) -> bool {
        event.resource_type == STACK_RESOURCE_TYPE
            && event.logical_id == stack_name
            && in_progress(&event.status)
            && event.reason.as_deref() == Some(USER_INITIATED)
    }

    /// The operation under way so far, from a page of the stack's events (newest first).
    pub fn of_latest_operation(events: &[StackEvent], stack_name: &str) -> Resources {
        let begin = events
            .iter()
            .position(|e| Resources::begins_operation(e, stack_name))
            .map_or(events.len(), |i| i + 1);
        let mut resources = Resources::default();
        for event in events[..begin].iter().rev() {
            resources.record(event, stack_name);
        }
        resources
    }

    /// Takes in the next event (oldest first). The event that begins an operation starts the
    /// count afresh.
    pub fn record(&mut self, event: &StackEvent, stack_name: &str) {
        let at = event.timestamp.unwrap_or_else(SystemTime::now);
        if event.resource_type == STACK_RESOURCE_TYPE && event.logical_id == stack_name {
            if Resources::begins_operation(event, stack_name) {
                *self = Resources {
                    reported: BTreeMap::new(),
                    began: Some(at),
                };
            }
            return;
        }
        let reported = self
            .reported
            .entry(event.logical_id.clone())
            .or_insert_with(|| Reported {
                resource_type: event.resource_type.clone(),
                status: String::new(),
                since: at,
            });
        if reported.status != event.status {
            reported.status.clone_from(&event.status);
            reported.since = at;
        }
    }

    /// How many resources CloudFormation reported in this operation.
    pub fn reported(&self) -> usize {
        self.reported.len()
    }

    /// How many of them are in progress.
    pub fn in_progress(&self) -> usize {
        self.count(in_progress)
    }

    /// How many of them failed.
    pub fn failed(&self) -> usize {
        self.count(failed)
    }

    /// How many of them are done (complete, or skipped).
    pub fn done(&self) -> usize {
        self.count(|s| !in_progress(s) && !failed(s))
    }

    fn count(&self, which: impl Fn(&str) -> bool) -> usize {
        self.reported.values().filter(|r| which(&r.status)).count()
    }

    /// When the operation began, by its first event.
    pub fn began(&self) -> Option<SystemTime> {
        self.began
    }

    /// The counts in a few words (`resources: 12 done, 3 in progress`), or `None` when
    /// CloudFormation reported no resource.
    pub fn summary(&self) -> Option<String> {
        if self.reported() == 0 {
            return None;
        }
        let mut text = format!("resources: {} done", self.done());
        if self.in_progress() > 0 {
            text.push_str(&format!(", {} in progress", self.in_progress()));
        }
        if self.failed() > 0 {
            text.push_str(&format!(", {} failed", self.failed()));
        }
        Some(text)
    }

    /// The resources in progress at `now`, the one in progress longest first.
    pub fn pending(&self, budgets: &Budgets, now: SystemTime) -> Vec<Pending> {
        let mut pending: Vec<Pending> = self
            .reported
            .iter()
            .filter(|(_, r)| in_progress(&r.status))
            .map(|(id, r)| Pending {
                logical_id: id.clone(),
                resource_type: r.resource_type.clone(),
                status: r.status.clone(),
                elapsed: now.duration_since(r.since).unwrap_or_default(),
                budget: budgets.of(id),
            })
            .collect();
        pending.sort_by_key(|p| std::cmp::Reverse(p.elapsed));
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: &str = "lisa-m";

    fn event(logical_id: &str, status: &str, reason: Option<&str>, second: u64) -> StackEvent {
        let own = logical_id == STACK;
        StackEvent {
            logical_id: logical_id.to_owned(),
            resource_type: if own {
                STACK_RESOURCE_TYPE.to_owned()
            } else {
                format!("AWS::Test::{logical_id}")
            },
            status: status.to_owned(),
            reason: reason.map(str::to_owned),
            event_id: format!("{logical_id}-{status}-{second}"),
            token: None,
            timestamp: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(second)),
        }
    }

    #[test]
    fn counts_are_what_cloudformation_reported_and_nothing_without_reports() {
        let mut resources = Resources::default();
        resources.record(
            &event(STACK, "CREATE_IN_PROGRESS", Some(USER_INITIATED), 0),
            STACK,
        );
        assert_eq!(
            resources.summary(),
            None,
            "moto reports no resource: no count"
        );
        for (id, status, second) in [
            ("Role", "CREATE_IN_PROGRESS", 1),
            ("Group", "CREATE_IN_PROGRESS", 1),
            ("Role", "CREATE_IN_PROGRESS", 2),
            ("Role", "CREATE_COMPLETE", 5),
            ("Registration", "CREATE_IN_PROGRESS", 6),
            ("Group", "CREATE_FAILED", 7),
        ] {
            resources.record(&event(id, status, None, second), STACK);
        }
        assert_eq!(
            resources.summary().as_deref(),
            Some("resources: 1 done, 1 in progress, 1 failed")
        );
        let pending = resources.pending(
            &Budgets::default(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(66),
        );
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].logical_id, "Registration");
        assert_eq!(pending[0].elapsed, Duration::from_secs(60));

        // The next operation counts afresh.
        resources.record(
            &event(STACK, "UPDATE_IN_PROGRESS", Some(USER_INITIATED), 100),
            STACK,
        );
        assert_eq!(resources.summary(), None);
        assert_eq!(
            resources.began(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(100))
        );
    }

    #[test]
    fn a_model_stack_s_registration_has_its_service_timeout_for_budget() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/models/mistral-vllm.json"
        );
        let text = std::fs::read_to_string(path).expect("example");
        let definition =
            lisa_constructs::model::ModelDefinition::from_json_str(&text).expect("valid");
        let stack = lisa_constructs::ecs_model::synthesize(&definition, &Default::default())
            .expect("synthesizes");
        let budgets = Budgets::of_template(&stack.template);
        let template = stack.template.to_json().expect("renders");
        let resources = template["Resources"].as_object().expect("resources");
        let mut custom = 0;
        for (id, resource) in resources {
            let expected = resource["Properties"]["ServiceTimeout"]
                .as_u64()
                .map(Duration::from_secs);
            if resource["Type"]
                .as_str()
                .is_some_and(|t| t.starts_with("Custom::"))
            {
                custom += 1;
                assert!(expected.is_some(), "{id} sets its ServiceTimeout");
            }
            assert_eq!(budgets.of(id), expected, "{id}");
        }
        assert_eq!(custom, 1, "the registration");
    }

    #[test]
    fn a_wait_that_begins_mid_operation_counts_the_operation_so_far() {
        // Newest first, as DescribeStackEvents pages them; an earlier operation below.
        let events = [
            event("Service", "UPDATE_COMPLETE", None, 12),
            event("Registration", "UPDATE_IN_PROGRESS", None, 11),
            event("Service", "UPDATE_IN_PROGRESS", None, 10),
            event(STACK, "UPDATE_IN_PROGRESS", Some(USER_INITIATED), 9),
            event(STACK, "CREATE_COMPLETE", None, 5),
            event("Old", "CREATE_COMPLETE", None, 4),
            event(STACK, "CREATE_IN_PROGRESS", Some(USER_INITIATED), 1),
        ];
        let resources = Resources::of_latest_operation(&events, STACK);
        assert_eq!(
            resources.summary().as_deref(),
            Some("resources: 1 done, 1 in progress")
        );
        assert_eq!(
            resources.began(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(9))
        );
    }
}
