//! `AWS::AutoScaling::*`: groups and scaling policies.

use serde::Serialize;

use crate::cfn::{Expr, Integer, NumericString, resource_type};

/// `AWS::AutoScaling::AutoScalingGroup`. `MinSize`, `MaxSize`, `DesiredCapacity` and `Cooldown`
/// are String-typed in the spec and always render as JSON strings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_name: Option<Expr>,
    /// Minimum instances.
    pub min_size: NumericString,
    /// Maximum instances.
    pub max_size: NumericString,
    /// Desired instances. Leave unset unless asked: a fixed value resets the group on every update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<NumericString>,
    /// Seconds between simple-scaling activities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<NumericString>,
    /// Seconds before a new instance counts toward metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_instance_warmup: Option<Integer>,
    /// Subnet ids (a list, or one intrinsic yielding a list).
    #[serde(rename = "VPCZoneIdentifier", skip_serializing_if = "Option::is_none")]
    pub vpc_zone_identifier: Option<Expr>,
    /// Launch template and version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_template: Option<LaunchTemplateSpecification>,
    /// `EC2` or `ELB`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_type: Option<Expr>,
    /// Seconds before health checks count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period: Option<Integer>,
    /// Target groups instances register with.
    #[serde(rename = "TargetGroupARNs", skip_serializing_if = "Vec::is_empty")]
    pub target_group_arns: Vec<Expr>,
    /// Protect new instances from scale-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_instances_protected_from_scale_in: Option<bool>,
    /// Tags (optionally copied to instances).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagProperty>,
}
crate::references_of_fields!(AutoScalingGroup {
    auto_scaling_group_name,
    min_size,
    max_size,
    desired_capacity,
    cooldown,
    default_instance_warmup,
    vpc_zone_identifier,
    launch_template,
    health_check_type,
    health_check_grace_period,
    target_group_arns,
    new_instances_protected_from_scale_in,
    tags
});
resource_type!(AutoScalingGroup, "AWS::AutoScaling::AutoScalingGroup");

impl AutoScalingGroup {
    /// A group with its required sizes and nothing else.
    pub fn new(min_size: impl Into<NumericString>, max_size: impl Into<NumericString>) -> Self {
        AutoScalingGroup {
            auto_scaling_group_name: None,
            min_size: min_size.into(),
            max_size: max_size.into(),
            desired_capacity: None,
            cooldown: None,
            default_instance_warmup: None,
            vpc_zone_identifier: None,
            launch_template: None,
            health_check_type: None,
            health_check_grace_period: None,
            target_group_arns: Vec::new(),
            new_instances_protected_from_scale_in: None,
            tags: Vec::new(),
        }
    }
}

/// `AutoScalingGroup.LaunchTemplate` (`Version` is String-typed and required).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    /// Template id (give this or the name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_template_id: Option<Expr>,
    /// Template name (give this or the id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_template_name: Option<Expr>,
    /// Version number, rendered as a JSON string.
    pub version: NumericString,
}
crate::references_of_fields!(LaunchTemplateSpecification {
    launch_template_id,
    launch_template_name,
    version
});

impl LaunchTemplateSpecification {
    /// The latest version of the launch template with logical id `logical_id`
    /// (`Ref` for the id, `GetAtt LatestVersionNumber` for the version).
    pub fn latest(logical_id: &str) -> LaunchTemplateSpecification {
        LaunchTemplateSpecification {
            launch_template_id: Some(Expr::ref_(logical_id)),
            launch_template_name: None,
            version: NumericString::from(Expr::get_att(logical_id, "LatestVersionNumber")),
        }
    }
}

/// `AutoScalingGroup.Tags[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagProperty {
    /// Tag key.
    pub key: Expr,
    /// Tag value.
    pub value: Expr,
    /// Copy the tag to launched instances.
    pub propagate_at_launch: bool,
}
crate::references_of_fields!(TagProperty {
    key,
    value,
    propagate_at_launch
});

/// `AWS::AutoScaling::ScalingPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    /// The group (its `Ref`).
    pub auto_scaling_group_name: Expr,
    /// `TargetTrackingScaling`, `StepScaling`, `SimpleScaling`, `PredictiveScaling`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<Expr>,
    /// Seconds before a new instance's metrics count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_instance_warmup: Option<Integer>,
    /// Simple-scaling cooldown (String-typed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<NumericString>,
    /// Target-tracking settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tracking_configuration: Option<TargetTrackingConfiguration>,
}
crate::references_of_fields!(ScalingPolicy {
    auto_scaling_group_name,
    policy_type,
    estimated_instance_warmup,
    cooldown,
    target_tracking_configuration
});
resource_type!(ScalingPolicy, "AWS::AutoScaling::ScalingPolicy");

impl ScalingPolicy {
    /// A target-tracking policy on `group`.
    pub fn target_tracking(group: impl Into<Expr>, config: TargetTrackingConfiguration) -> Self {
        ScalingPolicy {
            auto_scaling_group_name: group.into(),
            policy_type: Some(Expr::from("TargetTrackingScaling")),
            estimated_instance_warmup: None,
            cooldown: None,
            target_tracking_configuration: Some(config),
        }
    }
}

/// `ScalingPolicy.TargetTrackingConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingConfiguration {
    /// A predefined metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetricSpecification>,
    /// A CloudWatch metric of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<CustomizedMetricSpecification>,
    /// The value to hold the metric at (a Double).
    pub target_value: f64,
    /// Never remove instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}
crate::references_of_fields!(TargetTrackingConfiguration {
    predefined_metric_specification,
    customized_metric_specification,
    target_value,
    disable_scale_in
});

/// `TargetTrackingConfiguration.PredefinedMetricSpecification`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetricSpecification {
    /// `ASGAverageCPUUtilization`, `ALBRequestCountPerTarget`, ...
    pub predefined_metric_type: Expr,
    /// For `ALBRequestCountPerTarget`:
    /// `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<Expr>,
}
crate::references_of_fields!(PredefinedMetricSpecification {
    predefined_metric_type,
    resource_label
});

/// `TargetTrackingConfiguration.CustomizedMetricSpecification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomizedMetricSpecification {
    /// Metric name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<Expr>,
    /// Metric namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Expr>,
    /// `Average`, `Sum`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Expr>,
    /// Metric unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Expr>,
    /// The metric's period in seconds: 10, 30 or 60 (default 60).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Integer>,
    /// Metric dimensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<MetricDimension>,
}
crate::references_of_fields!(CustomizedMetricSpecification {
    metric_name,
    namespace,
    statistic,
    unit,
    period,
    dimensions
});

/// A `{Name, Value}` metric dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDimension {
    /// Dimension name.
    pub name: Expr,
    /// Dimension value.
    pub value: Expr,
}
crate::references_of_fields!(MetricDimension { name, value });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn group_sizes_and_version_are_strings_warmups_are_numbers() {
        let mut g = AutoScalingGroup::new(1u32, 3u32);
        g.desired_capacity = Some(2u32.into());
        g.cooldown = Some(420u32.into());
        g.default_instance_warmup = Some(300u32.into());
        g.health_check_grace_period = Some(600u32.into());
        g.vpc_zone_identifier = Some(Expr::ref_("Subnets"));
        g.launch_template = Some(LaunchTemplateSpecification::latest("Lt"));
        g.target_group_arns.push(Expr::ref_("Tg"));
        g.tags.push(TagProperty {
            key: "Name".into(),
            value: "m".into(),
            propagate_at_launch: true,
        });
        let v = Resource::new(&g)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["MinSize"], json!("1"));
        assert_eq!(v["MaxSize"], json!("3"));
        assert_eq!(v["DesiredCapacity"], json!("2"));
        assert_eq!(v["Cooldown"], json!("420"));
        assert_eq!(v["DefaultInstanceWarmup"], json!(300));
        assert_eq!(v["HealthCheckGracePeriod"], json!(600));
        assert_eq!(v["VPCZoneIdentifier"], json!({"Ref": "Subnets"}));
        assert_eq!(v["TargetGroupARNs"], json!([{"Ref": "Tg"}]));
        assert_eq!(
            v["LaunchTemplate"],
            json!({"LaunchTemplateId": {"Ref": "Lt"}, "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}})
        );
        let literal = LaunchTemplateSpecification {
            launch_template_id: Some(Expr::ref_("Lt")),
            launch_template_name: None,
            version: 3u32.into(),
        };
        assert_eq!(
            serde_json::to_value(&literal).expect("json")["Version"],
            json!("3")
        );
    }

    #[test]
    fn target_tracking_policy_renders_double_target() {
        let p = ScalingPolicy {
            estimated_instance_warmup: Some(180u32.into()),
            ..ScalingPolicy::target_tracking(
                Expr::ref_("Asg"),
                TargetTrackingConfiguration {
                    predefined_metric_specification: Some(PredefinedMetricSpecification {
                        predefined_metric_type: "ALBRequestCountPerTarget".into(),
                        resource_label: Some(Expr::join(
                            "/",
                            [
                                Expr::get_att("Lb", "LoadBalancerFullName"),
                                Expr::get_att("Tg", "TargetGroupFullName"),
                            ],
                        )),
                    }),
                    customized_metric_specification: None,
                    target_value: 30.0,
                    disable_scale_in: Some(false),
                },
            )
        };
        let v = Resource::new(&p)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["PolicyType"], json!("TargetTrackingScaling"));
        assert_eq!(v["EstimatedInstanceWarmup"], json!(180));
        assert!(v["TargetTrackingConfiguration"]["TargetValue"].is_f64());
        assert_eq!(v["TargetTrackingConfiguration"]["TargetValue"], json!(30.0));
    }
}
