//! Progress on standard error while a command follows a stack: each stack event as it arrives,
//! with the time since the command started and the operation's resources counted as
//! CloudFormation reported them (no count when it reported none), and, when nothing has been
//! printed for a while, a heartbeat saying what the stack waits for, for how long so far, and
//! against which budget.

use lisa_constructs::ecs_model::registration;
use lisa_deploy::{Pending, Progress, Waiting};
use std::time::{Duration, Instant};

/// The variable that sets the heartbeat's interval in seconds (0: no heartbeat).
pub const HEARTBEAT_VARIABLE: &str = "LISA_HEARTBEAT_SECONDS";

/// The heartbeat's interval when the variable is not set: a create waits on its model's
/// health check for up to an hour, and a line a minute is too sparse to trust.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);

/// The heartbeat's interval; `None`: no heartbeat.
fn heartbeat_interval() -> Option<Duration> {
    let Ok(text) = std::env::var(HEARTBEAT_VARIABLE) else {
        return Some(DEFAULT_HEARTBEAT);
    };
    match text.trim().parse::<u64>() {
        Ok(0) => None,
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => {
            eprintln!(
                "{HEARTBEAT_VARIABLE}={text:?} is not a number of seconds: a heartbeat every {} s",
                DEFAULT_HEARTBEAT.as_secs()
            );
            Some(DEFAULT_HEARTBEAT)
        }
    }
}

/// What a model's stack is, for the heartbeat to say what its registration waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A LISA-hosted model: its registration waits for a healthy target.
    HostedModel,
    /// A LiteLLM-only model: its registration only calls LiteLLM.
    LiteLlmModel,
    /// Any other stack (the bootstrap stack).
    Other,
}

/// Prints the progress of one stack operation, labelled `label`.
pub fn reporter(label: String, subject: Subject) -> impl FnMut(Progress<'_>) + Send {
    let started = Instant::now();
    let mut last_line = started;
    let heartbeat = heartbeat_interval();
    move |progress: Progress<'_>| {
        let elapsed = started.elapsed().as_secs_f64();
        match progress {
            Progress::Event(event, resources) => {
                let reason = event
                    .reason
                    .as_deref()
                    .map_or_else(String::new, |r| format!("  {r}"));
                let counted = resources
                    .summary()
                    .map_or_else(String::new, |summary| format!("  [{summary}]"));
                eprintln!(
                    "{label}  {elapsed:>6.1}s  {:<40} {:<28} {}{reason}{counted}",
                    event.logical_id, event.status, event.resource_type,
                );
                last_line = Instant::now();
            }
            Progress::Waiting(waiting) => {
                if heartbeat.is_some_and(|every| last_line.elapsed() >= every) {
                    eprintln!(
                        "{label}  {elapsed:>6.1}s  {}",
                        heartbeat_text(waiting, subject)
                    );
                    last_line = Instant::now();
                }
            }
        }
    }
}

/// `waiting: STACK STATUS for 5 min 02 s so far; ...what it waits on`.
pub fn heartbeat_text(waiting: &Waiting, subject: Subject) -> String {
    let status = waiting.status.map_or("working", |status| status.as_str());
    let mut text = format!(
        "waiting: {} {status} for {} so far",
        waiting.stack_name,
        duration(waiting.elapsed)
    );
    // The resource with a budget first: the registration, which holds the stack longest.
    let Some(first) = waiting
        .pending
        .iter()
        .find(|p| p.budget.is_some())
        .or_else(|| waiting.pending.first())
    else {
        text.push_str("; no resource reported in progress");
        return text;
    };
    text.push_str(&format!("; {}", on(first, subject)));
    let others = waiting.pending.len() - 1;
    if others > 0 {
        text.push_str(&format!(", and {others} other resource(s) in progress"));
    }
    text
}

/// What one resource in progress is doing, for how long, against its budget.
fn on(pending: &Pending, subject: Subject) -> String {
    let what = match (pending.resource_type.as_str(), subject) {
        (registration::RESOURCE_TYPE, Subject::HostedModel) => {
            ": the model answering its health check, through its LiteLLM registration,"
        }
        (registration::RESOURCE_TYPE, Subject::LiteLlmModel) => ": its LiteLLM registration,",
        _ => "",
    };
    let budget = pending.budget.map_or_else(String::new, |budget| {
        format!(" of its {} budget (ServiceTimeout)", duration(budget))
    });
    format!(
        "{} ({}) {}{what} for {}{budget}",
        pending.logical_id,
        pending.resource_type,
        pending.status,
        duration(pending.elapsed)
    )
}

/// `42 s`, `5 min 02 s`, `1 h 05 min`.
fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisa_deploy::{Resources, StackStatus};

    fn waiting(pending: Vec<Pending>) -> Waiting {
        Waiting {
            stack_name: "lisa-mistral".into(),
            status: Some(StackStatus::CreateInProgress),
            elapsed: Duration::from_secs(312),
            resources: Resources::default(),
            pending,
        }
    }

    #[test]
    fn the_heartbeat_names_the_registration_its_wait_and_its_budget() {
        let registration = Pending {
            logical_id: "Registration".into(),
            resource_type: registration::RESOURCE_TYPE.into(),
            status: "CREATE_IN_PROGRESS".into(),
            elapsed: Duration::from_secs(242),
            budget: Some(Duration::from_secs(2100)),
        };
        let service = Pending {
            logical_id: "Service".into(),
            resource_type: "AWS::ECS::Service".into(),
            status: "CREATE_IN_PROGRESS".into(),
            elapsed: Duration::from_secs(300),
            budget: None,
        };
        assert_eq!(
            heartbeat_text(&waiting(vec![service, registration]), Subject::HostedModel),
            "waiting: lisa-mistral CREATE_IN_PROGRESS for 5 min 12 s so far; Registration \
             (Custom::LiteLLMModel) CREATE_IN_PROGRESS: the model answering its health check, \
             through its LiteLLM registration, for 4 min 02 s of its 35 min 00 s budget \
             (ServiceTimeout), and 1 other resource(s) in progress"
        );
        assert_eq!(
            heartbeat_text(&waiting(Vec::new()), Subject::HostedModel),
            "waiting: lisa-mistral CREATE_IN_PROGRESS for 5 min 12 s so far; no resource \
             reported in progress"
        );
    }
}
