//! What the handler is doing right now, and which strings must never reach an answer: so an
//! answer written when the work is cut short (deadline, panic) still says where it stopped, and
//! no answer carries the master key.

use std::sync::{Arc, Mutex, PoisonError};

/// The longest reason sent to CloudFormation (its whole answer must stay under 4 KiB).
pub const MAX_REASON_CHARS: usize = 1500;

/// Shared between the work and the code that answers for it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    stage: String,
    secrets: Vec<String>,
}

impl Progress {
    /// Records what the work is about to do, in words an operator understands.
    pub fn stage(&self, stage: impl Into<String>) {
        let stage = stage.into();
        tracing_stage(&stage);
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stage = stage;
    }

    /// The last recorded stage.
    pub fn current(&self) -> String {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stage
            .clone()
    }

    /// Marks a value that must never appear in an answer.
    pub fn secret(&self, value: &str) {
        if !value.is_empty() {
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .secrets
                .push(value.to_owned());
        }
    }

    /// The text with every secret replaced, cut to [`MAX_REASON_CHARS`].
    pub fn redact(&self, text: &str) -> String {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = text.to_owned();
        for secret in &inner.secrets {
            text = text.replace(secret.as_str(), "[redacted]");
        }
        if text.chars().count() > MAX_REASON_CHARS {
            text = text.chars().take(MAX_REASON_CHARS - 3).collect::<String>() + "...";
        }
        text
    }
}

fn tracing_stage(stage: &str) {
    eprintln!("lisa-registrar: {stage}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_survive_redaction() {
        let p = Progress::default();
        p.secret("sk-123");
        p.stage("calling");
        assert_eq!(
            p.redact("bad key sk-123 and sk-123x"),
            "bad key [redacted] and [redacted]x"
        );
        assert_eq!(p.current(), "calling");
        assert_eq!(
            p.redact(&"x".repeat(5000)).chars().count(),
            MAX_REASON_CHARS
        );
    }
}
