//! The target-tracking scaling policy on the Auto Scaling group.

use crate::cfn::Expr;
use crate::cfn::resources::autoscaling::{
    CustomizedMetricSpecification, MetricDimension, PredefinedMetricSpecification, ScalingPolicy,
    TargetTrackingConfiguration,
};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::{AlbMetricName, MetricConfig};

/// What the policy needs.
#[derive(Debug)]
pub struct ScalingProps<'a> {
    /// The Auto Scaling group's name.
    pub group: Expr,
    /// The metric and its target.
    pub metric: &'a MetricConfig,
    /// The load balancer's full name (`app/<name>/<id>`).
    pub load_balancer_full_name: Expr,
    /// The target group's full name (`targetgroup/<name>/<id>`).
    pub target_group_full_name: Expr,
}

/// The CloudWatch periods a target-tracking policy accepts for a customized metric.
const PERIODS: [u32; 3] = [10, 30, 60];

/// The metric period for a configured `duration`: the longest accepted period that fits in it
/// (10 s at the least).
pub fn metric_period(duration: u32) -> u32 {
    PERIODS
        .iter()
        .copied()
        .filter(|p| *p <= duration)
        .max()
        .unwrap_or(PERIODS[0])
}

/// Adds the policy. Call it only when the group can scale (MaxSize > MinSize): a tracking policy
/// on a fixed-size group is an error.
///
/// `RequestCountPerTarget` uses the predefined `ALBRequestCountPerTarget` metric, which the load
/// balancer publishes per minute, so `duration` does not apply. `TargetResponseTime` is a
/// customized metric: the target group's average response time, evaluated over
/// [`metric_period`]`(duration)` seconds.
pub fn scaling_policy(
    scope: &mut Scope<'_>,
    props: &ScalingProps<'_>,
) -> Result<ResourceHandle, ConstructError> {
    let metric = props.metric;
    let mut tracking = TargetTrackingConfiguration {
        predefined_metric_specification: None,
        customized_metric_specification: None,
        target_value: metric.target_value,
        disable_scale_in: Some(false),
    };
    match metric.alb_metric_name {
        AlbMetricName::RequestCountPerTarget => {
            tracking.predefined_metric_specification = Some(PredefinedMetricSpecification {
                predefined_metric_type: Expr::str("ALBRequestCountPerTarget"),
                resource_label: Some(Expr::join(
                    "/",
                    [
                        props.load_balancer_full_name.clone(),
                        props.target_group_full_name.clone(),
                    ],
                )),
            });
        }
        AlbMetricName::TargetResponseTime => {
            tracking.customized_metric_specification = Some(CustomizedMetricSpecification {
                metric_name: Some(Expr::str("TargetResponseTime")),
                namespace: Some(Expr::str("AWS/ApplicationELB")),
                statistic: Some(Expr::str("Average")),
                unit: Some(Expr::str("Seconds")),
                period: Some(metric_period(metric.duration).into()),
                dimensions: vec![
                    MetricDimension {
                        name: Expr::str("LoadBalancer"),
                        value: props.load_balancer_full_name.clone(),
                    },
                    MetricDimension {
                        name: Expr::str("TargetGroup"),
                        value: props.target_group_full_name.clone(),
                    },
                ],
            });
        }
    }
    scope.add(
        "Policy",
        ScalingPolicy {
            estimated_instance_warmup: Some(metric.estimated_instance_warmup.into()),
            ..ScalingPolicy::target_tracking(props.group.clone(), tracking)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_is_the_longest_accepted_that_fits() {
        assert_eq!(metric_period(1), 10);
        assert_eq!(metric_period(29), 10);
        assert_eq!(metric_period(30), 30);
        assert_eq!(metric_period(60), 60);
        assert_eq!(metric_period(600), 60);
    }
}
