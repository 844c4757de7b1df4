//! Service auto scaling: the service's desired count between `minCapacity` and `maxCapacity`,
//! tracked on the chosen signal; the capacity provider then adds or removes the instances the
//! tasks need.
//!
//! The signal is the model server's own (`metricConfig.serverMetric`) when the definition
//! chooses one, averaged over the tasks; otherwise the seed's load balancer metric, with the
//! seed's meaning: `RequestCountPerTarget` (requests per target per minute) or
//! `TargetResponseTime` (seconds). A blue/green deployment moves production traffic from one
//! target group to the other, each deployment the other way, so the load balancer metrics are
//! read across both target groups, never one.

use super::RunState;
use super::metrics::{NAMESPACE, STACK_DIMENSION};
use crate::cfn::resources::application_autoscaling::{
    CustomizedMetricSpecification, MetricDimension, ScalableTarget, ScalingPolicy,
    TargetTrackingMetric, TargetTrackingMetricDataQuery, TargetTrackingScalingPolicyConfiguration,
};
use crate::cfn::{Expr, Pseudo};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::{AlbMetricName, AutoScalingConfig, InferenceContainer};

/// What service auto scaling needs.
#[derive(Debug)]
pub struct ScalingProps<'a> {
    /// The cluster's name.
    pub cluster: Expr,
    /// The service's name.
    pub service_name: Expr,
    /// Running or stopped.
    pub run_state: RunState,
    /// The capacities and the metric.
    pub config: &'a AutoScalingConfig,
    /// The server, whose metric names a server signal reads.
    pub container: InferenceContainer,
    /// The load balancer's full name (`app/<name>/<id>`).
    pub load_balancer_full_name: Expr,
    /// The full names (`targetgroup/<name>/<id>`) of both target groups.
    pub target_group_full_names: [Expr; 2],
}

/// The scaling part's resources.
#[derive(Debug, Clone)]
pub struct Scaling {
    /// The service's scalable target.
    pub target: ResourceHandle,
    /// The tracking policy, when the service can scale.
    pub policy: Option<ResourceHandle>,
}

/// The bounds of the service's desired count: the configuration's while running, 0 and 0 while
/// stopped (registering them moves the count there at once).
pub fn service_bounds(config: &AutoScalingConfig, run_state: RunState) -> (u32, u32) {
    match run_state {
        RunState::Running => (config.min_capacity, config.max_capacity),
        RunState::Stopped => (0, 0),
    }
}

/// Adds the scalable target (always: registering it moves the desired count into its bounds,
/// which is how a start reaches `minCapacity` and a fixed-size model stays at its size) and,
/// when the service can scale (running, max > min), the tracking policy.
pub fn service_scaling(
    scope: &mut Scope<'_>,
    props: &ScalingProps<'_>,
) -> Result<Scaling, ConstructError> {
    let (min, max) = service_bounds(props.config, props.run_state);
    let target = scope.add(
        "ServiceTarget",
        ScalableTarget::ecs_service(props.cluster.clone(), props.service_name.clone(), min, max),
    )?;
    if max <= min {
        return Ok(Scaling {
            target,
            policy: None,
        });
    }
    let metric = &props.config.metric_config;
    let (customized, target_value) = match &metric.server_metric {
        Some(server) => (server_signal(props, server.name), server.target_value),
        None => (
            load_balancer_signal(props, metric.alb_metric_name),
            metric.target_value,
        ),
    };
    let policy = scope.add(
        "ServicePolicy",
        ScalingPolicy::target_tracking(
            Expr::sub("${AWS::StackName}-serving"),
            target.ref_(),
            TargetTrackingScalingPolicyConfiguration {
                predefined_metric_specification: None,
                customized_metric_specification: Some(customized),
                target_value,
                // A new task only counts once its model has loaded: no further scale-out
                // before then.
                scale_out_cooldown: Some(metric.estimated_instance_warmup.into()),
                scale_in_cooldown: Some(props.config.cooldown.into()),
                disable_scale_in: Some(false),
            },
        ),
    )?;
    Ok(Scaling {
        target,
        policy: Some(policy),
    })
}

/// The server's metric, averaged over the model's tasks.
fn server_signal(
    props: &ScalingProps<'_>,
    signal: crate::model::ServerMetricName,
) -> CustomizedMetricSpecification {
    CustomizedMetricSpecification {
        metric_name: props.container.metric_of(signal).map(Expr::str),
        namespace: Some(Expr::str(NAMESPACE)),
        dimensions: vec![MetricDimension::new(
            STACK_DIMENSION,
            Expr::pseudo(Pseudo::StackName),
        )],
        statistic: Some(Expr::str("Average")),
        ..CustomizedMetricSpecification::default()
    }
}

/// The seed's load balancer metric, over both target groups.
///
/// `RequestCountPerTarget` is the sum of the two groups' per-minute requests per target: the
/// group that serves no production traffic adds nothing (and has no data, hence the `FILL`).
/// `TargetResponseTime` is the load balancer's own average, which covers both groups. The load
/// balancer publishes both once a minute, so the seed's `duration` chooses nothing: tracking
/// decides on one-minute data points whatever its value.
fn load_balancer_signal(
    props: &ScalingProps<'_>,
    name: AlbMetricName,
) -> CustomizedMetricSpecification {
    let load_balancer = MetricDimension::new("LoadBalancer", props.load_balancer_full_name.clone());
    match name {
        AlbMetricName::RequestCountPerTarget => {
            let ids = ["blue", "green"];
            let mut metrics: Vec<TargetTrackingMetricDataQuery> = ids
                .iter()
                .zip(&props.target_group_full_names)
                .map(|(id, group)| {
                    TargetTrackingMetricDataQuery::metric(
                        id,
                        TargetTrackingMetric {
                            metric_name: Expr::str("RequestCountPerTarget"),
                            namespace: Expr::str("AWS/ApplicationELB"),
                            dimensions: vec![
                                MetricDimension::new("TargetGroup", group.clone()),
                                load_balancer.clone(),
                            ],
                        },
                        "Sum",
                    )
                })
                .collect();
            metrics.push(TargetTrackingMetricDataQuery::tracked_expression(
                "requests",
                "FILL(blue, 0) + FILL(green, 0)",
                "Requests per target per minute",
            ));
            CustomizedMetricSpecification {
                metrics,
                ..CustomizedMetricSpecification::default()
            }
        }
        AlbMetricName::TargetResponseTime => CustomizedMetricSpecification {
            metric_name: Some(Expr::str("TargetResponseTime")),
            namespace: Some(Expr::str("AWS/ApplicationELB")),
            dimensions: vec![load_balancer],
            statistic: Some(Expr::str("Average")),
            unit: Some(Expr::str("Seconds")),
            ..CustomizedMetricSpecification::default()
        },
    }
}
