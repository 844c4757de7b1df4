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

/// The period of the load balancer's metrics: it publishes them once a minute, and a shorter
/// period (meant for high-resolution metrics) would evaluate half-empty periods.
pub const LOAD_BALANCER_METRIC_PERIOD: u32 = 60;

/// Adds the policy. Call it only when the group can scale (MaxSize > MinSize): a tracking policy
/// on a fixed-size group is an error.
///
/// `RequestCountPerTarget` uses the predefined `ALBRequestCountPerTarget` metric.
/// `TargetResponseTime` is a customized metric: the target group's average response time per
/// [`LOAD_BALANCER_METRIC_PERIOD`]. The load balancer publishes both once a minute, so the seed's
/// `duration` has nothing to choose: target tracking decides on one-minute data points whatever
/// its value (it is kept in the definition for the API's sake).
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
                period: Some(LOAD_BALANCER_METRIC_PERIOD.into()),
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
