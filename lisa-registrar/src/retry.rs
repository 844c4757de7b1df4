//! The function's one retry rule: a call tried a bounded number of times, pausing before each
//! retry and doubling the pause (the pauses are `backon`'s; the rule is stated here once).

use backon::ExponentialBuilder;
use std::time::Duration;

/// The pauses of a call tried `attempts` times in all: `first_pause` before the first retry,
/// doubled before each further one. Retried with `backon`'s `Retryable::retry`, whose `when`
/// says which errors are worth another try.
pub(crate) fn pauses(attempts: u32, first_pause: Duration) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(first_pause)
        .with_max_times(attempts.saturating_sub(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::{BackoffBuilder, Retryable};
    use std::cell::Cell;

    fn quick() -> ExponentialBuilder {
        pauses(3, Duration::from_millis(1))
    }

    #[test]
    fn the_pauses_double_from_the_first() {
        let pauses: Vec<u128> = pauses(4, Duration::from_millis(300))
            .build()
            .map(|pause| pause.as_millis())
            .collect();
        assert_eq!(
            pauses,
            [300, 600, 1200],
            "three retries after the first try"
        );
    }

    #[tokio::test]
    async fn a_transient_error_is_tried_again_until_the_attempts_are_spent() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = (|| {
            calls.set(calls.get() + 1);
            async { Err("busy") }
        })
        .retry(quick())
        .when(|_| true)
        .await;
        assert_eq!((result, calls.get()), (Err("busy"), 3));
    }

    #[tokio::test]
    async fn a_lasting_error_or_a_success_ends_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = (|| {
            calls.set(calls.get() + 1);
            async { Err("refused") }
        })
        .retry(quick())
        .when(|_| false)
        .await;
        assert_eq!((result, calls.get()), (Err("refused"), 1));
        let result: Result<u8, &str> = (|| async { Ok(7) }).retry(quick()).await;
        assert_eq!(result, Ok(7));
    }

    #[tokio::test]
    async fn a_call_that_recovers_is_answered() {
        let calls = Cell::new(0);
        let result: Result<u32, &str> = (|| {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move { if n < 2 { Err("busy") } else { Ok(n) } }
        })
        .retry(quick())
        .await;
        assert_eq!(result, Ok(2));
    }
}
