//! What an AWS error means, recognised by its error code or its type in one place: the rest of
//! the deployer asks these functions and never reads an AWS message itself.

/// What kind of failure an AWS call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsFault {
    /// The service answered with an error (its code says which).
    Service,
    /// The service kept throttling after every retry.
    Throttled,
    /// The caller lacks the rights for the call.
    AccessDenied,
    /// No credentials could be found (environment, profile, instance role).
    NoCredentials,
    /// The endpoint could not be reached (refused, timed out, no route, unknown host).
    Unreachable,
    /// Any other failure between here and the service.
    Transport,
}

/// Error codes that mean "slow down".
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "SlowDown",
];

/// Error codes that mean the caller's identity lacks a right, or is not accepted at all.
const ACCESS_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
];

impl AwsFault {
    /// Whether `code` asks the caller to slow down.
    pub fn is_throttling(code: Option<&str>) -> bool {
        code.is_some_and(|c| THROTTLING_CODES.contains(&c))
    }

    /// The fault of a failed call: by the service's error code when it answered, otherwise by
    /// the type of what failed on the way (the SDK's connector and credentials errors).
    pub fn of(code: Option<&str>, error: &(dyn std::error::Error + 'static)) -> AwsFault {
        if let Some(code) = code {
            return if THROTTLING_CODES.contains(&code) {
                AwsFault::Throttled
            } else if ACCESS_CODES.contains(&code) {
                AwsFault::AccessDenied
            } else {
                AwsFault::Service
            };
        }
        let mut cause = Some(error);
        while let Some(current) = cause {
            if current
                .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
                .is_some()
            {
                return AwsFault::NoCredentials;
            }
            if let Some(connector) =
                current.downcast_ref::<aws_smithy_runtime_api::client::result::ConnectorError>()
                && (connector.is_timeout() || connector.is_io())
            {
                return AwsFault::Unreachable;
            }
            if let Some(io) = current.downcast_ref::<std::io::Error>()
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::HostUnreachable
                        | std::io::ErrorKind::NetworkUnreachable
                )
            {
                return AwsFault::Unreachable;
            }
            cause = current.source();
        }
        AwsFault::Transport
    }

    /// What the operator can do about it, appended to the error's one line.
    pub fn hint(self) -> &'static str {
        match self {
            AwsFault::NoCredentials => {
                " (no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            }
            AwsFault::Unreachable => {
                " (the endpoint cannot be reached: check --endpoint-url / AWS_ENDPOINT_URL and the network)"
            }
            AwsFault::AccessDenied => " (the caller lacks this right: check the identity's policy)",
            AwsFault::Service | AwsFault::Throttled | AwsFault::Transport => "",
        }
    }
}

/// Whether an answer says the stack does not exist. CloudFormation has no error code of its own
/// for that: it answers `ValidationError` with "Stack with id X does not exist".
pub fn says_stack_missing(code: &str, message: &str) -> bool {
    code == "ValidationError" && message.contains("does not exist")
}

/// Whether a failed change set (or a refused one) only says there was nothing to change.
/// CloudFormation reports that as the change set's status reason, with no code.
pub fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Whether an error code says a change set is unknown to CloudFormation (deleted meanwhile, or
/// its stack was).
pub fn says_change_set_missing(code: &str) -> bool {
    code == "ChangeSetNotFound" || code == "ChangeSetNotFoundException"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<dyn std::error::Error + 'static>>);

    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Chain {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref()
        }
    }

    #[test]
    fn codes_decide_when_the_service_answered() {
        let any = Chain("x", None);
        assert_eq!(AwsFault::of(Some("Throttling"), &any), AwsFault::Throttled);
        assert_eq!(
            AwsFault::of(Some("AccessDenied"), &any),
            AwsFault::AccessDenied
        );
        assert_eq!(
            AwsFault::of(Some("ValidationError"), &any),
            AwsFault::Service
        );
        assert_eq!(AwsFault::of(None, &any), AwsFault::Transport);
    }

    #[test]
    fn a_refused_connection_anywhere_in_the_chain_is_unreachable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let chain = Chain(
            "dispatch failure",
            Some(Box::new(Chain("io", Some(Box::new(refused))))),
        );
        assert_eq!(AwsFault::of(None, &chain), AwsFault::Unreachable);
    }

    #[test]
    fn missing_credentials_are_recognised_by_type() {
        let missing = aws_credential_types::provider::error::CredentialsError::not_loaded("none");
        let chain = Chain("dispatch failure", Some(Box::new(missing)));
        assert_eq!(AwsFault::of(None, &chain), AwsFault::NoCredentials);
        assert!(AwsFault::NoCredentials.hint().contains("AWS_PROFILE"));
    }

    #[test]
    fn a_missing_stack_and_an_empty_change_set_are_recognised() {
        assert!(says_stack_missing(
            "ValidationError",
            "Stack with id lisa--m does not exist"
        ));
        assert!(!says_stack_missing(
            "ValidationError",
            "Template format error"
        ));
        assert!(says_change_set_missing("ChangeSetNotFound"));
        assert!(means_no_changes(
            "The submitted information didn't contain changes."
        ));
        assert!(!means_no_changes("Template error"));
    }
}
