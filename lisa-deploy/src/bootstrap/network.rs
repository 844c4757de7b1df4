//! Before a bootstrap: that the environment's network exists (EC2 reads, so only with the
//! `preflight` feature, like the model checks).

use super::BootstrapProblem;
use crate::aws::{Clients, call};
use crate::error::Result;
use aws_sdk_ec2::types::Filter;
use lisa_constructs::environment::Environment;

/// That the environment's network exists: its VPC, every subnet it names (the models' and the
/// registration function's) in that VPC, and the security groups it names. Every missing or
/// misplaced one is a problem; a call that fails is an error. Looked up by filters, which
/// answer with what exists rather than failing on the first unknown id.
pub(super) async fn check(
    clients: &Clients,
    environment: &Environment,
) -> Result<Vec<BootstrapProblem>> {
    let ec2 = &clients.ec2;
    let filter = |name: &str, values: Vec<String>| {
        Filter::builder()
            .name(name)
            .set_values(Some(values))
            .build()
    };
    let missing = |field: &'static str, id: &str| BootstrapProblem::Missing {
        field,
        id: id.to_owned(),
        region: clients.region.clone(),
    };
    let mut problems = Vec::new();
    let vpc_id = &environment.vpc_id;
    let vpcs = call("EC2.DescribeVpcs", || {
        ec2.describe_vpcs()
            .filters(filter("vpc-id", vec![vpc_id.clone()]))
            .send()
    })
    .await?;
    let vpc_exists = vpcs.vpcs().iter().any(|v| v.vpc_id() == Some(vpc_id));
    if !vpc_exists {
        problems.push(missing("vpcId", vpc_id));
    }

    let mut subnets: Vec<(&'static str, &String)> = Vec::new();
    for (field, ids) in [
        ("subnetIds", Some(&environment.subnet_ids)),
        (
            "registrationSubnetIds",
            environment.registration_subnet_ids.as_ref(),
        ),
    ] {
        for id in ids.into_iter().flatten() {
            if !subnets.iter().any(|(_, seen)| *seen == id) {
                subnets.push((field, id));
            }
        }
    }
    let found = call("EC2.DescribeSubnets", || {
        ec2.describe_subnets()
            .filters(filter(
                "subnet-id",
                subnets.iter().map(|(_, id)| (*id).clone()).collect(),
            ))
            .send()
    })
    .await?;
    for (field, id) in subnets {
        match found.subnets().iter().find(|s| s.subnet_id() == Some(id)) {
            None => problems.push(missing(field, id)),
            Some(subnet) => match subnet.vpc_id() {
                Some(actual) if vpc_exists && actual != vpc_id => {
                    problems.push(BootstrapProblem::OutsideVpc {
                        field,
                        id: id.clone(),
                        actual: actual.to_owned(),
                        vpc_id: vpc_id.clone(),
                    });
                }
                _ => {}
            },
        }
    }

    let groups: Vec<(&'static str, &String)> = environment
        .ingress
        .security_group_id
        .iter()
        .map(|id| ("loadBalancerIngressSecurityGroupId", id))
        .chain(
            environment
                .registration_security_group_ids
                .iter()
                .flatten()
                .map(|id| ("registrationSecurityGroupIds", id)),
        )
        .collect();
    if !groups.is_empty() {
        let found = call("EC2.DescribeSecurityGroups", || {
            ec2.describe_security_groups()
                .filters(filter(
                    "group-id",
                    groups.iter().map(|(_, id)| (*id).clone()).collect(),
                ))
                .send()
        })
        .await?;
        for (field, id) in groups {
            if !found
                .security_groups()
                .iter()
                .any(|g| g.group_id() == Some(id))
            {
                problems.push(missing(field, id));
            }
        }
    }
    Ok(problems)
}
