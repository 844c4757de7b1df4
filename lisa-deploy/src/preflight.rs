//! Checks before a create or a resize, so that a model that cannot run is refused with nothing
//! created: the region offers the instance type, at least two Availability Zones of the model
//! subnets offer it, and the account's on-demand vCPU quota for the family covers the model's
//! peak (`maxCapacity` instances, twice over while a blue/green deployment runs). A quota that cannot be read (no permission, no such quota) is a warning.

use crate::aws::{Clients, call};
use crate::error::{DeployError, Result};
use aws_sdk_ec2::types::{Filter, LocationType};
use lisa_constructs::ecs_model::capacity::peak_instances_of;
use lisa_constructs::model::{AutoScalingConfig, InstanceSpec, ModelDefinition};
use std::collections::BTreeSet;

/// The Service Quotas code of the on-demand vCPU quota covering an instance family.
pub fn vcpu_quota_code(family: &str) -> (&'static str, &'static str) {
    match family.chars().next() {
        Some('g' | 'v') => ("L-DB2E81BA", "Running On-Demand G and VT instances"),
        Some('p') => ("L-417A185B", "Running On-Demand P instances"),
        Some('f') => ("L-74FC7D96", "Running On-Demand F instances"),
        Some('i') if family.starts_with("inf") => ("L-1945791B", "Running On-Demand Inf instances"),
        Some('x') => ("L-7295265B", "Running On-Demand X instances"),
        _ => (
            "L-1216C47A",
            "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        ),
    }
}

/// Runs every check for a model; `Ok(warnings)` when nothing refuses.
pub async fn preflight_model(
    clients: &Clients,
    definition: &ModelDefinition,
    subnet_ids: &[String],
) -> Result<Vec<String>> {
    let (Some(hosting), Some(instance)) = (&definition.hosting, definition.instance()) else {
        return Ok(Vec::new());
    };
    if let Err(errors) = definition.check_region(&clients.region) {
        return Err(DeployError::Preflight(errors.to_string()));
    }
    zones(clients, instance, subnet_ids).await?;
    quota(clients, instance, &hosting.auto_scaling_config).await
}

async fn zones(clients: &Clients, instance: &InstanceSpec, subnet_ids: &[String]) -> Result<()> {
    let ec2 = &clients.ec2;
    let subnets = call("EC2.DescribeSubnets", || {
        ec2.describe_subnets()
            .set_subnet_ids(Some(subnet_ids.to_vec()))
            .send()
    })
    .await?;
    let zones: BTreeSet<String> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone().map(str::to_owned))
        .collect();
    let offerings = call("EC2.DescribeInstanceTypeOfferings", || {
        ec2.describe_instance_type_offerings()
            .location_type(LocationType::AvailabilityZone)
            .filters(
                Filter::builder()
                    .name("instance-type")
                    .values(instance.name)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("location")
                    .set_values(Some(zones.iter().cloned().collect()))
                    .build(),
            )
            .send()
    })
    .await?;
    let offered: BTreeSet<&str> = offerings
        .instance_type_offerings()
        .iter()
        .filter_map(|o| o.location())
        .filter(|zone| zones.contains(*zone))
        .collect();
    if offered.len() >= 2 {
        return Ok(());
    }
    let zones: Vec<&str> = zones.iter().map(String::as_str).collect();
    let offered: Vec<&str> = offered.into_iter().collect();
    Err(DeployError::Preflight(format!(
        "{} must be offered in at least two Availability Zones of the model subnets; the subnets are in {}, and it is offered in {}",
        instance.name,
        if zones.is_empty() {
            "no zone".to_owned()
        } else {
            zones.join(", ")
        },
        if offered.is_empty() {
            "none of them".to_owned()
        } else {
            offered.join(", ")
        },
    )))
}

async fn quota(
    clients: &Clients,
    instance: &InstanceSpec,
    config: &AutoScalingConfig,
) -> Result<Vec<String>> {
    let (code, name) = vcpu_quota_code(instance.family());
    let quotas = &clients.service_quotas;
    let answer = call("ServiceQuotas.GetServiceQuota", || {
        quotas
            .get_service_quota()
            .service_code("ec2")
            .quota_code(code)
            .send()
    })
    .await;
    match answer {
        Ok(output) => match output.quota().and_then(|q| q.value()) {
            Some(limit) => within_quota(instance, config, limit).map(|()| Vec::new()),
            None => Ok(vec![format!(
                "the quota \"{name}\" ({code}) has no value: not checked"
            )]),
        },
        Err(error) => Ok(vec![format!(
            "could not read the vCPU quota \"{name}\" ({code}): {error}; not checked"
        )]),
    }
}

/// Whether the family's vCPU quota `limit` covers the model at its peak: a blue/green
/// deployment at `maxCapacity` runs a new task beside every old one, each on an instance of its
/// own ([`peak_instances_of`]).
fn within_quota(instance: &InstanceSpec, config: &AutoScalingConfig, limit: f64) -> Result<()> {
    let (code, name) = vcpu_quota_code(instance.family());
    let peak = peak_instances_of(config);
    let needed = f64::from(instance.vcpus) * f64::from(peak);
    if limit >= needed {
        return Ok(());
    }
    // The largest maxCapacity whose peak the quota covers.
    let fits = (limit / f64::from(instance.vcpus) / 2.0).floor();
    Err(DeployError::Preflight(format!(
        "maxCapacity {max} of {instance} peaks at {peak} instances during a deployment (new tasks start beside the old ones), {needed} vCPUs, but the account's quota \"{name}\" ({code}) is {limit} vCPUs: request an increase in Service Quotas{lower}",
        max = config.max_capacity,
        instance = instance.name,
        lower = if fits >= 1.0 {
            format!(" or lower maxCapacity to {fits}")
        } else {
            String::new()
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gpu_family_maps_to_its_quota() {
        assert_eq!(vcpu_quota_code("g5").0, "L-DB2E81BA");
        assert_eq!(vcpu_quota_code("g6e").0, "L-DB2E81BA");
        assert_eq!(vcpu_quota_code("p4d").0, "L-417A185B");
        assert_eq!(vcpu_quota_code("p5en").0, "L-417A185B");
        assert_eq!(vcpu_quota_code("m5").0, "L-1216C47A");
        assert_eq!(vcpu_quota_code("inf2").0, "L-1945791B");
    }

    #[test]
    fn the_quota_must_cover_twice_max_capacity() {
        let definition =
            ModelDefinition::from_json_str(include_str!("../../examples/models/mistral-vllm.json"))
                .expect("example");
        let instance = definition.instance().expect("hosted");
        let mut config = definition
            .hosting
            .as_ref()
            .expect("hosted")
            .auto_scaling_config
            .clone();
        config.max_capacity = 3;
        let config = &config;
        let peak = f64::from(instance.vcpus * config.max_capacity * 2);
        assert!(within_quota(instance, config, peak).is_ok());
        let error = within_quota(instance, config, peak - 1.0).expect_err("one vCPU short");
        let message = error.to_string();
        assert!(
            message.contains(&format!("peaks at {} instances", config.max_capacity * 2)),
            "{message}"
        );
        assert!(
            message.contains(&format!("lower maxCapacity to {}", config.max_capacity - 1)),
            "{message}"
        );
        let error = within_quota(instance, config, 1.0).expect_err("no room");
        assert!(!error.to_string().contains("lower maxCapacity"), "{error}");
    }
}
