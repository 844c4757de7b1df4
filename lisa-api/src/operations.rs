//! Operations that change a model run on tasks the server owns, not inside their requests.
//!
//! A request's future is dropped when its client hangs up or its time runs out; a lifecycle call
//! dropped between its registry write and its stack call would leave a record that no stack
//! matches. Detached, every operation that starts runs to the end of its call, whether or not
//! anyone still waits for the answer. In one server one operation per model runs at a time (a
//! second gets 409 at once rather than racing the first), and at shutdown the server waits for
//! the operations under way, within a bound.

use crate::service::ServiceError;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The operations under way in one server, by model id. Clones share the set.
#[derive(Debug, Clone)]
pub struct Operations {
    busy: Arc<watch::Sender<BTreeSet<String>>>,
}

impl Default for Operations {
    fn default() -> Self {
        Operations {
            busy: Arc::new(watch::Sender::new(BTreeSet::new())),
        }
    }
}

/// A model held by one operation; released when dropped, however the operation ends.
struct Claim {
    busy: Arc<watch::Sender<BTreeSet<String>>>,
    model_id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.busy.send_modify(|busy| {
            busy.remove(&self.model_id);
        });
    }
}

impl Operations {
    /// Runs `operation` on `model_id` on a task of its own and returns its result; dropping the
    /// returned future (a client that hung up) leaves the operation running to its end.
    /// [`ServiceError::Conflict`] when an operation on the model is under way here already.
    pub async fn run<T, F>(&self, model_id: &str, operation: F) -> Result<T, ServiceError>
    where
        F: Future<Output = Result<T, ServiceError>> + Send + 'static,
        T: Send + 'static,
    {
        let claim = self.claim(model_id)?;
        let task = tokio::spawn(async move {
            let _claim = claim;
            operation.await
        });
        task.await.map_err(|error| {
            ServiceError::Internal(format!(
                "the operation on model {model_id} failed unexpectedly: {error}"
            ))
        })?
    }

    fn claim(&self, model_id: &str) -> Result<Claim, ServiceError> {
        let claimed = self
            .busy
            .send_if_modified(|busy| busy.insert(model_id.to_owned()));
        if !claimed {
            return Err(ServiceError::Conflict(format!(
                "another request is changing model {model_id}; read the model again once it has answered"
            )));
        }
        Ok(Claim {
            busy: Arc::clone(&self.busy),
            model_id: model_id.to_owned(),
        })
    }

    /// The models with an operation under way, in id order.
    pub fn under_way(&self) -> Vec<String> {
        self.busy.borrow().iter().cloned().collect()
    }

    /// Waits until no operation is under way, for at most `bound`; returns the models whose
    /// operations are still running then (empty when all ended).
    pub async fn drain(&self, bound: Duration) -> Vec<String> {
        let mut changes = self.busy.subscribe();
        let _ = tokio::time::timeout(bound, changes.wait_for(BTreeSet::is_empty)).await;
        self.under_way()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_operation_whose_caller_went_away_still_runs_to_its_end() {
        let operations = Operations::default();
        let (finished, done) = tokio::sync::oneshot::channel();
        let call = operations.run("m", async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = finished.send(());
            Ok(())
        });
        // The caller polls the call once, then gives up on it, as a hung-up request does.
        let _ = tokio::time::timeout(Duration::from_millis(10), call).await;
        assert_eq!(operations.under_way(), vec!["m".to_owned()]);
        assert_eq!(
            operations.run("m", async { Ok(()) }).await,
            Err(ServiceError::Conflict(
                "another request is changing model m; read the model again once it has answered"
                    .into()
            ))
        );
        assert!(operations.drain(Duration::from_secs(5)).await.is_empty());
        assert!(done.await.is_ok(), "the operation finished");
        assert_eq!(operations.run("m", async { Ok(7) }).await, Ok(7));
    }

    #[tokio::test]
    async fn drain_gives_up_after_its_bound_and_names_what_still_runs() {
        let operations = Operations::default();
        let background = operations.clone();
        tokio::spawn(async move {
            background
                .run("slow", async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(())
                })
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            operations.drain(Duration::from_millis(50)).await,
            vec!["slow".to_owned()]
        );
    }
}
