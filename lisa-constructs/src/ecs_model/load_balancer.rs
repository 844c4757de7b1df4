//! The internal application load balancer in front of the model's instances.

use super::parameters::{Domain, Network};
use super::scripts::SERVER_PORT;
use crate::cfn::Expr;
use crate::cfn::resources::ec2::{
    EgressRule, IngressRule, SecurityGroup, SecurityGroupEgress, SecurityGroupIngress,
};
use crate::cfn::resources::elbv2::{
    Action, Attribute, Certificate, Listener, LoadBalancer, Matcher, TargetGroup,
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
}

/// The load balancer's resources.
#[derive(Debug, Clone)]
pub struct ModelLoadBalancer {
    /// The load balancer's security group.
    pub security_group: ResourceHandle,
    /// The load balancer.
    pub load_balancer: ResourceHandle,
    /// The target group of the model's instances.
    pub target_group: ResourceHandle,
    /// The listener.
    pub listener: ResourceHandle,
    /// The optional name and the condition under which its alias record exists.
    pub domain: Option<Domain>,
}

impl ModelLoadBalancer {
    /// The OpenAI-compatible base URL (`http(s)://<dns>/v1`). Over HTTPS with a domain name, the
    /// name (which the certificate covers) when one is given at deploy time; otherwise the load
    /// balancer's own DNS name.
    pub fn api_base(&self, https: bool) -> Expr {
        let scheme = if https { "https" } else { "http" };
        let own = Expr::sub(format!(
            "{scheme}://${{{}.DNSName}}/v1",
            self.load_balancer.logical_id()
        ));
        match (&self.domain, https) {
            (Some(domain), true) => Expr::if_(
                domain.has_domain_name.as_str(),
                Expr::sub(format!("https://${{{}}}/v1", domain.name_parameter)),
                own,
            ),
            _ => own,
        }
    }
}

/// Adds the security group, internal load balancer, target group and listener.
pub fn load_balancer(
    scope: &mut Scope<'_>,
    props: &LoadBalancerProps<'_>,
) -> Result<ModelLoadBalancer, ConstructError> {
    let network = props.network;
    let https = props.certificate_arn.is_some();
    let listener_port: u16 = if https { 443 } else { 80 };

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

    let check = props.health_check;
    let target_group = scope.add(
        "TargetGroup",
        TargetGroup {
            port: Some(SERVER_PORT.into()),
            protocol: Some(Expr::str("HTTP")),
            vpc_id: Some(network.vpc_id.clone()),
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
        },
    )?;

    let listener = Listener {
        load_balancer_arn: load_balancer.ref_(),
        port: Some(listener_port.into()),
        protocol: Some(Expr::str(if https { "HTTPS" } else { "HTTP" })),
        certificates: props
            .certificate_arn
            .iter()
            .map(|arn| Certificate {
                certificate_arn: arn.clone(),
            })
            .collect(),
        ssl_policy: https.then(|| Expr::str(TLS_POLICY)),
        default_actions: vec![Action::forward(target_group.ref_())],
    };
    let listener = scope.add_with("Listener", listener, |r| {
        if https {
            return r;
        }
        let why = "Internal load balancer reached only from inside the VPC; synthesize with HTTPS and a certificate to serve TLS";
        r.checkov_skip("CKV_AWS_2", why)
            .checkov_skip("CKV_AWS_103", why)
    })?;

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
        listener,
        domain: props.domain.cloned(),
    })
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
