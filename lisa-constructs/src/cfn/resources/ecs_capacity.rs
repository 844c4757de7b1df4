//! `AWS::ECS::CapacityProvider` and `AWS::ECS::ClusterCapacityProviderAssociations`: an Auto
//! Scaling group handed to ECS, so that ECS sizes it for the tasks and drains an instance's
//! tasks before it terminates.

use serde::Serialize;

use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::ECS::CapacityProvider` backed by an Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProvider {
    /// Physical name; must not start with `aws`, `ecs` or `fargate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// The Auto Scaling group behind it.
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
}
crate::references_of_fields!(CapacityProvider {
    name,
    auto_scaling_group_provider
});
resource_type!(CapacityProvider, "AWS::ECS::CapacityProvider");

/// `CapacityProvider.AutoScalingGroupProvider`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroupProvider {
    /// The group's ARN or name.
    pub auto_scaling_group_arn: Expr,
    /// `ENABLED`: ECS owns a termination lifecycle hook on the group, drains the instance's
    /// tasks, then lets the termination continue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_draining: Option<Expr>,
    /// ECS-driven scaling of the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_scaling: Option<ManagedScaling>,
    /// `ENABLED` needs managed scaling and scale-in protection on every instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_termination_protection: Option<Expr>,
}
crate::references_of_fields!(AutoScalingGroupProvider {
    auto_scaling_group_arn,
    managed_draining,
    managed_scaling,
    managed_termination_protection
});

/// `AutoScalingGroupProvider.ManagedScaling`: ECS keeps a target-tracking policy on the group
/// (metric `CapacityProviderReservation`) so that the group has the instances the tasks need.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedScaling {
    /// `ENABLED` or `DISABLED`.
    pub status: Expr,
    /// Target utilization in percent (ENABLED only): 100 leaves no idle instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_capacity: Option<Integer>,
    /// The fewest instances one scaling step adds or removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_scaling_step_size: Option<Integer>,
    /// The most instances one scaling step adds or removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_scaling_step_size: Option<Integer>,
    /// Seconds before a new instance counts toward the group's metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_warmup_period: Option<Integer>,
}
crate::references_of_fields!(ManagedScaling {
    status,
    target_capacity,
    minimum_scaling_step_size,
    maximum_scaling_step_size,
    instance_warmup_period
});

/// `AWS::ECS::ClusterCapacityProviderAssociations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterCapacityProviderAssociations {
    /// The cluster's name.
    pub cluster: Expr,
    /// Capacity provider names.
    pub capacity_providers: Vec<Expr>,
    /// The strategy for tasks started without a launch type or strategy.
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
}
crate::references_of_fields!(ClusterCapacityProviderAssociations {
    cluster,
    capacity_providers,
    default_capacity_provider_strategy
});
resource_type!(
    ClusterCapacityProviderAssociations,
    "AWS::ECS::ClusterCapacityProviderAssociations"
);

/// One entry of a capacity provider strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProviderStrategyItem {
    /// The capacity provider's name.
    pub capacity_provider: Expr,
    /// Relative share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Integer>,
    /// Tasks placed here first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<Integer>,
}
crate::references_of_fields!(CapacityProviderStrategyItem {
    capacity_provider,
    weight,
    base
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draining_provider_renders() {
        let provider = CapacityProvider {
            name: None,
            auto_scaling_group_provider: AutoScalingGroupProvider {
                auto_scaling_group_arn: Expr::ref_("Group"),
                managed_draining: Some(Expr::str("ENABLED")),
                managed_scaling: None,
                managed_termination_protection: Some(Expr::str("DISABLED")),
            },
        };
        assert_eq!(
            serde_json::to_value(&provider).expect("json"),
            json!({"AutoScalingGroupProvider": {
                "AutoScalingGroupArn": {"Ref": "Group"},
                "ManagedDraining": "ENABLED",
                "ManagedTerminationProtection": "DISABLED"
            }})
        );
    }
}
