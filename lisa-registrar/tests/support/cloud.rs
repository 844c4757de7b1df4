//! CloudFormation and Elastic Load Balancing as the function reads them, held in memory: stacks
//! with their resources and parameters, and the load balancers' DNS names. A test sets the state
//! CloudFormation would be in (a resource in `CREATE_IN_PROGRESS` while its stack is created, say)
//! or makes the reads fail; tests/cloudformation.rs checks the real lookups against moto.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lisa_registrar::{Lookup, LookupError, StackResource, Stacks};

/// One stack's state.
#[derive(Debug, Clone, Default)]
struct Stack {
    resources: Vec<StackResource>,
    parameters: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct State {
    stacks: HashMap<String, Stack>,
    dns_names: HashMap<String, String>,
    failing: Option<String>,
    reads: usize,
}

/// The shared state; clones see the same stacks.
#[derive(Debug, Clone, Default)]
pub struct Cloud {
    state: Arc<Mutex<State>>,
}

impl Cloud {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("not poisoned"))
    }

    /// Adds (or replaces) a resource of `stack_id`.
    pub fn set_resource(
        &self,
        stack_id: &str,
        logical_id: &str,
        resource_type: &str,
        physical_id: Option<&str>,
        status: &str,
    ) {
        self.with(|s| {
            let stack = s.stacks.entry(stack_id.to_owned()).or_default();
            stack.resources.retain(|r| r.logical_id != logical_id);
            stack.resources.push(StackResource {
                logical_id: logical_id.to_owned(),
                physical_id: physical_id.map(str::to_owned),
                resource_type: resource_type.to_owned(),
                status: status.to_owned(),
            });
        });
    }

    /// Removes a resource of `stack_id`.
    pub fn remove_resource(&self, stack_id: &str, logical_id: &str) {
        self.with(|s| {
            if let Some(stack) = s.stacks.get_mut(stack_id) {
                stack.resources.retain(|r| r.logical_id != logical_id);
            }
        });
    }

    /// Sets the status of a resource already added.
    pub fn set_status(&self, stack_id: &str, logical_id: &str, status: &str) {
        self.with(|s| {
            let resource = s
                .stacks
                .get_mut(stack_id)
                .and_then(|stack| {
                    stack
                        .resources
                        .iter_mut()
                        .find(|r| r.logical_id == logical_id)
                })
                .expect("the resource was added");
            resource.status = status.to_owned();
        });
    }

    /// Adds a load balancer to `stack_id`, as CloudFormation lists it and ELB describes it.
    pub fn set_load_balancer(&self, stack_id: &str, logical_id: &str, arn: &str, dns_name: &str) {
        self.set_resource(
            stack_id,
            logical_id,
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            Some(arn),
            "CREATE_COMPLETE",
        );
        self.with(|s| s.dns_names.insert(arn.to_owned(), dns_name.to_owned()));
    }

    /// Sets a parameter value of `stack_id`.
    pub fn set_parameter(&self, stack_id: &str, name: &str, value: &str) {
        self.with(|s| {
            s.stacks
                .entry(stack_id.to_owned())
                .or_default()
                .parameters
                .insert(name.to_owned(), value.to_owned())
        });
    }

    /// Makes every later read fail with `message` (as a role without the permission would).
    pub fn fail(&self, message: &str) {
        self.with(|s| s.failing = Some(message.to_owned()));
    }

    /// How many reads the function made.
    pub fn reads(&self) -> usize {
        self.with(|s| s.reads)
    }

    fn read(&self, action: &'static str) -> Result<(), LookupError> {
        self.with(|s| {
            s.reads += 1;
            match &s.failing {
                Some(message) => Err(LookupError {
                    action,
                    message: message.clone(),
                }),
                None => Ok(()),
            }
        })
    }
}

impl Stacks for Cloud {
    fn resources<'a>(&'a self, stack_id: &'a str) -> Lookup<'a, Option<Vec<StackResource>>> {
        Box::pin(async move {
            self.read("DescribeStackResources")?;
            Ok(self.with(|s| s.stacks.get(stack_id).map(|stack| stack.resources.clone())))
        })
    }

    fn load_balancer_dns_names<'a>(&'a self, arns: &'a [String]) -> Lookup<'a, Vec<String>> {
        Box::pin(async move {
            self.read("DescribeLoadBalancers")?;
            self.with(|s| {
                arns.iter()
                    .map(|arn| {
                        s.dns_names.get(arn).cloned().ok_or_else(|| LookupError {
                            action: "DescribeLoadBalancers",
                            message: format!("LoadBalancerNotFound: {arn}"),
                        })
                    })
                    .collect()
            })
        })
    }

    fn parameter<'a>(&'a self, stack_id: &'a str, name: &'a str) -> Lookup<'a, Option<String>> {
        Box::pin(async move {
            self.read("DescribeStacks")?;
            Ok(self.with(|s| {
                s.stacks
                    .get(stack_id)
                    .and_then(|stack| stack.parameters.get(name).cloned())
            }))
        })
    }
}
