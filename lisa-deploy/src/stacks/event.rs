//! A stack's events as the stack operations read them and the progress reports count them.

use std::time::SystemTime;

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
    /// When it happened, by CloudFormation's clock.
    pub timestamp: Option<SystemTime>,
}

/// The resource type of a stack's own events.
pub(crate) const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";
