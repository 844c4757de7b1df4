//! Checking a request against the stack it claims to come from.
//!
//! A request is written by whoever may invoke the function, so beyond the pinned endpoint and
//! secret ([`crate::pinned`]) nothing in it is taken on its word:
//!
//! - the stack is one of the deployment's, `<deployment>-<modelId>`, and the model the request
//!   names is that `modelId` (LiteLLM's model name, what clients ask for);
//! - a delete names the registration id derived from that stack and model, never another entry;
//! - CloudFormation is running the operation the request asks for: the stack (by its ARN, so not
//!   a later stack of the same name) lists the resource as a `Custom::LiteLLMModel` in
//!   `CREATE_IN_PROGRESS`, `UPDATE_IN_PROGRESS` or `DELETE_IN_PROGRESS`;
//! - a create or update sends prompts only to the stack's own load balancer: `ApiBase` is
//!   `http(s)://<host>/v1` with the load balancer's DNS name (or the stack's `DomainName`, which
//!   the stack points at that load balancer), and `TargetGroupArn` and `AlternateTargetGroupArn`
//!   are target groups of the stack.

use lisa_constructs::ecs_model::registration::{
    RESOURCE_TYPE, RegistrationProperties, registration_id,
};
use lisa_constructs::ecs_model::stack_io::parameter::DOMAIN_NAME;
use lisa_constructs::model::ModelId;

use crate::error::{Refusal, RegistrarError};
use crate::stacks::{LookupError, StackResource, Stacks};

const LOAD_BALANCER_TYPE: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const TARGET_GROUP_TYPE: &str = "AWS::ElasticLoadBalancingV2::TargetGroup";

pub use crate::operation::Operation;

/// What a request says about where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The stack's ARN.
    pub stack_id: &'a str,
    /// The resource in the stack's template.
    pub logical_id: &'a str,
    /// The model the stack's name gives (see [`crate::pinned::Pinned::admit`]).
    pub stack_model: &'a ModelId,
    /// What the request asks for.
    pub operation: Operation,
}

impl Claim<'_> {
    /// The model the request names must be the stack's.
    pub fn same_model(&self, properties: &RegistrationProperties) -> Result<(), Refusal> {
        if properties.model_id == self.stack_model.as_str() {
            return Ok(());
        }
        Err(Refusal::NotTheStacksModel {
            stack_id: self.stack_id.to_owned(),
            stack_model: self.stack_model.as_str().to_owned(),
            model_id: properties.model_id.clone(),
        })
    }

    /// The stack's own registration id, the only entry its requests may write or remove.
    pub fn registration_id(&self) -> String {
        registration_id(self.stack_id, self.stack_model.as_str())
    }

    /// A delete must name the stack's own registration id.
    pub fn own_registration(&self, physical_id: &str) -> Result<(), Refusal> {
        let expected = self.registration_id();
        if physical_id == expected {
            return Ok(());
        }
        Err(Refusal::NotTheStacksRegistration {
            stack_id: self.stack_id.to_owned(),
            physical_id: physical_id.to_owned(),
            expected,
        })
    }

    fn lookup_failed(&self, source: LookupError) -> RegistrarError {
        RegistrarError::StackLookup {
            stack_id: self.stack_id.to_owned(),
            source,
        }
    }

    /// Checks that CloudFormation is running the request's operation on the resource; gives the
    /// stack's resources.
    pub async fn in_progress(
        &self,
        stacks: &dyn Stacks,
    ) -> Result<Vec<StackResource>, RegistrarError> {
        let resources = stacks
            .resources(self.stack_id)
            .await
            .map_err(|e| self.lookup_failed(e))?;
        let expected = self.operation.in_progress();
        let found = match &resources {
            None => Some("CloudFormation knows no such stack".to_owned()),
            Some(resources) => match resources.iter().find(|r| r.logical_id == self.logical_id) {
                None => Some("the stack has no such resource".to_owned()),
                Some(r) if r.resource_type != RESOURCE_TYPE => Some(format!(
                    "it is a {}, not a {RESOURCE_TYPE}",
                    r.resource_type
                )),
                Some(r) if r.status != expected => Some(format!("it is {}", r.status)),
                Some(_) => None,
            },
        };
        match (found, resources) {
            (None, Some(resources)) => Ok(resources),
            (found, _) => Err(Refusal::NotInProgress {
                stack_id: self.stack_id.to_owned(),
                logical_id: self.logical_id.to_owned(),
                operation: self.operation,
                found: found.unwrap_or_default(),
            }
            .into()),
        }
    }

    /// Checks that the model is served by the stack itself: `ApiBase` names its load balancer
    /// (a stack with one must give it, a stack without one must not), and the target groups the
    /// resource names are its own.
    pub async fn served_by_stack(
        &self,
        stacks: &dyn Stacks,
        resources: &[StackResource],
        properties: &RegistrationProperties,
    ) -> Result<(), RegistrarError> {
        let of_type = |kind: &str| -> Vec<String> {
            resources
                .iter()
                .filter(|r| r.resource_type == kind)
                .filter_map(|r| r.physical_id.clone())
                .collect()
        };
        let target_groups = of_type(TARGET_GROUP_TYPE);
        let named = [
            &properties.target_group_arn,
            &properties.alternate_target_group_arn,
        ];
        if let Some(target_group) = named
            .into_iter()
            .flatten()
            .find(|arn| !target_groups.contains(arn))
        {
            return Err(Refusal::NotTheStacksTargetGroup {
                stack_id: self.stack_id.to_owned(),
                target_group: target_group.clone(),
            }
            .into());
        }
        let load_balancers = of_type(LOAD_BALANCER_TYPE);
        if load_balancers.is_empty() {
            return match &properties.api_base {
                None => Ok(()),
                Some(api_base) => Err(Refusal::NotTheStacksApiBase {
                    stack_id: self.stack_id.to_owned(),
                    api_base: api_base.clone(),
                    served: "it has no load balancer".to_owned(),
                }
                .into()),
            };
        }
        let dns_names = stacks
            .load_balancer_dns_names(&load_balancers)
            .await
            .map_err(|e| self.lookup_failed(e))?;
        let Some(api_base) = &properties.api_base else {
            return Err(Refusal::NoApiBase {
                stack_id: self.stack_id.to_owned(),
                served: dns_names.join(", "),
            }
            .into());
        };
        let host = api_host(api_base);
        let is = |name: &str| host.is_some_and(|h| h.eq_ignore_ascii_case(name));
        if dns_names.iter().any(|name| is(name)) {
            return Ok(());
        }
        // The stack's alias record gives its load balancer this name.
        let domain = stacks
            .parameter(self.stack_id, DOMAIN_NAME)
            .await
            .map_err(|e| self.lookup_failed(e))?
            .filter(|name| !name.is_empty());
        if domain.as_deref().is_some_and(is) {
            return Ok(());
        }
        let mut served = dns_names;
        served.extend(domain);
        Err(Refusal::NotTheStacksApiBase {
            stack_id: self.stack_id.to_owned(),
            api_base: api_base.clone(),
            served: served.join(", "),
        }
        .into())
    }
}

/// The host of an `http://<host>/v1` or `https://<host>/v1` base URL, the one shape a model stack
/// renders; `None` for any other (a port, user info, another path), so nothing but the host can
/// differ from what the stack serves.
fn api_host(api_base: &str) -> Option<&str> {
    let rest = api_base
        .strip_prefix("https://")
        .or_else(|| api_base.strip_prefix("http://"))?;
    let host = rest
        .strip_suffix("/v1")
        .or_else(|| rest.strip_suffix("/v1/"))?;
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    (!host.is_empty() && host.chars().all(plain)).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_host_under_v1_is_read() {
        let lb = "internal-lisa-m-1.us-east-1.elb.amazonaws.com";
        assert_eq!(api_host(&format!("http://{lb}/v1")), Some(lb));
        assert_eq!(api_host(&format!("https://{lb}/v1/")), Some(lb));
        for other in [
            format!("http://{lb}:8080/v1"),
            format!("http://user@{lb}/v1"),
            format!("http://{lb}/v2"),
            format!("http://{lb}/v1/../x"),
            format!("http://{lb}/v1?x=/v1"),
            format!("ftp://{lb}/v1"),
            format!("{lb}/v1"),
            "http:///v1".to_owned(),
        ] {
            assert_eq!(api_host(&other), None, "{other}");
        }
    }
}
