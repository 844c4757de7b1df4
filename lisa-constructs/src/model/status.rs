//! The status machine of domain §5 as a pure table: which request each status accepts, the
//! status while the stack works, and where a finished operation lands. The deployer follows it;
//! nothing here does I/O.

use super::enums::ModelStatus;

/// What an administrator asks of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Create the model.
    Create,
    /// Change metadata, autoscaling or container settings (no `enabled`).
    Update,
    /// `enabled: false`.
    Stop,
    /// `enabled: true`.
    Start,
    /// Delete the model.
    Delete,
}

impl Request {
    /// The request as the operator names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Create => "create",
            Request::Update => "update",
            Request::Stop => "stop",
            Request::Start => "start",
            Request::Delete => "delete",
        }
    }
}

/// How a stack operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackOutcome {
    /// It did what was asked.
    Succeeded,
    /// It failed and the stack is back where it was, intact.
    RolledBack,
    /// It failed and the stack is not usable as it was.
    Failed,
}

/// What an accepted request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Record `working`, then deploy; [`finish`] gives the status afterwards.
    Deploy {
        /// The status while the stack works.
        working: ModelStatus,
    },
    /// Only the record changes (an update of a stopped model is saved for its next start).
    Save,
}

/// Why a request was refused: the rule, and the status that broke it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Create of a model that exists.
    #[error("model exists already (status {current})")]
    Exists {
        /// Its status.
        current: ModelStatus,
    },
    /// Anything but create of a model that does not exist.
    #[error("no such model")]
    NotFound,
    /// The request is not allowed in the current status.
    #[error("cannot {request} a model that is {current}: {rule}")]
    NotAllowed {
        /// The request.
        request: &'static str,
        /// The current status.
        current: ModelStatus,
        /// The rule, in words.
        rule: &'static str,
    },
}

const UPDATE_RULE: &str = "updates are accepted only from InService or Stopped";
const STOP_RULE: &str = "only an InService model can be stopped";
const START_RULE: &str = "only a Stopped model can be started";
const DELETE_RULE: &str = "a model that is being deleted cannot be deleted again";

/// Whether `request` is allowed when the model's status is `current` (`None`: no such model),
/// and what it does.
pub fn begin(current: Option<ModelStatus>, request: Request) -> Result<Step, Refusal> {
    use ModelStatus as S;
    let Some(current) = current else {
        return match request {
            Request::Create => Ok(Step::Deploy {
                working: S::Creating,
            }),
            _ => Err(Refusal::NotFound),
        };
    };
    let refuse = |rule| {
        Err(Refusal::NotAllowed {
            request: request.as_str(),
            current,
            rule,
        })
    };
    match (request, current) {
        (Request::Create, _) => Err(Refusal::Exists { current }),
        (Request::Update, S::InService) => Ok(Step::Deploy {
            working: S::Updating,
        }),
        (Request::Update, S::Stopped) => Ok(Step::Save),
        (
            Request::Update,
            S::Creating | S::Updating | S::Stopping | S::Starting | S::Deleting | S::Failed,
        ) => refuse(UPDATE_RULE),
        (Request::Stop, S::InService) => Ok(Step::Deploy {
            working: S::Stopping,
        }),
        (
            Request::Stop,
            S::Creating
            | S::Updating
            | S::Stopping
            | S::Stopped
            | S::Starting
            | S::Deleting
            | S::Failed,
        ) => refuse(STOP_RULE),
        (Request::Start, S::Stopped) => Ok(Step::Deploy {
            working: S::Starting,
        }),
        (
            Request::Start,
            S::Creating
            | S::InService
            | S::Updating
            | S::Stopping
            | S::Starting
            | S::Deleting
            | S::Failed,
        ) => refuse(START_RULE),
        (Request::Delete, S::Deleting) => refuse(DELETE_RULE),
        (
            Request::Delete,
            S::Creating
            | S::InService
            | S::Updating
            | S::Stopping
            | S::Stopped
            | S::Starting
            | S::Failed,
        ) => Ok(Step::Deploy {
            working: S::Deleting,
        }),
    }
}

/// Who makes a request: an administrator, or the model's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// Through the Admin API or `lisa-ops`.
    Administrator,
    /// The lifecycle function, carrying out a scheduled transition.
    Schedule,
}

/// [`begin`] for a request by `requester`. The one difference: an administrator's stop of a
/// model that is `Stopped` already is accepted and only saved. It holds the model: the record
/// says it was stopped by hand, so scheduled starts skip it (during an incident, say) until it
/// is started by hand. The schedule's stop of a stopped model stays refused, so it can never
/// take such a hold away.
pub fn begin_as(
    current: Option<ModelStatus>,
    request: Request,
    requester: Requester,
) -> Result<Step, Refusal> {
    match (current, request, requester) {
        (Some(ModelStatus::Stopped), Request::Stop, Requester::Administrator) => Ok(Step::Save),
        _ => begin(current, request),
    }
}

/// Where an operation that worked in status `working` lands: `Some(status)`, or `None` when the
/// record is removed (a finished delete). A status that is not a working status stays as it is.
pub fn finish(working: ModelStatus, outcome: StackOutcome) -> Option<ModelStatus> {
    use ModelStatus as S;
    use StackOutcome as O;
    Some(match (working, outcome) {
        (S::Creating, O::Succeeded) => S::InService,
        (S::Creating, O::RolledBack | O::Failed) => S::Failed,
        (S::Updating, O::Succeeded | O::RolledBack) => S::InService,
        (S::Updating, O::Failed) => S::Failed,
        (S::Stopping, O::Succeeded) => S::Stopped,
        // The stack is back as it was: the model still serves.
        (S::Stopping, O::RolledBack) => S::InService,
        (S::Stopping, O::Failed) => S::Failed,
        (S::Starting, O::Succeeded) => S::InService,
        (S::Starting, O::RolledBack) => S::Stopped,
        (S::Starting, O::Failed) => S::Failed,
        (S::Deleting, O::Succeeded) => return None,
        (S::Deleting, O::RolledBack | O::Failed) => S::Failed,
        (settled @ (S::InService | S::Stopped | S::Failed), _) => settled,
    })
}

/// [`finish`] for a model whose record says `enabled`: an update of a stopped model (a schedule
/// change deploys its stack, still stopped) lands back in `Stopped`, not `InService`.
pub fn finish_with(
    working: ModelStatus,
    outcome: StackOutcome,
    enabled: bool,
) -> Option<ModelStatus> {
    match (working, finish(working, outcome)) {
        (ModelStatus::Updating, Some(ModelStatus::InService)) if !enabled => {
            Some(ModelStatus::Stopped)
        }
        (_, landed) => landed,
    }
}

/// [`before`] for a model whose record says `enabled`: an update of a stopped model began
/// from `Stopped`.
pub fn before_with(working: ModelStatus, enabled: bool) -> Option<ModelStatus> {
    match (working, before(working)) {
        (ModelStatus::Updating, Some(_)) if !enabled => Some(ModelStatus::Stopped),
        (_, status) => status,
    }
}

/// The status a model had before an operation that worked in status `working` began, when the
/// status says it (an update and a stop start from InService, a start from Stopped); `None`
/// for a create (there was no model) and a delete (allowed from several statuses).
pub fn before(working: ModelStatus) -> Option<ModelStatus> {
    use ModelStatus as S;
    match working {
        S::Updating | S::Stopping => Some(S::InService),
        S::Starting => Some(S::Stopped),
        S::Creating | S::Deleting | S::InService | S::Stopped | S::Failed => None,
    }
}

/// Whether the status is one in which a stack operation is under way.
pub fn is_working(status: ModelStatus) -> bool {
    use ModelStatus as S;
    match status {
        S::Creating | S::Updating | S::Stopping | S::Starting | S::Deleting => true,
        S::InService | S::Stopped | S::Failed => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModelStatus as S;

    #[test]
    fn an_update_of_a_stopped_model_lands_back_in_stopped() {
        for outcome in [StackOutcome::Succeeded, StackOutcome::RolledBack] {
            assert_eq!(finish_with(S::Updating, outcome, false), Some(S::Stopped));
            assert_eq!(finish_with(S::Updating, outcome, true), Some(S::InService));
        }
        assert_eq!(
            finish_with(S::Updating, StackOutcome::Failed, false),
            Some(S::Failed)
        );
        // A stop's record says enabled false while it works: its rollback still serves.
        assert_eq!(
            finish_with(S::Stopping, StackOutcome::RolledBack, false),
            Some(S::InService)
        );
        assert_eq!(before_with(S::Updating, false), Some(S::Stopped));
        assert_eq!(before_with(S::Stopping, false), Some(S::InService));
    }

    const ALL: [ModelStatus; 8] = [
        S::Creating,
        S::InService,
        S::Updating,
        S::Stopping,
        S::Stopped,
        S::Starting,
        S::Deleting,
        S::Failed,
    ];

    fn request_of(working: ModelStatus) -> Request {
        match working {
            S::Updating => Request::Update,
            S::Stopping => Request::Stop,
            S::Starting => Request::Start,
            other => panic!("{other} is not an update's status"),
        }
    }

    /// The accepted (status, request) pairs of domain §5, and nothing else.
    #[test]
    fn only_the_table_s_requests_are_accepted() {
        let accepted = [
            (S::InService, Request::Update),
            (S::Stopped, Request::Update),
            (S::InService, Request::Stop),
            (S::Stopped, Request::Start),
        ];
        for current in ALL {
            for request in [Request::Update, Request::Stop, Request::Start] {
                let ok = begin(Some(current), request).is_ok();
                assert_eq!(
                    ok,
                    accepted.contains(&(current, request)),
                    "{request:?} from {current}"
                );
            }
            assert_eq!(
                begin(Some(current), Request::Delete).is_ok(),
                current != S::Deleting
            );
            assert_eq!(
                begin(Some(current), Request::Create),
                Err(Refusal::Exists { current })
            );
        }
    }

    #[test]
    fn working_statuses_and_saved_updates() {
        assert_eq!(
            begin(None, Request::Create),
            Ok(Step::Deploy {
                working: S::Creating
            })
        );
        assert_eq!(begin(None, Request::Delete), Err(Refusal::NotFound));
        assert_eq!(begin(Some(S::Stopped), Request::Update), Ok(Step::Save));
        assert_eq!(
            begin(Some(S::InService), Request::Stop),
            Ok(Step::Deploy {
                working: S::Stopping
            })
        );
    }

    #[test]
    fn only_an_administrator_s_stop_holds_a_stopped_model() {
        assert_eq!(
            begin_as(Some(S::Stopped), Request::Stop, Requester::Administrator),
            Ok(Step::Save)
        );
        assert_eq!(
            begin_as(Some(S::Stopped), Request::Stop, Requester::Schedule),
            begin(Some(S::Stopped), Request::Stop)
        );
        assert!(begin(Some(S::Stopped), Request::Stop).is_err());
        // Every other pair is the table's, whoever asks.
        for current in ALL.into_iter().map(Some).chain([None]) {
            for request in [
                Request::Create,
                Request::Update,
                Request::Stop,
                Request::Start,
                Request::Delete,
            ] {
                if (current, request) == (Some(S::Stopped), Request::Stop) {
                    continue;
                }
                for requester in [Requester::Administrator, Requester::Schedule] {
                    assert_eq!(
                        begin_as(current, request, requester),
                        begin(current, request),
                        "{request:?} from {current:?} by {requester:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_name_the_current_status_and_the_rule() {
        let refusal = begin(Some(S::Stopped), Request::Stop).expect_err("refused");
        assert_eq!(
            refusal.to_string(),
            "cannot stop a model that is Stopped: only an InService model can be stopped"
        );
        let refusal = begin(Some(S::Failed), Request::Update).expect_err("refused");
        assert!(refusal.to_string().contains("Failed"));
    }

    #[test]
    fn outcomes_land_where_the_table_says() {
        let table = [
            (S::Creating, StackOutcome::Succeeded, Some(S::InService)),
            (S::Creating, StackOutcome::RolledBack, Some(S::Failed)),
            (S::Updating, StackOutcome::Succeeded, Some(S::InService)),
            (S::Updating, StackOutcome::RolledBack, Some(S::InService)),
            (S::Updating, StackOutcome::Failed, Some(S::Failed)),
            (S::Stopping, StackOutcome::Succeeded, Some(S::Stopped)),
            (S::Stopping, StackOutcome::RolledBack, Some(S::InService)),
            (S::Stopping, StackOutcome::Failed, Some(S::Failed)),
            (S::Starting, StackOutcome::Succeeded, Some(S::InService)),
            (S::Starting, StackOutcome::RolledBack, Some(S::Stopped)),
            (S::Starting, StackOutcome::Failed, Some(S::Failed)),
            (S::Deleting, StackOutcome::Succeeded, None),
            (S::Deleting, StackOutcome::Failed, Some(S::Failed)),
        ];
        for (working, outcome, expected) in table {
            assert_eq!(finish(working, outcome), expected, "{working} {outcome:?}");
        }
        for working in [S::Updating, S::Stopping, S::Starting] {
            let Some(Step::Deploy { working: started }) = before(working)
                .map(|from| begin(Some(from), request_of(working)).expect("accepted"))
            else {
                panic!("{working} has a status before it");
            };
            assert_eq!(started, working);
        }
        assert_eq!(before(S::Creating), None);
        for settled in [S::InService, S::Stopped, S::Failed] {
            assert!(!is_working(settled));
            assert_eq!(finish(settled, StackOutcome::Failed), Some(settled));
        }
    }
}
