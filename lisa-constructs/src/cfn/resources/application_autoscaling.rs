//! `AWS::ApplicationAutoScaling::*`: scalable targets (an ECS service's desired count) and
//! target-tracking policies, on predefined metrics or on any CloudWatch metric (metric math
//! included).

use serde::Serialize;

use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::ApplicationAutoScaling::ScalableTarget`: the bounds a dimension (an ECS service's
/// `ecs:service:DesiredCount`) is held within. Registering it moves the current value into the
/// bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    /// The smallest value.
    pub min_capacity: Integer,
    /// The largest value.
    pub max_capacity: Integer,
    /// `service/<cluster name>/<service name>` for an ECS service.
    pub resource_id: Expr,
    /// `ecs:service:DesiredCount`, ...
    pub scalable_dimension: Expr,
    /// `ecs`, ...
    pub service_namespace: Expr,
    /// Pauses scaling (all false when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
}
crate::references_of_fields!(ScalableTarget {
    min_capacity,
    max_capacity,
    resource_id,
    scalable_dimension,
    service_namespace,
    suspended_state
});
resource_type!(
    ScalableTarget,
    "AWS::ApplicationAutoScaling::ScalableTarget"
);

impl ScalableTarget {
    /// The desired count of the ECS service `service_name` in cluster `cluster_name`.
    pub fn ecs_service(
        cluster_name: Expr,
        service_name: Expr,
        min_capacity: u32,
        max_capacity: u32,
    ) -> ScalableTarget {
        ScalableTarget {
            min_capacity: min_capacity.into(),
            max_capacity: max_capacity.into(),
            resource_id: Expr::join("/", [Expr::from("service"), cluster_name, service_name]),
            scalable_dimension: Expr::from("ecs:service:DesiredCount"),
            service_namespace: Expr::from("ecs"),
            suspended_state: None,
        }
    }
}

/// `ScalableTarget.SuspendedState`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SuspendedState {
    /// No scale-in by scaling policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_in_suspended: Option<bool>,
    /// No scale-out by scaling policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_out_suspended: Option<bool>,
    /// No scheduled actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_scaling_suspended: Option<bool>,
}
crate::references_of_fields!(SuspendedState {
    dynamic_scaling_in_suspended,
    dynamic_scaling_out_suspended,
    scheduled_scaling_suspended
});

/// `AWS::ApplicationAutoScaling::ScalingPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    /// Name, unique per scalable target.
    pub policy_name: Expr,
    /// `TargetTrackingScaling`, `StepScaling` or `PredictiveScaling`.
    pub policy_type: Expr,
    /// The scalable target (its `Ref`).
    pub scaling_target_id: Expr,
    /// Target-tracking settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tracking_scaling_policy_configuration:
        Option<TargetTrackingScalingPolicyConfiguration>,
}
crate::references_of_fields!(ScalingPolicy {
    policy_name,
    policy_type,
    scaling_target_id,
    target_tracking_scaling_policy_configuration
});
resource_type!(ScalingPolicy, "AWS::ApplicationAutoScaling::ScalingPolicy");

impl ScalingPolicy {
    /// A target-tracking policy on the scalable target `target`.
    pub fn target_tracking(
        policy_name: impl Into<Expr>,
        target: Expr,
        configuration: TargetTrackingScalingPolicyConfiguration,
    ) -> ScalingPolicy {
        ScalingPolicy {
            policy_name: policy_name.into(),
            policy_type: Expr::from("TargetTrackingScaling"),
            scaling_target_id: target,
            target_tracking_scaling_policy_configuration: Some(configuration),
        }
    }
}

/// `ScalingPolicy.TargetTrackingScalingPolicyConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingScalingPolicyConfiguration {
    /// A metric Application Auto Scaling defines (`ALBRequestCountPerTarget`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetricSpecification>,
    /// A CloudWatch metric, or metric math over several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<CustomizedMetricSpecification>,
    /// The value to hold the metric at (a Double).
    pub target_value: f64,
    /// Seconds after a scale-in before the next one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<Integer>,
    /// Seconds after a scale-out during which its capacity counts as already there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<Integer>,
    /// Never scale in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}
crate::references_of_fields!(TargetTrackingScalingPolicyConfiguration {
    predefined_metric_specification,
    customized_metric_specification,
    target_value,
    scale_in_cooldown,
    scale_out_cooldown,
    disable_scale_in
});

/// `TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetricSpecification {
    /// `ECSServiceAverageCPUUtilization`, `ALBRequestCountPerTarget`, ...
    pub predefined_metric_type: Expr,
    /// For `ALBRequestCountPerTarget`: `app/<lb>/<id>/targetgroup/<tg>/<id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<Expr>,
}
crate::references_of_fields!(PredefinedMetricSpecification {
    predefined_metric_type,
    resource_label
});

/// `TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification`: one metric (name,
/// namespace, dimensions, statistic) or a metric-math query (`Metrics`) returning one series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomizedMetricSpecification {
    /// Metric name (one-metric form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<Expr>,
    /// Metric namespace (one-metric form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Expr>,
    /// Metric dimensions (one-metric form).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<MetricDimension>,
    /// `Average`, `Sum`, ... (one-metric form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Expr>,
    /// The metric's unit (one-metric form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Expr>,
    /// Metric-math queries; exactly one returns data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<TargetTrackingMetricDataQuery>,
}
crate::references_of_fields!(CustomizedMetricSpecification {
    metric_name,
    namespace,
    dimensions,
    statistic,
    unit,
    metrics
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

impl MetricDimension {
    /// A dimension.
    pub fn new(name: impl Into<Expr>, value: impl Into<Expr>) -> MetricDimension {
        MetricDimension {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// `CustomizedMetricSpecification.Metrics[]`: a metric or an expression over the others.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingMetricDataQuery {
    /// Short name, starting with a lowercase letter; expressions use it.
    pub id: Expr,
    /// A metric-math expression (instead of `MetricStat`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expr>,
    /// A human-readable label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Expr>,
    /// A metric and its statistic (instead of `Expression`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<TargetTrackingMetricStat>,
    /// Whether this query is the one the policy tracks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
}
crate::references_of_fields!(TargetTrackingMetricDataQuery {
    id,
    expression,
    label,
    metric_stat,
    return_data
});

impl TargetTrackingMetricDataQuery {
    /// A metric the expression reads, not tracked itself.
    pub fn metric(id: &str, metric: TargetTrackingMetric, stat: &str) -> Self {
        TargetTrackingMetricDataQuery {
            id: Expr::from(id),
            expression: None,
            label: None,
            metric_stat: Some(TargetTrackingMetricStat {
                metric,
                stat: Expr::from(stat),
                unit: None,
            }),
            return_data: Some(false),
        }
    }

    /// The expression the policy tracks.
    pub fn tracked_expression(id: &str, expression: &str, label: &str) -> Self {
        TargetTrackingMetricDataQuery {
            id: Expr::from(id),
            expression: Some(Expr::from(expression)),
            label: Some(Expr::from(label)),
            metric_stat: None,
            return_data: Some(true),
        }
    }
}

/// `TargetTrackingMetricDataQuery.MetricStat`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingMetricStat {
    /// The metric.
    pub metric: TargetTrackingMetric,
    /// `Average`, `Sum`, ...
    pub stat: Expr,
    /// The unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Expr>,
}
crate::references_of_fields!(TargetTrackingMetricStat { metric, stat, unit });

/// `TargetTrackingMetricStat.Metric`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingMetric {
    /// Metric name.
    pub metric_name: Expr,
    /// Metric namespace.
    pub namespace: Expr,
    /// Dimensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<MetricDimension>,
}
crate::references_of_fields!(TargetTrackingMetric {
    metric_name,
    namespace,
    dimensions
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn service_target_and_metric_math_policy_render() {
        let target = ScalableTarget::ecs_service(
            Expr::ref_("Cluster"),
            Expr::get_att("Service", "Name"),
            1,
            4,
        );
        let v = Resource::new(&target)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(
            v,
            json!({
                "MinCapacity": 1,
                "MaxCapacity": 4,
                "ResourceId": {"Fn::Join": ["/", ["service", {"Ref": "Cluster"}, {"Fn::GetAtt": ["Service", "Name"]}]]},
                "ScalableDimension": "ecs:service:DesiredCount",
                "ServiceNamespace": "ecs"
            })
        );

        let metric = |name: &str| TargetTrackingMetric {
            metric_name: Expr::from(name),
            namespace: Expr::from("AWS/ApplicationELB"),
            dimensions: vec![MetricDimension::new("TargetGroup", Expr::ref_("Tg"))],
        };
        let policy = ScalingPolicy::target_tracking(
            "requests",
            Expr::ref_("Target"),
            TargetTrackingScalingPolicyConfiguration {
                predefined_metric_specification: None,
                customized_metric_specification: Some(CustomizedMetricSpecification {
                    metrics: vec![
                        TargetTrackingMetricDataQuery::metric(
                            "a",
                            metric("RequestCountPerTarget"),
                            "Sum",
                        ),
                        TargetTrackingMetricDataQuery::tracked_expression(
                            "e",
                            "FILL(a, 0)",
                            "requests",
                        ),
                    ],
                    ..CustomizedMetricSpecification::default()
                }),
                target_value: 30.0,
                scale_in_cooldown: Some(300u32.into()),
                scale_out_cooldown: None,
                disable_scale_in: None,
            },
        );
        let v = Resource::new(&policy)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["PolicyType"], "TargetTrackingScaling");
        let config = &v["TargetTrackingScalingPolicyConfiguration"];
        assert!(config["TargetValue"].is_f64());
        assert_eq!(
            config["CustomizedMetricSpecification"]["Metrics"][0],
            json!({"Id": "a", "MetricStat": {"Metric": {"MetricName": "RequestCountPerTarget", "Namespace": "AWS/ApplicationELB", "Dimensions": [{"Name": "TargetGroup", "Value": {"Ref": "Tg"}}]}, "Stat": "Sum"}, "ReturnData": false})
        );
        assert_eq!(
            config["CustomizedMetricSpecification"]["Metrics"][1],
            json!({"Id": "e", "Expression": "FILL(a, 0)", "Label": "requests", "ReturnData": true})
        );
    }
}
