//! What the function trusts: the deployment, the LiteLLM endpoint and the master-key secret that
//! the bootstrap stack pins in the function's own environment. A request is only a claim (anyone
//! allowed to invoke the function, or to create a stack with its ServiceToken, writes it), so the
//! function serves only its deployment's stacks in its own account and region, and sends the
//! master key only to the pinned endpoint, read only from the pinned secret.

use lisa_constructs::ecs_model::model_stack_prefix;
use lisa_constructs::ecs_model::registration::{RegistrationProperties, function};
use lisa_constructs::model::ModelId;

use crate::error::Refusal;

/// The function's pinned configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Pinned {
    /// The deployment: its model stacks' names are [`model_stack_prefix`] and the model id.
    pub deployment_name: String,
    /// The LiteLLM proxy's base URL.
    pub litellm_endpoint: String,
    /// The secret holding the proxy's master key.
    pub master_key_secret_arn: String,
}

/// The parts of an ARN this check needs.
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn arn(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(_service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(Arn {
        partition,
        region,
        account,
        resource,
    })
}

/// An endpoint with and without a trailing slash is the same endpoint.
fn same_endpoint(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

impl Pinned {
    /// Reads the variables named in [`function`]; without one (missing or empty), its name.
    pub fn from_env() -> Result<Pinned, &'static str> {
        let read = |variable: &'static str| {
            std::env::var(variable)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(variable)
        };
        Ok(Pinned {
            deployment_name: read(function::ENV_DEPLOYMENT_NAME)?,
            litellm_endpoint: read(function::ENV_LITELLM_ENDPOINT)?,
            master_key_secret_arn: read(function::ENV_MASTER_KEY_SECRET_ARN)?,
        })
    }

    /// Admits a request from `stack_id` to the function `function_arn` when the stack is one of
    /// the deployment's model stacks (its name is [`model_stack_prefix`] and a model id) and
    /// lives in the function's partition, account and region; gives the model the stack's name
    /// says it holds.
    pub fn admit(&self, stack_id: &str, function_arn: &str) -> Result<ModelId, Refusal> {
        let refuse = |why: String| Refusal::ForeignStack {
            stack_id: stack_id.to_owned(),
            deployment: self.deployment_name.clone(),
            why,
        };
        let stack = arn(stack_id).ok_or_else(|| refuse("not a stack ARN".into()))?;
        let own = arn(function_arn).ok_or_else(|| {
            refuse(format!(
                "the function's own ARN {function_arn:?} is unreadable"
            ))
        })?;
        let stack_name = stack
            .resource
            .strip_prefix("stack/")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| refuse("not a stack ARN".into()))?;
        if (stack.partition, stack.account, stack.region)
            != (own.partition, own.account, own.region)
        {
            return Err(refuse(format!(
                "it is in account {} region {}, the function in account {} region {}",
                stack.account, stack.region, own.account, own.region
            )));
        }
        let prefix = model_stack_prefix(&self.deployment_name);
        // A deployment name cannot hold the separator, so the prefix is this deployment's only.
        let model = stack_name
            .strip_prefix(&prefix)
            .filter(|model| !model.is_empty())
            .ok_or_else(|| refuse(format!("its name does not start with {prefix:?}")))?;
        ModelId::parse(model).map_err(|why| {
            refuse(format!(
                "its name after {prefix:?} is not a model id: it {why}"
            ))
        })
    }

    /// Accepts properties that name the pinned endpoint and secret.
    pub fn check(&self, properties: &RegistrationProperties) -> Result<(), Refusal> {
        if !same_endpoint(&properties.lite_llm_endpoint, &self.litellm_endpoint) {
            return Err(Refusal::NotPinnedValue {
                property: "LiteLlmEndpoint",
                given: properties.lite_llm_endpoint.clone(),
                pinned: self.litellm_endpoint.clone(),
            });
        }
        if properties.master_key_secret_arn.trim() != self.master_key_secret_arn {
            return Err(Refusal::NotPinnedValue {
                property: "MasterKeySecretArn",
                given: properties.master_key_secret_arn.clone(),
                pinned: self.master_key_secret_arn.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:lisa-registrar";

    fn pinned() -> Pinned {
        Pinned {
            deployment_name: "lisa".into(),
            litellm_endpoint: "https://litellm.internal".into(),
            master_key_secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:k".into(),
        }
    }

    fn stack(account: &str, region: &str, name: &str) -> String {
        format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/5b6a8f40-cb7e")
    }

    #[test]
    fn only_the_deployments_stacks_in_the_functions_account_and_region_are_admitted() {
        let p = pinned();
        let ours = |model: &str| format!("{}{model}", model_stack_prefix("lisa"));
        let model = |name: &str| {
            p.admit(&stack("123456789012", "us-east-1", name), FUNCTION)
                .map(|model| model.as_str().to_owned())
                .ok()
        };
        assert_eq!(model(&ours("m")).as_deref(), Some("m"));
        assert_eq!(model(&ours("m-2")).as_deref(), Some("m-2"));
        let others = format!("{}m", model_stack_prefix("prod"));
        // Another deployment whose name starts with this one's.
        let longer = format!("{}m", model_stack_prefix("lisaprod"));
        for (stack_id, why) in [
            (
                stack("123456789012", "us-east-1", &others),
                "does not start",
            ),
            (
                stack("123456789012", "us-east-1", &longer),
                "does not start",
            ),
            (stack("123456789012", "us-east-1", "lisa"), "does not start"),
            (
                stack("123456789012", "us-east-1", &ours("")),
                "does not start",
            ),
            (
                stack("123456789012", "us-east-1", &ours("-m")),
                "is not a model id",
            ),
            (
                stack("123456789012", "us-east-1", &ours("Model")),
                "is not a model id",
            ),
            (
                stack("210987654321", "us-east-1", &ours("m")),
                "account 210987654321",
            ),
            (
                stack("123456789012", "eu-west-1", &ours("m")),
                "region eu-west-1",
            ),
            (ours("m"), "not a stack ARN"),
        ] {
            let error = p
                .admit(&stack_id, FUNCTION)
                .expect_err(&stack_id)
                .to_string();
            assert!(error.contains(why), "{stack_id}: {error}");
        }
    }
}
