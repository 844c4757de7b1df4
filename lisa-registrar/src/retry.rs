//! The function's one retry rule: a call tried a bounded number of times, pausing before each
//! retry and doubling the pause, while its error is worth another try.

use std::future::Future;
use std::time::Duration;

/// How a call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// How many times the call is tried in all.
    pub attempts: u32,
    /// The pause before the first retry, doubled before each further one.
    pub first_pause: Duration,
}

impl Retry {
    /// Runs `call` until it succeeds, its error is not `transient`, or the attempts are spent;
    /// the last result is returned. `on_retry` hears each error that is tried again.
    pub async fn run<T, E, F, Fut>(
        self,
        transient: impl Fn(&E) -> bool,
        on_retry: impl Fn(&E),
        mut call: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut pause = self.first_pause;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(error) if attempt < self.attempts && transient(&error) => {
                    on_retry(&error);
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const QUICK: Retry = Retry {
        attempts: 3,
        first_pause: Duration::from_millis(1),
    };

    #[tokio::test]
    async fn a_transient_error_is_tried_again_until_the_attempts_are_spent() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = QUICK
            .run(
                |_| true,
                |_| {},
                || {
                    calls.set(calls.get() + 1);
                    async { Err("busy") }
                },
            )
            .await;
        assert_eq!((result, calls.get()), (Err("busy"), 3));
    }

    #[tokio::test]
    async fn a_lasting_error_or_a_success_ends_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = QUICK
            .run(
                |_| false,
                |_| {},
                || {
                    calls.set(calls.get() + 1);
                    async { Err("refused") }
                },
            )
            .await;
        assert_eq!((result, calls.get()), (Err("refused"), 1));
        let result: Result<u8, &str> = QUICK.run(|_| true, |_| {}, || async { Ok(7) }).await;
        assert_eq!(result, Ok(7));
    }

    #[tokio::test]
    async fn a_call_that_recovers_is_answered() {
        let calls = Cell::new(0);
        let result: Result<u32, &str> = QUICK
            .run(
                |_| true,
                |_| {},
                || {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move { if n < 2 { Err("busy") } else { Ok(n) } }
                },
            )
            .await;
        assert_eq!(result, Ok(2));
    }
}
