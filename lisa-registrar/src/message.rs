//! An AWS or HTTP error in one line for an operator: its code and message, or its causes
//! joined.

/// An AWS SDK error in one line: the service's code and message, or else the chain of causes
/// (the SDK's own `Display` with context carries a debug dump no operator needs).
pub(crate) fn aws_message<E>(error: &E) -> String
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata + std::error::Error,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => chain(error),
    }
}

/// An error and its causes, joined.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
