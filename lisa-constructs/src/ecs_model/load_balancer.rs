//! The internal application load balancer in front of the model's instances: two target groups
//! that blue and green tasks take turns in, a production listener rule whose weights ECS moves
//! from one to the other, and a test listener that only the deployment gate may call, on which
//! the new tasks are reached before production traffic is.

use super::parameters::{Domain, Gate, Network};
use super::server_settings::SERVER_PORT;
use crate::cfn::Expr;
use crate::cfn::resources::ec2::{
    EgressRule, IngressRule, SecurityGroup, SecurityGroupEgress, SecurityGroupIngress,
};
use crate::cfn::resources::elbv2::{
    Action, Attribute, Certificate, Listener, ListenerRule, LoadBalancer, Matcher, RuleCondition,
    TargetGroup,
};
use crate::cfn::resources::route53::{AliasTarget, RecordSet};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::TargetHealthCheck;

/// The TLS policy of an HTTPS listener: TLS 1.3 with TLS 1.2 fallback.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// Seconds a connection may stay silent: model responses can pause that long while streaming.
pub const IDLE_TIMEOUT_SECONDS: u32 = 600;
/// Seconds a deregistering target keeps its in-flight requests (scale-in, stop, rolling
/// update): as long as a streaming response may stay silent.
pub const DEREGISTRATION_DELAY_SECONDS: u32 = IDLE_TIMEOUT_SECONDS;
/// The test listener's port over HTTP.
pub const TEST_PORT_HTTP: u16 = 9080;
/// The test listener's port over HTTPS.
pub const TEST_PORT_HTTPS: u16 = 9443;

/// The listener ports: production and test.
pub fn listener_ports(https: bool) -> (u16, u16) {
    if https {
        (443, TEST_PORT_HTTPS)
    } else {
        (80, TEST_PORT_HTTP)
    }
}

/// What the load balancer needs.
#[derive(Debug)]
pub struct LoadBalancerProps<'a> {
    /// VPC, subnets and who may call in.
    pub network: &'a Network,
    /// The target group's health check.
    pub health_check: &'a TargetHealthCheck,
    /// A certificate makes the listener HTTPS on 443; without one it is HTTP on 80.
    pub certificate_arn: Option<Expr>,
    /// The optional name to serve under (an alias record when a name is given).
    pub domain: Option<&'a Domain>,
    /// The deployment gate, the test listener's only client.
    pub gate: &'a Gate,
}

/// The load balancer's resources.
#[derive(Debug, Clone)]
pub struct ModelLoadBalancer {
    /// The load balancer's security group.
    pub security_group: ResourceHandle,
    /// The load balancer.
    pub load_balancer: ResourceHandle,
    /// The target group of the model's instances (blue and green take turns in it and in the
    /// alternate one).
    pub target_group: ResourceHandle,
    /// The second target group of a blue/green deployment.
    pub alternate_target_group: ResourceHandle,
    /// The listener.
    pub listener: ResourceHandle,
    /// The listener's rule for all production traffic, weighted between the two target groups.
    pub production_rule: ResourceHandle,
    /// The test listener.
    pub test_listener: ResourceHandle,
    /// The test listener's rule, weighted between the two target groups.
    pub test_rule: ResourceHandle,
    /// The optional name and the condition under which its alias record exists.
    pub domain: Option<Domain>,
}

impl ModelLoadBalancer {
    /// The OpenAI-compatible base URL (`http(s)://<dns>/v1`). Over HTTPS with a domain name, the
    /// name (which the certificate covers) when one is given at deploy time; otherwise the load
    /// balancer's own DNS name.
    pub fn api_base(&self, https: bool) -> Expr {
        self.url(https, "", "/v1")
    }

    /// The test listener's base URL (`http(s)://<dns>:<test port>`), named like [`Self::api_base`].
    pub fn test_endpoint(&self, https: bool) -> Expr {
        self.url(https, &format!(":{}", listener_ports(https).1), "")
    }

    fn url(&self, https: bool, port: &str, path: &str) -> Expr {
        let scheme = if https { "https" } else { "http" };
        let own = Expr::sub(format!(
            "{scheme}://${{{}.DNSName}}{port}{path}",
            self.load_balancer.logical_id()
        ));
        match (&self.domain, https) {
            (Some(domain), true) => Expr::if_(
                domain.has_domain_name.as_str(),
                Expr::sub(format!(
                    "https://${{{}}}{port}{path}",
                    domain.name_parameter
                )),
                own,
            ),
            _ => own,
        }
    }

    /// The target groups tasks take turns in: the primary one, then the alternate one.
    pub fn target_groups(&self) -> [&ResourceHandle; 2] {
        [&self.target_group, &self.alternate_target_group]
    }
}

/// Adds the security group (clients on the listener port, the gate on the test port), the
/// internal load balancer, both target groups, the listener and its production rule, and the
/// test listener and its rule.
pub fn load_balancer(
    scope: &mut Scope<'_>,
    props: &LoadBalancerProps<'_>,
) -> Result<ModelLoadBalancer, ConstructError> {
    let network = props.network;
    let https = props.certificate_arn.is_some();
    let (listener_port, test_port) = listener_ports(https);

    let security_group = scope.add(
        "SecurityGroup",
        SecurityGroup {
            vpc_id: Some(network.vpc_id.clone()),
            // The placeholder removes AWS's default allow-all egress; the one real egress rule
            // (to the instances) is added by `allow_traffic_to`.
            security_group_egress: vec![EgressRule::deny_all()],
            ..SecurityGroup::new(Expr::sub("Load balancer of ${AWS::StackName}"))
        },
    )?;
    let group_id = security_group.get_att("GroupId");
    for (id, rule, condition) in [
        (
            "IngressFromCidr",
            IngressRule::tcp_from_cidr(
                listener_port,
                network.ingress_cidr.clone(),
                "Model clients by address range",
            ),
            &network.has_ingress_cidr,
        ),
        (
            "IngressFromSecurityGroup",
            IngressRule::tcp_from_group(
                listener_port,
                network.ingress_security_group.clone(),
                "Model clients by security group",
            ),
            &network.has_ingress_security_group,
        ),
        (
            "IngressFromGate",
            IngressRule::tcp_from_group(
                test_port,
                props.gate.security_group_id.clone(),
                "Deployment gate, on the test listener only",
            ),
            &props.gate.has_security_group,
        ),
    ] {
        let ingress = SecurityGroupIngress {
            group_id: group_id.clone(),
            rule,
        };
        scope.add_with(id, ingress, |r| r.condition(condition.as_str()))?;
    }

    let load_balancer = scope.add_with(
        "Resource",
        LoadBalancer {
            scheme: Some(Expr::str("internal")),
            load_balancer_type: Some(Expr::str("application")),
            subnets: Some(network.subnet_ids.clone()),
            security_groups: Some(Expr::list([group_id.clone()])),
            load_balancer_attributes: vec![
                Attribute::new("routing.http.drop_invalid_header_fields.enabled", true),
                Attribute::new("idle_timeout.timeout_seconds", IDLE_TIMEOUT_SECONDS),
            ],
            ..LoadBalancer::default()
        },
        |r| {
            r.checkov_skip(
                "CKV_AWS_91",
                "Access logs need a per-environment log bucket; enable them in the bootstrap stack's account settings",
            )
            .checkov_skip(
                "CKV_AWS_150",
                "Deletion protection would block the API's delete-model operation",
            )
        },
    )?;

    let target_group = scope.add("TargetGroup", model_target_group(props))?;
    let alternate_target_group = scope.add("AlternateTargetGroup", model_target_group(props))?;
    // Both rules start on the primary group; ECS moves their weights, each deployment the other
    // way, so which group serves production alternates.
    let initial_weights =
        || Action::weighted_forward([(target_group.ref_(), 1), (alternate_target_group.ref_(), 0)]);

    // Requests reach the production rule, not the listener's default action (kept as it was
    // before the rule existed, so adding the rule moved no traffic); ECS moves the rule's
    // weights during a blue/green deployment.
    let listener = scope.add_with(
        "Listener",
        model_listener(
            props,
            &load_balancer,
            listener_port,
            Action::forward(target_group.ref_()),
        ),
        |r| skip_plain_http(r, https),
    )?;
    let production_rule = scope.add(
        "ProductionRule",
        ListenerRule {
            listener_arn: listener.ref_(),
            priority: 1u32.into(),
            conditions: vec![RuleCondition::any_path()],
            actions: vec![initial_weights()],
        },
    )?;
    let test_listener = scope.add_with(
        "TestListener",
        model_listener(
            props,
            &load_balancer,
            test_port,
            Action::fixed_response(404, "No route"),
        ),
        |r| skip_plain_http(r, https),
    )?;
    let test_rule = scope.add(
        "TestRule",
        ListenerRule {
            listener_arn: test_listener.ref_(),
            priority: 1u32.into(),
            conditions: vec![RuleCondition::any_path()],
            actions: vec![initial_weights()],
        },
    )?;

    if let Some(domain) = props.domain {
        let record = RecordSet {
            hosted_zone_id: domain.hosted_zone_id.clone(),
            name: domain.name.clone(),
            record_type: Expr::str("A"),
            alias_target: Some(AliasTarget {
                dns_name: load_balancer.get_att("DNSName"),
                hosted_zone_id: load_balancer.get_att("CanonicalHostedZoneID"),
                evaluate_target_health: Some(true),
            }),
        };
        scope.add_with("Alias", record, |r| {
            r.condition(domain.has_domain_name.as_str())
        })?;
    }

    Ok(ModelLoadBalancer {
        security_group,
        load_balancer,
        target_group,
        alternate_target_group,
        listener,
        production_rule,
        test_listener,
        test_rule,
        domain: props.domain.cloned(),
    })
}

/// A target group of the model's tasks, with the definition's health check. Both target groups
/// are the same but for their names.
fn model_target_group(props: &LoadBalancerProps<'_>) -> TargetGroup {
    let check = props.health_check;
    TargetGroup {
        port: Some(SERVER_PORT.into()),
        protocol: Some(Expr::str("HTTP")),
        vpc_id: Some(props.network.vpc_id.clone()),
        target_type: Some(Expr::str("instance")),
        health_check_enabled: Some(true),
        health_check_path: Some(Expr::str(check.path.clone())),
        health_check_port: Some("traffic-port".into()),
        health_check_protocol: Some(Expr::str("HTTP")),
        health_check_interval_seconds: Some(check.interval.into()),
        health_check_timeout_seconds: Some(check.timeout.into()),
        healthy_threshold_count: Some(check.healthy_threshold_count.into()),
        unhealthy_threshold_count: Some(check.unhealthy_threshold_count.into()),
        matcher: Some(Matcher {
            http_code: Some("200".into()),
            ..Matcher::default()
        }),
        target_group_attributes: vec![Attribute::new(
            "deregistration_delay.timeout_seconds",
            DEREGISTRATION_DELAY_SECONDS,
        )],
        ..TargetGroup::default()
    }
}

/// A listener of the model's load balancer on `port` (HTTPS with the certificate when one is
/// given) answering with `default_action` where no rule applies.
fn model_listener(
    props: &LoadBalancerProps<'_>,
    load_balancer: &ResourceHandle,
    port: u16,
    default_action: Action,
) -> Listener {
    let https = props.certificate_arn.is_some();
    Listener {
        load_balancer_arn: load_balancer.ref_(),
        port: Some(port.into()),
        protocol: Some(Expr::str(if https { "HTTPS" } else { "HTTP" })),
        certificates: props
            .certificate_arn
            .iter()
            .map(|arn| Certificate {
                certificate_arn: arn.clone(),
            })
            .collect(),
        ssl_policy: https.then(|| Expr::str(TLS_POLICY)),
        default_actions: vec![default_action],
    }
}

/// The checkov exceptions of a plain-HTTP listener.
fn skip_plain_http(resource: crate::cfn::Resource, https: bool) -> crate::cfn::Resource {
    if https {
        return resource;
    }
    let why = "Internal load balancer reached only from inside the VPC; synthesize with HTTPS and a certificate to serve TLS";
    resource
        .checkov_skip("CKV_AWS_2", why)
        .checkov_skip("CKV_AWS_103", why)
}

/// Lets the load balancer reach the instances on the server port: a standalone egress rule, so the
/// two security groups do not reference each other inline (which would be a cycle).
pub fn allow_traffic_to(
    scope: &mut Scope<'_>,
    lb: &ModelLoadBalancer,
    instance_security_group: Expr,
) -> Result<ResourceHandle, ConstructError> {
    scope.add(
        "EgressToInstances",
        SecurityGroupEgress {
            group_id: lb.security_group.get_att("GroupId"),
            rule: EgressRule {
                destination_security_group_id: Some(instance_security_group),
                cidr_ip: None,
                ..EgressRule::tcp_to_cidr(SERVER_PORT, "", "Model servers")
            },
        },
    )
}
