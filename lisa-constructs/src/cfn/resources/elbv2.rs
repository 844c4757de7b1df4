//! `AWS::ElasticLoadBalancingV2::*`: load balancer, target group, listener, listener rule.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, Integer, NumericString, resource_type};

/// A `{Key, Value}` load balancer / target group attribute (values always render as strings).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    /// `idle_timeout.timeout_seconds`, `deregistration_delay.timeout_seconds`, ...
    pub key: Expr,
    /// The value, rendered as a JSON string.
    pub value: NumericString,
}
crate::references_of_fields!(Attribute { key, value });

impl Attribute {
    /// An attribute.
    pub fn new(key: impl Into<Expr>, value: impl Into<NumericString>) -> Attribute {
        Attribute {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `AWS::ElasticLoadBalancingV2::LoadBalancer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    /// Physical name (32 characters max); generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `internal` or `internet-facing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Expr>,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub load_balancer_type: Option<Expr>,
    /// Subnets (a list, or one intrinsic yielding a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Expr>,
    /// Security groups (a list, or one intrinsic yielding a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Expr>,
    /// `ipv4` or `dualstack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<Expr>,
    /// Attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_attributes: Vec<Attribute>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(LoadBalancer {
    name,
    scheme,
    load_balancer_type,
    subnets,
    security_groups,
    ip_address_type,
    load_balancer_attributes,
    tags
});
resource_type!(LoadBalancer, "AWS::ElasticLoadBalancingV2::LoadBalancer");

/// `AWS::ElasticLoadBalancingV2::TargetGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    /// Physical name; generated when absent (a fixed name blocks replacement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// Target port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<Integer>,
    /// `HTTP`, `HTTPS`, `TCP`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Expr>,
    /// The VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Expr>,
    /// `instance`, `ip`, `lambda`, `alb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<Expr>,
    /// Health checks on (always on for instance targets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_enabled: Option<bool>,
    /// Health check path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<Expr>,
    /// `traffic-port` or a port number; String-typed, rendered as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<NumericString>,
    /// Health check protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<Expr>,
    /// Seconds between checks (5-300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<Integer>,
    /// Seconds a check may take (2-120; must be below the interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<Integer>,
    /// Successes before healthy (2-10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<Integer>,
    /// Failures before unhealthy (2-10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<Integer>,
    /// Accepted response codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<Matcher>,
    /// Attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_group_attributes: Vec<Attribute>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(TargetGroup {
    name,
    port,
    protocol,
    vpc_id,
    target_type,
    health_check_enabled,
    health_check_path,
    health_check_port,
    health_check_protocol,
    health_check_interval_seconds,
    health_check_timeout_seconds,
    healthy_threshold_count,
    unhealthy_threshold_count,
    matcher,
    target_group_attributes,
    tags
});
resource_type!(TargetGroup, "AWS::ElasticLoadBalancingV2::TargetGroup");

/// `TargetGroup.Matcher`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    /// `200`, `200-299`, `200,202`; rendered as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_code: Option<NumericString>,
    /// gRPC codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_code: Option<NumericString>,
}
crate::references_of_fields!(Matcher {
    http_code,
    grpc_code
});

/// `AWS::ElasticLoadBalancingV2::Listener`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    /// The load balancer.
    pub load_balancer_arn: Expr,
    /// Listening port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<Integer>,
    /// `HTTP` or `HTTPS` (ALB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Expr>,
    /// Server certificates (HTTPS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Certificate>,
    /// TLS policy (HTTPS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<Expr>,
    /// What to do with requests.
    pub default_actions: Vec<Action>,
}
crate::references_of_fields!(Listener {
    load_balancer_arn,
    port,
    protocol,
    certificates,
    ssl_policy,
    default_actions
});
resource_type!(Listener, "AWS::ElasticLoadBalancingV2::Listener");

/// `Listener.Certificates[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    /// ACM or IAM certificate ARN.
    pub certificate_arn: Expr,
}
crate::references_of_fields!(Certificate { certificate_arn });

/// `Listener.DefaultActions[]` and `ListenerRule.Actions[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    /// `forward`, `redirect`, `fixed-response`, ...
    #[serde(rename = "Type")]
    pub action_type: Expr,
    /// Target group of a `forward` action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    /// Weighted target groups of a `forward` action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_config: Option<ForwardConfig>,
    /// The answer of a `fixed-response` action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_response_config: Option<FixedResponseConfig>,
    /// Evaluation order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Integer>,
}
crate::references_of_fields!(Action {
    action_type,
    target_group_arn,
    forward_config,
    fixed_response_config,
    order
});

impl Action {
    fn of_type(action_type: &str) -> Action {
        Action {
            action_type: Expr::from(action_type),
            target_group_arn: None,
            forward_config: None,
            fixed_response_config: None,
            order: None,
        }
    }

    /// Forward everything to one target group.
    pub fn forward(target_group_arn: impl Into<Expr>) -> Action {
        Action {
            target_group_arn: Some(target_group_arn.into()),
            ..Action::of_type("forward")
        }
    }

    /// Forward to target groups in proportion to their weights (a weight of 0 receives nothing).
    pub fn weighted_forward(target_groups: impl IntoIterator<Item = (Expr, u32)>) -> Action {
        Action {
            forward_config: Some(ForwardConfig {
                target_groups: target_groups
                    .into_iter()
                    .map(|(arn, weight)| TargetGroupTuple {
                        target_group_arn: arn,
                        weight: Some(weight.into()),
                    })
                    .collect(),
            }),
            ..Action::of_type("forward")
        }
    }

    /// Answer every request with `status_code` and a plain-text `message`.
    pub fn fixed_response(status_code: u16, message: impl Into<Expr>) -> Action {
        Action {
            fixed_response_config: Some(FixedResponseConfig {
                status_code: status_code.into(),
                content_type: Some(Expr::from("text/plain")),
                message_body: Some(message.into()),
            }),
            ..Action::of_type("fixed-response")
        }
    }

    /// The target groups a `forward` action sends to, with their weights (`None`: unweighted).
    pub fn forwarded_target_groups(&self) -> Vec<(&Expr, Option<&Integer>)> {
        let single = self.target_group_arn.iter().map(|arn| (arn, None));
        let weighted = self
            .forward_config
            .iter()
            .flat_map(|c| c.target_groups.iter())
            .map(|t| (&t.target_group_arn, t.weight.as_ref()));
        single.chain(weighted).collect()
    }
}

/// `Action.ForwardConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardConfig {
    /// The target groups and their weights.
    pub target_groups: Vec<TargetGroupTuple>,
}
crate::references_of_fields!(ForwardConfig { target_groups });

/// `ForwardConfig.TargetGroups[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupTuple {
    /// The target group.
    pub target_group_arn: Expr,
    /// Its share of the requests (0 to 999).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<Integer>,
}
crate::references_of_fields!(TargetGroupTuple {
    target_group_arn,
    weight
});

/// `Action.FixedResponseConfig` (`StatusCode` is String-typed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    /// `2XX`, `4XX` or `5XX` code, rendered as a JSON string.
    pub status_code: NumericString,
    /// `text/plain`, `application/json`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<Expr>,
    /// The body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_body: Option<Expr>,
}
crate::references_of_fields!(FixedResponseConfig {
    status_code,
    content_type,
    message_body
});

/// `AWS::ElasticLoadBalancingV2::ListenerRule`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    /// The listener.
    pub listener_arn: Expr,
    /// Evaluation order among the listener's rules (1 to 50,000, unique per listener).
    pub priority: Integer,
    /// When the rule applies.
    pub conditions: Vec<RuleCondition>,
    /// What it does.
    pub actions: Vec<Action>,
}
crate::references_of_fields!(ListenerRule {
    listener_arn,
    priority,
    conditions,
    actions
});
resource_type!(ListenerRule, "AWS::ElasticLoadBalancingV2::ListenerRule");

/// `ListenerRule.Conditions[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    /// `path-pattern`, `host-header`, `http-header`, ...
    pub field: Expr,
    /// The paths of a `path-pattern` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_pattern_config: Option<PathPatternConfig>,
}
crate::references_of_fields!(RuleCondition {
    field,
    path_pattern_config
});

impl RuleCondition {
    /// Every request path.
    pub fn any_path() -> RuleCondition {
        RuleCondition {
            field: Expr::from("path-pattern"),
            path_pattern_config: Some(PathPatternConfig {
                values: vec![Expr::from("/*")],
            }),
        }
    }
}

/// `RuleCondition.PathPatternConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathPatternConfig {
    /// Path patterns (`*` and `?` wildcards).
    pub values: Vec<Expr>,
}
crate::references_of_fields!(PathPatternConfig { values });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn attributes_and_health_check_port_are_strings() {
        let lb = LoadBalancer {
            scheme: Some("internal".into()),
            load_balancer_type: Some("application".into()),
            subnets: Some(Expr::ref_("Subnets")),
            security_groups: Some(Expr::list([Expr::get_att("Sg", "GroupId")])),
            load_balancer_attributes: vec![
                Attribute::new("idle_timeout.timeout_seconds", 600u32),
                Attribute::new("routing.http.drop_invalid_header_fields.enabled", true),
            ],
            ..LoadBalancer::default()
        };
        let v = Resource::new(&lb)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["Type"], json!("application"));
        assert_eq!(
            v["LoadBalancerAttributes"],
            json!([
                {"Key": "idle_timeout.timeout_seconds", "Value": "600"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}
            ])
        );

        let tg = TargetGroup {
            port: Some(8080u16.into()),
            protocol: Some("HTTP".into()),
            vpc_id: Some(Expr::ref_("Vpc")),
            target_type: Some("instance".into()),
            health_check_path: Some("/health".into()),
            health_check_port: Some("traffic-port".into()),
            health_check_interval_seconds: Some(60u32.into()),
            health_check_timeout_seconds: Some(30u32.into()),
            healthy_threshold_count: Some(2u32.into()),
            unhealthy_threshold_count: Some(10u32.into()),
            matcher: Some(Matcher {
                http_code: Some(200u32.into()),
                grpc_code: None,
            }),
            target_group_attributes: vec![Attribute::new(
                "deregistration_delay.timeout_seconds",
                30u32,
            )],
            ..TargetGroup::default()
        };
        let v = Resource::new(&tg)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["Port"], json!(8080));
        assert_eq!(v["HealthCheckIntervalSeconds"], json!(60));
        assert_eq!(v["HealthCheckPort"], json!("traffic-port"));
        assert_eq!(v["Matcher"], json!({"HttpCode": "200"}));
        assert_eq!(v["TargetGroupAttributes"][0]["Value"], json!("30"));
        let numeric_port = Matcher {
            http_code: None,
            grpc_code: None,
        };
        assert_eq!(serde_json::to_value(numeric_port).expect("json"), json!({}));
    }

    #[test]
    fn listener_rule_forwards_by_weight_and_fixed_responses_are_strings() {
        let rule = ListenerRule {
            listener_arn: Expr::ref_("Listener"),
            priority: 1u32.into(),
            conditions: vec![RuleCondition::any_path()],
            actions: vec![Action::weighted_forward([
                (Expr::ref_("Blue"), 1),
                (Expr::ref_("Green"), 0),
            ])],
        };
        let v = Resource::new(&rule)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(
            v,
            json!({
                "ListenerArn": {"Ref": "Listener"},
                "Priority": 1,
                "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
                "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                    {"TargetGroupArn": {"Ref": "Blue"}, "Weight": 1},
                    {"TargetGroupArn": {"Ref": "Green"}, "Weight": 0}
                ]}}]
            })
        );
        let forwarded: Vec<_> = rule.actions[0]
            .forwarded_target_groups()
            .into_iter()
            .map(|(arn, weight)| (arn.clone(), weight.and_then(Integer::as_literal)))
            .collect();
        assert_eq!(
            forwarded,
            [
                (Expr::ref_("Blue"), Some(1)),
                (Expr::ref_("Green"), Some(0))
            ]
        );
        assert_eq!(
            serde_json::to_value(Action::fixed_response(404, "no route")).expect("json"),
            json!({"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no route"}})
        );
    }

    #[test]
    fn listener_forwards_with_certificate() {
        let l = Listener {
            load_balancer_arn: Expr::ref_("Lb"),
            port: Some(443u16.into()),
            protocol: Some("HTTPS".into()),
            certificates: vec![Certificate {
                certificate_arn: Expr::ref_("Cert"),
            }],
            ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
            default_actions: vec![Action::forward(Expr::ref_("Tg"))],
        };
        let v = Resource::new(&l)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["Port"], json!(443));
        assert_eq!(
            v["DefaultActions"],
            json!([{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}])
        );
        assert_eq!(
            v["Certificates"],
            json!([{"CertificateArn": {"Ref": "Cert"}}])
        );
    }
}
