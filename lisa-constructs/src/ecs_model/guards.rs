//! Checks on a finished template for what cfn-lint and checkov do not catch: each is a mistake
//! that deploys "successfully" and then fails or leaks at run time. They run in the stack's
//! validation pass, so a library user composing their own stack from the parts gets them too.

use super::stack_io::parameter::GATE_SECURITY_GROUP_ID;
use crate::cfn::resources::application_autoscaling::{
    ScalableTarget, ScalingPolicy as ServiceScalingPolicy,
};
use crate::cfn::resources::autoscaling::{AutoScalingGroup, ScalingPolicy};
use crate::cfn::resources::ec2::{
    IngressRule, LaunchTemplate, SecurityGroup, SecurityGroupEgress, SecurityGroupIngress,
};
use crate::cfn::resources::ecs::{Service, TaskDefinition};
use crate::cfn::resources::ecs_capacity::CapacityProvider;
use crate::cfn::resources::elbv2::{Attribute, Listener, ListenerRule, LoadBalancer, TargetGroup};
use crate::cfn::{Expr, Integer, NumericString, Template};
use crate::model::bounds;
use std::collections::BTreeSet;

/// A named check over a template; returns one message per problem.
pub type Guard = fn(&Template) -> Vec<String>;

/// Every guard, with its name.
pub const GUARDS: &[(&str, Guard)] = &[
    (
        "target-group-health-check",
        target_group_timeout_below_interval,
    ),
    ("container-health-check", container_health_check_bounds),
    ("service-load-balancer", service_targets_a_container_port),
    (
        "scaling-resource-label",
        scaling_label_names_a_routed_target_group,
    ),
    ("imds-v2", launch_templates_require_imdsv2),
    ("encrypted-volumes", launch_template_volumes_encrypted),
    ("group-subnets", groups_have_subnets),
    ("gpu-on-ec2", gpus_only_on_ec2),
    ("unprivileged-containers", containers_unprivileged),
    ("internal-load-balancer", load_balancers_internal),
    ("no-open-all-traffic", no_all_traffic_to_or_from_anywhere),
    ("draining-covers-idle-timeout", draining_covers_idle_timeout),
    ("task-definition-size", task_definitions_fit_ecs_limit),
    (
        "blue-green-target-groups",
        blue_green_rules_forward_to_both_groups,
    ),
    (
        "test-listener-gate-only",
        test_listener_reached_only_by_the_gate,
    ),
    (
        "service-scaling-both-groups",
        request_count_scaling_reads_both_groups,
    ),
    ("blue-green-room", groups_have_room_for_green_tasks),
];

/// Runs every guard; each message is prefixed with the guard's name.
pub fn check(template: &Template) -> Vec<String> {
    GUARDS
        .iter()
        .flat_map(|(name, guard)| {
            guard(template)
                .into_iter()
                .map(move |message| format!("{name}: {message}"))
        })
        .collect()
}

// The guards read the typed properties the parts built (`Template::properties_of`): a renamed
// or retyped field is a compile error here, not a check that silently finds nothing. Resources
// added as `RawProperties` are not read.

/// The text of a literal string expression.
fn text(value: &Expr) -> Option<&str> {
    value.as_literal_str()
}

/// The text of an optional literal string expression.
fn opt_text(value: Option<&Expr>) -> Option<&str> {
    value.and_then(Expr::as_literal_str)
}

/// A literal whole number, written as a number or a string.
fn int(value: Option<&Integer>) -> Option<i64> {
    value.and_then(Integer::as_literal)
}

/// A literal whole number in a String-typed property.
fn numeric(value: &NumericString) -> Option<i64> {
    match value.expr() {
        Expr::Int(i) => Some(*i),
        Expr::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn target(value: Option<&Expr>) -> Option<&str> {
    value.and_then(Expr::referenced_logical_id)
}

/// A target group whose health check times out no sooner than it repeats never settles.
pub fn target_group_timeout_below_interval(template: &Template) -> Vec<String> {
    template
        .properties_of::<TargetGroup>()
        .filter_map(|(id, group)| {
            let timeout = int(group.health_check_timeout_seconds.as_ref())?;
            let interval = int(group.health_check_interval_seconds.as_ref())?;
            (timeout >= interval)
                .then(|| format!("{id}: health check timeout {timeout} s must be less than the interval {interval} s"))
        })
        .collect()
}

/// ECS rejects container health checks outside its limits only when the task starts.
pub fn container_health_check_bounds(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, task) in template.properties_of::<TaskDefinition>() {
        for container in &task.container_definitions {
            let Some(check) = &container.health_check else {
                continue;
            };
            let name = text(&container.name).unwrap_or("?");
            for (field, value, bound) in [
                (
                    "Interval",
                    &check.interval,
                    bounds::CONTAINER_HEALTH_INTERVAL,
                ),
                ("Timeout", &check.timeout, bounds::CONTAINER_HEALTH_TIMEOUT),
                ("Retries", &check.retries, bounds::CONTAINER_HEALTH_RETRIES),
                (
                    "StartPeriod",
                    &check.start_period,
                    bounds::CONTAINER_HEALTH_START_PERIOD,
                ),
            ] {
                if let Some(n) = int(value.as_ref()).filter(|n| !bound.contains(*n)) {
                    let (min, max) = (bound.min, bound.max);
                    problems.push(format!(
                        "{id}: container {name}: health check {field} {n} is outside {min}-{max}"
                    ));
                }
            }
        }
    }
    problems
}

/// A service load balancer must name a container of its task definition, on a port it maps.
pub fn service_targets_a_container_port(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, service) in template.properties_of::<Service>() {
        // A task definition from outside the template (an ARN) cannot be checked here.
        let Some(task) = target(service.task_definition.as_ref())
            .and_then(|t| template.resources.get(t))
            .and_then(|r| r.properties::<TaskDefinition>())
        else {
            continue;
        };
        for lb in &service.load_balancers {
            let name = text(&lb.container_name).unwrap_or_default();
            let port = lb.container_port.as_literal();
            match task
                .container_definitions
                .iter()
                .find(|c| text(&c.name) == Some(name))
            {
                None => problems.push(format!(
                    "{id}: load balancer container {name:?} is not in the task definition"
                )),
                Some(container) => {
                    let mapped = container
                        .port_mappings
                        .iter()
                        .any(|m| m.container_port.as_literal() == port);
                    if !mapped {
                        problems.push(format!("{id}: container {name:?} maps no port {port:?}"));
                    }
                }
            }
        }
    }
    problems
}

/// `ALBRequestCountPerTarget` needs `<load balancer full name>/<target group full name>` of a
/// target group the load balancer routes to; anything else scales on a metric that never moves.
pub fn scaling_label_names_a_routed_target_group(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, policy) in template.properties_of::<ScalingPolicy>() {
        let Some(spec) = policy
            .target_tracking_configuration
            .as_ref()
            .and_then(|t| t.predefined_metric_specification.as_ref())
        else {
            continue;
        };
        if text(&spec.predefined_metric_type) != Some("ALBRequestCountPerTarget") {
            continue;
        }
        let Some(Expr::Join(separator, items)) = &spec.resource_label else {
            problems.push(format!(
                "{id}: ResourceLabel must join the load balancer's and target group's full names"
            ));
            continue;
        };
        let pair = match items.as_slice() {
            [
                Expr::GetAtt(lb, lb_attribute),
                Expr::GetAtt(tg, tg_attribute),
            ] => Some((
                (lb.as_str(), lb_attribute.as_str()),
                (tg.as_str(), tg_attribute.as_str()),
            )),
            _ => None,
        };
        let Some(((lb, "LoadBalancerFullName"), (tg, "TargetGroupFullName"))) =
            pair.filter(|_| separator == "/")
        else {
            problems.push(format!(
                "{id}: ResourceLabel must be Join(\"/\", [GetAtt LB.LoadBalancerFullName, GetAtt TG.TargetGroupFullName])"
            ));
            continue;
        };
        let routed = template.properties_of::<Listener>().any(|(_, listener)| {
            target(Some(&listener.load_balancer_arn)) == Some(lb)
                && listener
                    .default_actions
                    .iter()
                    .any(|a| target(a.target_group_arn.as_ref()) == Some(tg))
        });
        if !routed {
            problems.push(format!("{id}: no listener of {lb} forwards to {tg}"));
        }
    }
    problems
}

/// IMDSv1 lets any process (or container) on the instance read its credentials with one GET.
pub fn launch_templates_require_imdsv2(template: &Template) -> Vec<String> {
    template
        .properties_of::<LaunchTemplate>()
        .filter(|(_, launch_template)| {
            let options = launch_template
                .launch_template_data
                .metadata_options
                .as_ref();
            let tokens = opt_text(options.and_then(|m| m.http_tokens.as_ref()));
            let endpoint = opt_text(options.and_then(|m| m.http_endpoint.as_ref()));
            // With the endpoint off there is no metadata service to protect.
            tokens != Some("required") && endpoint != Some("disabled")
        })
        .map(|(id, _)| format!("{id}: MetadataOptions.HttpTokens must be \"required\" (IMDSv2)"))
        .collect()
}

/// Unencrypted EBS volumes would hold model weights and Docker layers in the clear.
pub fn launch_template_volumes_encrypted(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, launch_template) in template.properties_of::<LaunchTemplate>() {
        for mapping in &launch_template.launch_template_data.block_device_mappings {
            if let Some(ebs) = &mapping.ebs
                && ebs.encrypted != Some(true)
            {
                let device = text(&mapping.device_name).unwrap_or("?");
                problems.push(format!("{id}: EBS volume {device} must be encrypted"));
            }
        }
    }
    problems
}

/// A group without subnets fails at deploy time in a default-VPC-less account.
pub fn groups_have_subnets(template: &Template) -> Vec<String> {
    template
        .properties_of::<AutoScalingGroup>()
        .filter(|(_, group)| match &group.vpc_zone_identifier {
            None => true,
            Some(Expr::List(subnets)) => subnets.is_empty(),
            Some(_) => false,
        })
        .map(|(id, _)| format!("{id}: needs VPCZoneIdentifier (the model's private subnets)"))
        .collect()
}

/// Fargate has no GPUs: a GPU requirement there fails only when the task is placed.
pub fn gpus_only_on_ec2(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, task) in template.properties_of::<TaskDefinition>() {
        let fargate = task
            .requires_compatibilities
            .iter()
            .any(|c| text(c) == Some("FARGATE"));
        let gpu = task.container_definitions.iter().any(|c| {
            c.resource_requirements
                .iter()
                .any(|r| text(&r.requirement_type) == Some("GPU"))
        });
        if fargate && gpu {
            problems.push(format!(
                "{id}: GPU containers need the EC2 launch type, not FARGATE"
            ));
        }
    }
    problems
}

/// A privileged container is root on the instance.
pub fn containers_unprivileged(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, task) in template.properties_of::<TaskDefinition>() {
        for container in &task.container_definitions {
            if container.privileged == Some(true) {
                let name = text(&container.name).unwrap_or("?");
                problems.push(format!("{id}: container {name} must not be privileged"));
            }
        }
    }
    problems
}

/// Model servers have no authentication of their own: their load balancer stays inside the VPC.
pub fn load_balancers_internal(template: &Template) -> Vec<String> {
    template
        .properties_of::<LoadBalancer>()
        .filter(|(_, lb)| opt_text(lb.scheme.as_ref()) != Some("internal"))
        .map(|(id, _)| format!("{id}: Scheme must be \"internal\""))
        .collect()
}

/// Whether a rule lets every protocol through with anywhere: the fields ingress and egress
/// rules share.
fn open(protocol: &Expr, cidr_ip: Option<&Expr>, cidr_ipv6: Option<&Expr>) -> bool {
    let all = matches!(text(protocol), Some("-1" | "all")) || *protocol == Expr::Int(-1);
    let anywhere = opt_text(cidr_ip) == Some("0.0.0.0/0") || opt_text(cidr_ipv6) == Some("::/0");
    all && anywhere
}

/// All protocols to or from anywhere defeats the security groups.
pub fn no_all_traffic_to_or_from_anywhere(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, group) in template.properties_of::<SecurityGroup>() {
        let ingress_open = group
            .security_group_ingress
            .iter()
            .any(|r| open(&r.ip_protocol, r.cidr_ip.as_ref(), r.cidr_ipv6.as_ref()));
        let egress_open = group
            .security_group_egress
            .iter()
            .any(|r| open(&r.ip_protocol, r.cidr_ip.as_ref(), r.cidr_ipv6.as_ref()));
        for (key, is_open) in [
            ("SecurityGroupIngress", ingress_open),
            ("SecurityGroupEgress", egress_open),
        ] {
            if is_open {
                problems.push(format!("{id}: {key} allows all traffic with anywhere"));
            }
        }
    }
    let ingress = template
        .properties_of::<SecurityGroupIngress>()
        .filter(|(_, i)| {
            open(
                &i.rule.ip_protocol,
                i.rule.cidr_ip.as_ref(),
                i.rule.cidr_ipv6.as_ref(),
            )
        })
        .map(|(id, _)| id);
    let egress = template
        .properties_of::<SecurityGroupEgress>()
        .filter(|(_, e)| {
            open(
                &e.rule.ip_protocol,
                e.rule.cidr_ip.as_ref(),
                e.rule.cidr_ipv6.as_ref(),
            )
        })
        .map(|(id, _)| id);
    for id in ingress.chain(egress) {
        problems.push(format!("{id}: allows all traffic with anywhere"));
    }
    problems
}

/// The value of a load balancer or target group attribute, as a number.
fn numeric_attribute(attributes: &[Attribute], key: &str) -> Option<i64> {
    attributes
        .iter()
        .find(|a| text(&a.key) == Some(key))
        .and_then(|a| numeric(&a.value))
}

/// A target group that drains for less time than a response may stay silent cuts streaming
/// responses off when an instance leaves (scale-in, stop, rolling update).
pub fn draining_covers_idle_timeout(template: &Template) -> Vec<String> {
    let idle = template
        .properties_of::<LoadBalancer>()
        .filter_map(|(_, lb)| {
            numeric_attribute(&lb.load_balancer_attributes, "idle_timeout.timeout_seconds")
        })
        .max();
    let Some(idle) = idle else {
        return Vec::new();
    };
    template
        .properties_of::<TargetGroup>()
        .filter_map(|(id, group)| {
            // ELB's default deregistration delay is 300 s.
            let delay = numeric_attribute(&group.target_group_attributes, "deregistration_delay.timeout_seconds")
                .unwrap_or(300);
            (delay < idle).then(|| {
                format!("{id}: deregistration delay {delay} s is shorter than the load balancer's idle timeout {idle} s")
            })
        })
        .collect()
}

/// Counts the bytes written to it, and keeps none.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every task definition fits ECS's limit ([`bounds::TASK_DEFINITION_MAX_BYTES`], measured on
/// its properties as compact JSON). The reader bounds the environment on its own, but a long
/// health-check command, alone or with a large environment, can still pass the limit, and only
/// RegisterTaskDefinition, at deploy time, would say so.
pub fn task_definitions_fit_ecs_limit(template: &Template) -> Vec<String> {
    template
        .properties_of::<TaskDefinition>()
        .filter_map(|(id, task)| {
            let mut size = ByteCount(0);
            serde_json::to_writer(&mut size, task).ok()?;
            let size = size.0;
            (size > bounds::TASK_DEFINITION_MAX_BYTES).then(|| {
                format!(
                    "{id}: the task definition is {size} bytes, over ECS's limit of {} bytes \
                     (shorten the health-check command or the environment)",
                    bounds::TASK_DEFINITION_MAX_BYTES
                )
            })
        })
        .collect()
}

/// A blue/green load balancer of a service, each part the logical id its `Ref` names.
struct BlueGreen<'t> {
    service: &'t str,
    primary: Option<&'t str>,
    alternate: Option<&'t str>,
    production_rule: Option<&'t str>,
    test_rule: Option<&'t str>,
}

/// The blue/green load balancers of the template's services.
fn blue_green_load_balancers(template: &Template) -> Vec<BlueGreen<'_>> {
    template
        .properties_of::<Service>()
        .flat_map(|(id, service)| {
            service.load_balancers.iter().filter_map(move |lb| {
                let advanced = lb.advanced_configuration.as_ref()?;
                Some(BlueGreen {
                    service: id,
                    primary: target(Some(&lb.target_group_arn)),
                    alternate: target(Some(&advanced.alternate_target_group_arn)),
                    production_rule: target(advanced.production_listener_rule.as_ref()),
                    test_rule: target(advanced.test_listener_rule.as_ref()),
                })
            })
        })
        .collect()
}

/// ECS shifts traffic by the weights of a rule that forwards to both target groups; a rule that
/// misses one fails the deployment ("Both targetGroup and alternateTargetGroup must be
/// associated with the productionListenerRule or testListenerRule") only when it starts.
pub fn blue_green_rules_forward_to_both_groups(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for lb in blue_green_load_balancers(template) {
        let id = lb.service;
        let wanted: BTreeSet<Option<&str>> = [lb.primary, lb.alternate].into_iter().collect();
        for (role, rule_id) in [("production", lb.production_rule), ("test", lb.test_rule)] {
            let Some(rule_id) = rule_id else {
                if role == "production" {
                    problems.push(format!(
                        "{id}: a blue/green load balancer needs a production listener rule"
                    ));
                }
                continue;
            };
            let Some(rule) = template
                .resources
                .get(rule_id)
                .and_then(|r| r.properties::<ListenerRule>())
            else {
                problems.push(format!(
                    "{id}: {role} listener rule {rule_id} is not a listener rule of this template"
                ));
                continue;
            };
            let forwarded: BTreeSet<Option<&str>> = rule
                .actions
                .iter()
                .flat_map(|a| a.forwarded_target_groups())
                .map(|(arn, _)| target(Some(arn)))
                .collect();
            if forwarded != wanted {
                problems.push(format!(
                    "{id}: {role} listener rule {rule_id} must forward to both target groups ({}), found {}",
                    names(&wanted),
                    names(&forwarded)
                ));
            }
        }
    }
    problems
}

fn names(ids: &BTreeSet<Option<&str>>) -> String {
    ids.iter()
        .map(|id| id.unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an ingress rule admits TCP on `port`.
fn admits(rule: &IngressRule, port: i64) -> bool {
    let tcp = matches!(text(&rule.ip_protocol), Some("tcp" | "6" | "-1" | "all"))
        || rule.ip_protocol == Expr::Int(-1);
    let from = int(rule.from_port.as_ref()).unwrap_or(i64::MIN);
    let to = int(rule.to_port.as_ref()).unwrap_or(i64::MAX);
    tcp && from <= port && port <= to
}

/// The test listener serves the new tasks before the gate has checked them: only the gate
/// function's security group may reach its port, never an address range or another group.
pub fn test_listener_reached_only_by_the_gate(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for lb in blue_green_load_balancers(template) {
        let Some((listener_id, listener)) = lb
            .test_rule
            .and_then(|rule_id| template.resources.get(rule_id))
            .and_then(|r| r.properties::<ListenerRule>())
            .and_then(|rule| target(Some(&rule.listener_arn)))
            .and_then(|id| Some((id, template.resources.get(id)?.properties::<Listener>()?)))
        else {
            continue;
        };
        let Some(port) = int(listener.port.as_ref()) else {
            continue;
        };
        let Some(groups) = target(Some(&listener.load_balancer_arn))
            .and_then(|lb| template.resources.get(lb))
            .and_then(|r| r.properties::<LoadBalancer>())
            .and_then(|lb| lb.security_groups.as_ref())
        else {
            continue;
        };
        let groups: BTreeSet<&str> = match groups {
            Expr::List(items) => items.iter().filter_map(|g| target(Some(g))).collect(),
            other => target(Some(other)).into_iter().collect(),
        };
        let inline = template
            .properties_of::<SecurityGroup>()
            .filter(|(id, _)| groups.contains(id))
            .flat_map(|(id, group)| group.security_group_ingress.iter().map(move |r| (id, r)));
        let standalone = template
            .properties_of::<SecurityGroupIngress>()
            .filter(|(_, ingress)| {
                target(Some(&ingress.group_id)).is_some_and(|g| groups.contains(g))
            })
            .map(|(id, ingress)| (id, &ingress.rule));
        for (id, rule) in inline.chain(standalone) {
            if !admits(rule, port) {
                continue;
            }
            let from_gate = rule.cidr_ip.is_none()
                && rule.cidr_ipv6.is_none()
                && rule.source_prefix_list_id.is_none()
                && rule
                    .source_security_group_id
                    .as_ref()
                    .and_then(Expr::referenced_logical_id)
                    == Some(GATE_SECURITY_GROUP_ID);
            if !from_gate {
                problems.push(format!(
                    "{id}: admits port {port} of test listener {listener_id} from another source than the {GATE_SECURITY_GROUP_ID} parameter"
                ));
            }
        }
    }
    problems
}

/// Production traffic alternates between the two target groups of a blue/green service, one
/// deployment after the other: a `RequestCountPerTarget` signal that reads one of them reads an
/// idle group half the time, and the service scales in under load.
pub fn request_count_scaling_reads_both_groups(template: &Template) -> Vec<String> {
    let services: Vec<BTreeSet<&str>> = blue_green_load_balancers(template)
        .into_iter()
        .map(|lb| lb.primary.into_iter().chain(lb.alternate).collect())
        .collect();
    let mut problems = Vec::new();
    for (id, policy) in template.properties_of::<ServiceScalingPolicy>() {
        let Some(spec) = policy
            .target_tracking_scaling_policy_configuration
            .as_ref()
            .and_then(|c| c.customized_metric_specification.as_ref())
        else {
            continue;
        };
        let read: BTreeSet<&str> = spec
            .metrics
            .iter()
            .filter_map(|q| q.metric_stat.as_ref())
            .filter(|stat| text(&stat.metric.metric_name) == Some("RequestCountPerTarget"))
            .flat_map(|stat| stat.metric.dimensions.iter())
            .filter(|d| text(&d.name) == Some("TargetGroup"))
            .filter_map(|d| target(Some(&d.value)))
            .collect();
        if read.is_empty() {
            continue;
        }
        if !services.contains(&read) {
            problems.push(format!(
                "{id}: RequestCountPerTarget must be read from both target groups of the service, found {}",
                read.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    problems
}

/// A blue/green deployment starts a green task beside every blue one, one task per instance: the
/// group behind the service's capacity provider must hold twice the largest task count, or the
/// green tasks wait for instances that never come.
pub fn groups_have_room_for_green_tasks(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, service) in template.properties_of::<Service>() {
        let blue_green = service
            .deployment_configuration
            .as_ref()
            .and_then(|c| c.strategy.as_ref())
            .and_then(text)
            == Some("BLUE_GREEN");
        if !blue_green {
            continue;
        }
        let most_tasks = template
            .properties_of::<ScalableTarget>()
            .filter(|(_, t)| match &t.resource_id {
                Expr::Join(_, parts) => parts.iter().any(|p| target(Some(p)) == Some(id)),
                _ => false,
            })
            .filter_map(|(_, t)| t.max_capacity.as_literal())
            .max();
        let Some(most_tasks) = most_tasks else {
            continue;
        };
        for item in &service.capacity_provider_strategy {
            let Some(group) = target(Some(&item.capacity_provider))
                .and_then(|p| template.resources.get(p))
                .and_then(|r| r.properties::<CapacityProvider>())
                .and_then(|p| target(Some(&p.auto_scaling_group_provider.auto_scaling_group_arn)))
                .and_then(|g| {
                    Some((
                        g,
                        template
                            .resources
                            .get(g)?
                            .properties::<AutoScalingGroup>()?,
                    ))
                })
            else {
                continue;
            };
            let (group_id, group) = group;
            if let Some(max_size) = numeric(&group.max_size)
                && max_size < 2 * most_tasks
            {
                problems.push(format!(
                    "{id}: group {group_id} has MaxSize {max_size}, below the {} instances a blue/green deployment of {most_tasks} tasks needs",
                    2 * most_tasks
                ));
            }
        }
    }
    problems
}
