//! Checks on a finished template for what cfn-lint and checkov do not catch: each is a mistake
//! that deploys "successfully" and then fails or leaks at run time. They run in the stack's
//! validation pass, so a library user composing their own stack from the parts gets them too.

use crate::cfn::Template;
use crate::model::bounds;
use serde_json::Value;

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

fn of_type<'a>(
    template: &'a Template,
    resource_type: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
    template
        .resources_of_type(resource_type)
        .map(|(id, r)| (id.as_str(), &r.properties))
}

fn int(value: Option<&Value>) -> Option<i64> {
    value.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn target(value: Option<&Value>) -> Option<&str> {
    let value = value?;
    value
        .get("Ref")
        .and_then(Value::as_str)
        .or_else(|| value.get("Fn::GetAtt")?.get(0)?.as_str())
}

/// A target group whose health check times out no sooner than it repeats never settles.
pub fn target_group_timeout_below_interval(template: &Template) -> Vec<String> {
    of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
        .filter_map(|(id, p)| {
            let timeout = int(p.get("HealthCheckTimeoutSeconds"))?;
            let interval = int(p.get("HealthCheckIntervalSeconds"))?;
            (timeout >= interval)
                .then(|| format!("{id}: health check timeout {timeout} s must be less than the interval {interval} s"))
        })
        .collect()
}

/// ECS rejects container health checks outside its limits only when the task starts.
pub fn container_health_check_bounds(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, p) in of_type(template, "AWS::ECS::TaskDefinition") {
        for container in array(p.get("ContainerDefinitions")) {
            let Some(check) = container.get("HealthCheck") else {
                continue;
            };
            let name = container.get("Name").and_then(Value::as_str).unwrap_or("?");
            for (field, bound) in [
                ("Interval", bounds::CONTAINER_HEALTH_INTERVAL),
                ("Timeout", bounds::CONTAINER_HEALTH_TIMEOUT),
                ("Retries", bounds::CONTAINER_HEALTH_RETRIES),
                ("StartPeriod", bounds::CONTAINER_HEALTH_START_PERIOD),
            ] {
                if let Some(n) = int(check.get(field)).filter(|n| !bound.contains(*n)) {
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
    for (id, p) in of_type(template, "AWS::ECS::Service") {
        // A task definition from outside the template (an ARN) cannot be checked here.
        let Some(task) = target(p.get("TaskDefinition")).and_then(|t| template.resources.get(t))
        else {
            continue;
        };
        let containers = array(task.properties.get("ContainerDefinitions"));
        for lb in array(p.get("LoadBalancers")) {
            let name = lb
                .get("ContainerName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let port = int(lb.get("ContainerPort"));
            match containers
                .iter()
                .find(|c| c.get("Name").and_then(Value::as_str) == Some(name))
            {
                None => problems.push(format!(
                    "{id}: load balancer container {name:?} is not in the task definition"
                )),
                Some(container) => {
                    let mapped = array(container.get("PortMappings"))
                        .iter()
                        .any(|m| int(m.get("ContainerPort")) == port);
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
    for (id, p) in of_type(template, "AWS::AutoScaling::ScalingPolicy") {
        let Some(spec) = p
            .get("TargetTrackingConfiguration")
            .and_then(|t| t.get("PredefinedMetricSpecification"))
        else {
            continue;
        };
        if spec.get("PredefinedMetricType").and_then(Value::as_str)
            != Some("ALBRequestCountPerTarget")
        {
            continue;
        }
        let parts = spec.get("ResourceLabel").and_then(|l| l.get("Fn::Join"));
        let (separator, items) = match parts.and_then(Value::as_array).map(Vec::as_slice) {
            Some([sep, Value::Array(items)]) => (sep.as_str(), items.as_slice()),
            _ => {
                problems.push(format!("{id}: ResourceLabel must join the load balancer's and target group's full names"));
                continue;
            }
        };
        let pair = match items {
            [lb, tg] => attribute(lb).zip(attribute(tg)),
            _ => None,
        };
        let Some(((lb, "LoadBalancerFullName"), (tg, "TargetGroupFullName"))) =
            pair.filter(|_| separator == Some("/"))
        else {
            problems.push(format!(
                "{id}: ResourceLabel must be Join(\"/\", [GetAtt LB.LoadBalancerFullName, GetAtt TG.TargetGroupFullName])"
            ));
            continue;
        };
        let routed = of_type(template, "AWS::ElasticLoadBalancingV2::Listener").any(|(_, l)| {
            target(l.get("LoadBalancerArn")) == Some(lb)
                && array(l.get("DefaultActions"))
                    .iter()
                    .any(|a| target(a.get("TargetGroupArn")) == Some(tg))
        });
        if !routed {
            problems.push(format!("{id}: no listener of {lb} forwards to {tg}"));
        }
    }
    problems
}

/// A CloudFormation boolean: JSON `true` or the string `"true"`.
fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || value.and_then(Value::as_str) == Some("true")
}

/// The `(logical id, attribute)` of an `Fn::GetAtt`.
fn attribute(value: &Value) -> Option<(&str, &str)> {
    let att = value.get("Fn::GetAtt")?;
    Some((att.get(0)?.as_str()?, att.get(1)?.as_str()?))
}

fn launch_template_data(p: &Value) -> Option<&Value> {
    p.get("LaunchTemplateData")
}

/// IMDSv1 lets any process (or container) on the instance read its credentials with one GET.
pub fn launch_templates_require_imdsv2(template: &Template) -> Vec<String> {
    of_type(template, "AWS::EC2::LaunchTemplate")
        .filter(|(_, p)| {
            let options = launch_template_data(p).and_then(|d| d.get("MetadataOptions"));
            let field = |key: &str| options.and_then(|m| m.get(key)).and_then(Value::as_str);
            // With the endpoint off there is no metadata service to protect.
            field("HttpTokens") != Some("required") && field("HttpEndpoint") != Some("disabled")
        })
        .map(|(id, _)| format!("{id}: MetadataOptions.HttpTokens must be \"required\" (IMDSv2)"))
        .collect()
}

/// Unencrypted EBS volumes would hold model weights and Docker layers in the clear.
pub fn launch_template_volumes_encrypted(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, p) in of_type(template, "AWS::EC2::LaunchTemplate") {
        for mapping in array(launch_template_data(p).and_then(|d| d.get("BlockDeviceMappings"))) {
            if let Some(ebs) = mapping.get("Ebs")
                && !is_true(ebs.get("Encrypted"))
            {
                let device = mapping
                    .get("DeviceName")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                problems.push(format!("{id}: EBS volume {device} must be encrypted"));
            }
        }
    }
    problems
}

/// A group without subnets (or zones) fails at deploy time in a default-VPC-less account.
pub fn groups_have_subnets(template: &Template) -> Vec<String> {
    of_type(template, "AWS::AutoScaling::AutoScalingGroup")
        .filter(|(_, p)| {
            let empty = |key: &str| {
                p.get(key)
                    .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty))
            };
            empty("VPCZoneIdentifier") && empty("AvailabilityZones")
        })
        .map(|(id, _)| format!("{id}: needs VPCZoneIdentifier (the model's private subnets)"))
        .collect()
}

/// Fargate has no GPUs: a GPU requirement there fails only when the task is placed.
pub fn gpus_only_on_ec2(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, p) in of_type(template, "AWS::ECS::TaskDefinition") {
        let fargate = array(p.get("RequiresCompatibilities"))
            .iter()
            .any(|c| c.as_str() == Some("FARGATE"));
        let gpu = array(p.get("ContainerDefinitions")).iter().any(|c| {
            array(c.get("ResourceRequirements"))
                .iter()
                .any(|r| r.get("Type").and_then(Value::as_str) == Some("GPU"))
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
    for (id, p) in of_type(template, "AWS::ECS::TaskDefinition") {
        for container in array(p.get("ContainerDefinitions")) {
            if is_true(container.get("Privileged")) {
                let name = container.get("Name").and_then(Value::as_str).unwrap_or("?");
                problems.push(format!("{id}: container {name} must not be privileged"));
            }
        }
    }
    problems
}

/// Model servers have no authentication of their own: their load balancer stays inside the VPC.
pub fn load_balancers_internal(template: &Template) -> Vec<String> {
    of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .filter(|(_, p)| p.get("Scheme").and_then(Value::as_str) != Some("internal"))
        .map(|(id, _)| format!("{id}: Scheme must be \"internal\""))
        .collect()
}

/// All protocols to or from anywhere defeats the security groups.
pub fn no_all_traffic_to_or_from_anywhere(template: &Template) -> Vec<String> {
    let open = |rule: &Value| {
        let all = matches!(rule.get("IpProtocol"), Some(Value::String(p)) if p == "-1" || p == "all")
            || rule.get("IpProtocol") == Some(&Value::from(-1));
        let anywhere = rule.get("CidrIp").and_then(Value::as_str) == Some("0.0.0.0/0")
            || rule.get("CidrIpv6").and_then(Value::as_str) == Some("::/0");
        all && anywhere
    };
    let mut problems = Vec::new();
    for (id, p) in of_type(template, "AWS::EC2::SecurityGroup") {
        for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
            if array(p.get(key)).iter().any(open) {
                problems.push(format!("{id}: {key} allows all traffic with anywhere"));
            }
        }
    }
    for resource_type in [
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
    ] {
        for (id, p) in of_type(template, resource_type) {
            if open(p) {
                problems.push(format!("{id}: allows all traffic with anywhere"));
            }
        }
    }
    problems
}

/// The value of a load balancer or target group attribute, as a number.
fn numeric_attribute(properties: &Value, list: &str, key: &str) -> Option<i64> {
    array(properties.get(list))
        .iter()
        .find(|a| a.get("Key").and_then(Value::as_str) == Some(key))
        .and_then(|a| int(a.get("Value")))
}

/// A target group that drains for less time than a response may stay silent cuts streaming
/// responses off when an instance leaves (scale-in, stop, rolling update).
pub fn draining_covers_idle_timeout(template: &Template) -> Vec<String> {
    let idle = of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .filter_map(|(_, p)| {
            numeric_attribute(p, "LoadBalancerAttributes", "idle_timeout.timeout_seconds")
        })
        .max();
    let Some(idle) = idle else {
        return Vec::new();
    };
    of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
        .filter_map(|(id, p)| {
            // ELB's default deregistration delay is 300 s.
            let delay = numeric_attribute(p, "TargetGroupAttributes", "deregistration_delay.timeout_seconds")
                .unwrap_or(300);
            (delay < idle).then(|| {
                format!("{id}: deregistration delay {delay} s is shorter than the load balancer's idle timeout {idle} s")
            })
        })
        .collect()
}

/// Every task definition fits ECS's limit ([`bounds::TASK_DEFINITION_MAX_BYTES`], measured on
/// its properties as compact JSON). The reader bounds the environment on its own, but a long
/// health-check command, alone or with a large environment, can still pass the limit, and only
/// RegisterTaskDefinition, at deploy time, would say so.
pub fn task_definitions_fit_ecs_limit(template: &Template) -> Vec<String> {
    of_type(template, "AWS::ECS::TaskDefinition")
        .filter_map(|(id, properties)| {
            let size = serde_json::to_string(properties).map_or(0, |text| text.len());
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
