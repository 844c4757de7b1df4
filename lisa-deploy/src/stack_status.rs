//! Every CloudFormation stack status, each classified without a catch-all arm: a status added
//! to this list must be classified, and a status CloudFormation adds later is refused by name
//! ([`StackStatus::parse`] returns `None`) rather than guessed at.

use lisa_constructs::model::status::StackOutcome;

macro_rules! statuses {
    ($($variant:ident = $wire:literal,)*) => {
        /// A stack status, as CloudFormation names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum StackStatus { $($variant,)* }

        impl StackStatus {
            /// Every status.
            pub const ALL: &'static [StackStatus] = &[$(StackStatus::$variant,)*];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(StackStatus::$variant => $wire,)* }
            }

            /// Reads a wire name; `None` for a status this version does not know.
            pub fn parse(wire: &str) -> Option<StackStatus> {
                match wire { $($wire => Some(StackStatus::$variant),)* _ => None }
            }
        }
    };
}

statuses! {
    CreateInProgress = "CREATE_IN_PROGRESS",
    CreateFailed = "CREATE_FAILED",
    CreateComplete = "CREATE_COMPLETE",
    RollbackInProgress = "ROLLBACK_IN_PROGRESS",
    RollbackFailed = "ROLLBACK_FAILED",
    RollbackComplete = "ROLLBACK_COMPLETE",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    DeleteFailed = "DELETE_FAILED",
    DeleteComplete = "DELETE_COMPLETE",
    UpdateInProgress = "UPDATE_IN_PROGRESS",
    UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateComplete = "UPDATE_COMPLETE",
    UpdateFailed = "UPDATE_FAILED",
    UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
    UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
    UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
    ReviewInProgress = "REVIEW_IN_PROGRESS",
    ImportInProgress = "IMPORT_IN_PROGRESS",
    ImportComplete = "IMPORT_COMPLETE",
    ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
    ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
    ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
}

/// What a status means for whoever waits on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackClass {
    /// CloudFormation is still working.
    InProgress,
    /// Created by a change set that was never executed.
    AwaitingExecution,
    /// The last operation succeeded.
    Complete,
    /// The last update failed and the stack is back where it was, intact.
    RolledBack,
    /// Failed; only deleting the stack helps (a failed create, a failed delete).
    FailedNeedsDelete,
    /// Failed during an update; the stack needs `ContinueUpdateRollback` (or a fix and update).
    FailedNeedsContinueRollback,
    /// Gone.
    Deleted,
}

impl StackStatus {
    /// The status's class.
    pub fn class(self) -> StackClass {
        use StackClass as C;
        use StackStatus as S;
        match self {
            S::CreateInProgress
            | S::RollbackInProgress
            | S::DeleteInProgress
            | S::UpdateInProgress
            | S::UpdateCompleteCleanupInProgress
            | S::UpdateRollbackInProgress
            | S::UpdateRollbackCompleteCleanupInProgress
            | S::ImportInProgress
            | S::ImportRollbackInProgress => C::InProgress,
            S::ReviewInProgress => C::AwaitingExecution,
            S::CreateComplete | S::UpdateComplete | S::ImportComplete => C::Complete,
            S::UpdateRollbackComplete | S::ImportRollbackComplete => C::RolledBack,
            S::CreateFailed | S::RollbackFailed | S::RollbackComplete | S::DeleteFailed => {
                C::FailedNeedsDelete
            }
            S::UpdateFailed | S::UpdateRollbackFailed | S::ImportRollbackFailed => {
                C::FailedNeedsContinueRollback
            }
            S::DeleteComplete => C::Deleted,
        }
    }

    /// Whether CloudFormation is done with the stack for now.
    pub fn is_settled(self) -> bool {
        match self.class() {
            StackClass::InProgress => false,
            StackClass::AwaitingExecution
            | StackClass::Complete
            | StackClass::RolledBack
            | StackClass::FailedNeedsDelete
            | StackClass::FailedNeedsContinueRollback
            | StackClass::Deleted => true,
        }
    }

    /// How an operation ended, for the status machine: `None` while it is still running. A
    /// delete succeeds only when the stack is gone; anything else succeeds when complete.
    pub fn outcome(self, deleting: bool) -> Option<StackOutcome> {
        match (self.class(), deleting) {
            (StackClass::InProgress, _) => None,
            (StackClass::Deleted, true) => Some(StackOutcome::Succeeded),
            (StackClass::Deleted, false) => Some(StackOutcome::Failed),
            (StackClass::Complete, false) => Some(StackOutcome::Succeeded),
            (StackClass::RolledBack, false) => Some(StackOutcome::RolledBack),
            (StackClass::Complete | StackClass::RolledBack, true)
            | (
                StackClass::AwaitingExecution
                | StackClass::FailedNeedsDelete
                | StackClass::FailedNeedsContinueRollback,
                _,
            ) => Some(StackOutcome::Failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_and_the_sdk_knows_each() {
        assert_eq!(StackStatus::ALL.len(), 23);
        for status in StackStatus::ALL {
            assert_eq!(StackStatus::parse(status.as_str()), Some(*status));
            assert!(
                aws_sdk_cloudformation::types::StackStatus::values().contains(&status.as_str()),
                "{status:?}"
            );
        }
        // And the other way: every status the SDK knows is classified here.
        for wire in aws_sdk_cloudformation::types::StackStatus::values() {
            assert!(
                StackStatus::parse(wire).is_some(),
                "{wire} is not classified"
            );
        }
        assert_eq!(StackStatus::parse("NEW_STATUS"), None);
    }

    #[test]
    fn outcomes_follow_the_classes() {
        use StackStatus as S;
        assert_eq!(S::CreateInProgress.outcome(false), None);
        assert_eq!(
            S::UpdateComplete.outcome(false),
            Some(StackOutcome::Succeeded)
        );
        assert_eq!(
            S::UpdateRollbackComplete.outcome(false),
            Some(StackOutcome::RolledBack)
        );
        assert_eq!(
            S::RollbackComplete.outcome(false),
            Some(StackOutcome::Failed)
        );
        assert_eq!(
            S::DeleteComplete.outcome(true),
            Some(StackOutcome::Succeeded)
        );
        assert_eq!(S::DeleteFailed.outcome(true), Some(StackOutcome::Failed));
        assert_eq!(
            S::UpdateRollbackFailed.class(),
            StackClass::FailedNeedsContinueRollback
        );
        assert!(!S::UpdateCompleteCleanupInProgress.is_settled());
    }
}
