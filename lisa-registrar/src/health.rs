//! A hosted model's readiness: whether its target group has a healthy target.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::error::RegistrarError;

/// The targets' states, as read once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetStates {
    /// How many targets are healthy.
    pub healthy: usize,
    /// The others, as `state (reason)`.
    pub others: Vec<String>,
}

impl TargetStates {
    /// Whether a target can take traffic.
    pub fn ready(&self) -> bool {
        self.healthy > 0
    }

    /// What was seen, for an operator.
    pub fn summary(&self) -> String {
        if self.others.is_empty() && self.healthy == 0 {
            "no targets registered".to_owned()
        } else if self.others.is_empty() {
            format!("{} healthy", self.healthy)
        } else {
            format!("{} healthy; {}", self.healthy, self.others.join(", "))
        }
    }
}

/// Reads the target group's health.
pub async fn target_states(
    client: &Client,
    target_group_arn: &str,
) -> Result<TargetStates, RegistrarError> {
    let output = client
        .describe_target_health()
        .target_group_arn(target_group_arn)
        .send()
        .await
        .map_err(|e| RegistrarError::TargetHealth {
            target_group: target_group_arn.to_owned(),
            message: crate::message::aws_message(&e),
        })?;
    let mut states = TargetStates::default();
    for description in output.target_health_descriptions() {
        let health = description.target_health();
        match health.and_then(|h| h.state()) {
            Some(TargetHealthStateEnum::Healthy) => states.healthy += 1,
            other => {
                let state = other.map_or("unknown", |s| s.as_str());
                let target = description
                    .target()
                    .and_then(|t| t.id())
                    .unwrap_or("target");
                let reason = health
                    .and_then(|h| h.reason())
                    .map(|r| format!(" ({})", r.as_str()))
                    .unwrap_or_default();
                states.others.push(format!("{target} {state}{reason}"));
            }
        }
    }
    Ok(states)
}
