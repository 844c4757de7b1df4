//! One failing case per template guard: take a good synthesized template, break exactly one rule
//! in a resource's typed properties, and check that exactly that guard reports it, naming the
//! resource.

mod common;

use common::{case, cases, synth};
use lisa_constructs::cfn::resources::application_autoscaling::ScalingPolicy as ServicePolicy;
use lisa_constructs::cfn::resources::autoscaling::{
    AutoScalingGroup, PredefinedMetricSpecification, ScalingPolicy, TargetTrackingConfiguration,
};
use lisa_constructs::cfn::resources::ec2::{
    EgressRule, IngressRule, LaunchTemplate, MetadataOptions, SecurityGroup, SecurityGroupIngress,
};
use lisa_constructs::cfn::resources::ecs::{ContainerDefinition, Service, TaskDefinition};
use lisa_constructs::cfn::resources::elbv2::{
    Action, Attribute, ListenerRule, LoadBalancer, TargetGroup,
};
use lisa_constructs::cfn::{Expr, Integer, Resource, ResourceProperties, Template};
use lisa_constructs::construct::{Problem, Stack, StackName};
use lisa_constructs::ecs_model::guards::{self, GUARDS};

const SEED: &str = "seed-mistral-vllm";
const AUTOSCALING: &str = "vllm-autoscaling";
const TEI_CPU: &str = "tei-embedding-cpu-ecr";
// The seed's logical ids the tests break.
const TARGET_GROUP: &str = "LoadBalancerTargetGroup81D27C85";
const ALTERNATE_TARGET_GROUP: &str = "LoadBalancerAlternateTargetGroup223F306C";
const LOAD_BALANCER: &str = "LoadBalancerBE9EEC3A";
const INSTANCE_SECURITY_GROUP: &str = "CapacitySecurityGroup93E22146";
const PRODUCTION_RULE: &str = "LoadBalancerProductionRule1FFFF78B";
const TEST_RULE: &str = "LoadBalancerTestRule238EEAAF";
const GATE_INGRESS: &str = "LoadBalancerIngressFromGate49170F13";

// ---------------------------------------------------------------------------------------------
// Helpers

fn template(case_name: &str) -> Template {
    synth(&case(case_name)).template
}

/// The logical id of the one resource of a type.
fn id_of(template: &Template, resource_type: &str) -> String {
    let ids: Vec<&String> = template
        .resources_of_type(resource_type)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids.len(), 1, "expected one {resource_type}: {ids:?}");
    ids[0].clone()
}

/// The typed properties of the one resource of type `P`, to change them.
fn props_mut<P: ResourceProperties>(template: &mut Template) -> &mut P {
    let mut found = template
        .resources
        .values_mut()
        .filter_map(|r| r.properties_mut::<P>());
    let properties = found.next().expect("one resource of the type");
    assert!(found.next().is_none(), "more than one resource of the type");
    properties
}

/// The typed properties of resource `logical_id`, to change them.
fn props_of<'a, P: ResourceProperties>(template: &'a mut Template, logical_id: &str) -> &'a mut P {
    template
        .resources
        .get_mut(logical_id)
        .and_then(|r| r.properties_mut::<P>())
        .unwrap_or_else(|| panic!("no {logical_id} of the type"))
}

fn server_container(template: &mut Template) -> &mut ContainerDefinition {
    props_mut::<TaskDefinition>(template)
        .container_definitions
        .iter_mut()
        .find(|c| c.name == Expr::from("model-server"))
        .expect("server container")
}

fn run_guard(name: &str, template: &Template) -> Vec<String> {
    let (_, guard) = GUARDS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no guard {name}"));
    guard(template)
}

/// Asserts that `guard` reports exactly one problem naming `logical_id` (and containing
/// `fragment`), and that no other guard objects to the template.
fn assert_only_breaks(template: &Template, guard: &str, logical_id: &str, fragment: &str) {
    let problems = run_guard(guard, template);
    assert_eq!(problems.len(), 1, "{guard}: {problems:?}");
    assert!(
        problems[0].starts_with(&format!("{logical_id}: ")),
        "{guard} should name {logical_id}: {}",
        problems[0]
    );
    assert!(
        problems[0].contains(fragment),
        "{guard} should mention {fragment:?}: {}",
        problems[0]
    );
    let all = guards::check(template);
    assert_eq!(all, vec![format!("{guard}: {}", problems[0])]);
}

/// Every guard has a breaking test below; a new guard fails here until it gets one.
const TESTED_GUARDS: &[&str] = &[
    "target-group-health-check",
    "container-health-check",
    "service-load-balancer",
    "scaling-resource-label",
    "imds-v2",
    "encrypted-volumes",
    "group-subnets",
    "gpu-on-ec2",
    "unprivileged-containers",
    "internal-load-balancer",
    "no-open-all-traffic",
    "draining-covers-idle-timeout",
    "task-definition-size",
    "blue-green-target-groups",
    "test-listener-gate-only",
    "service-scaling-both-groups",
    "blue-green-room",
];

// ---------------------------------------------------------------------------------------------
// The good templates

#[test]
fn every_guard_is_tested() {
    let names: Vec<&str> = GUARDS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, TESTED_GUARDS);
}

#[test]
fn every_case_passes_every_guard() {
    for case in cases() {
        let template = synth(&case).template;
        for (name, guard) in GUARDS {
            assert_eq!(
                guard(&template),
                Vec::<String>::new(),
                "{}: {name}",
                case.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One broken rule each

#[test]
fn target_group_timeout_not_below_interval() {
    for tg in [TARGET_GROUP, ALTERNATE_TARGET_GROUP] {
        let mut t = template(SEED);
        // Equal is already too long; a string-typed number must be read as well.
        props_of::<TargetGroup>(&mut t, tg).health_check_timeout_seconds =
            Some(Integer::from(Expr::from("60")));
        assert_only_breaks(
            &t,
            "target-group-health-check",
            tg,
            "timeout 60 s must be less than the interval 60 s",
        );
    }
}

#[test]
fn container_health_check_out_of_bounds() {
    for (field, value) in [
        ("Interval", 4),
        ("Interval", 301),
        ("Timeout", 1),
        ("Timeout", 121),
        ("Retries", 0),
        ("Retries", 11),
        ("StartPeriod", 301),
    ] {
        let mut t = template(SEED);
        let task = id_of(&t, "AWS::ECS::TaskDefinition");
        let check = server_container(&mut t)
            .health_check
            .as_mut()
            .expect("health check");
        let slot = match field {
            "Interval" => &mut check.interval,
            "Timeout" => &mut check.timeout,
            "Retries" => &mut check.retries,
            _ => &mut check.start_period,
        };
        *slot = Some(Integer::from(value));
        assert_only_breaks(
            &t,
            "container-health-check",
            &task,
            &format!("container model-server: health check {field} {value} is outside"),
        );
    }
}

#[test]
fn service_load_balancer_names_an_unknown_container() {
    let mut t = template(SEED);
    let service = id_of(&t, "AWS::ECS::Service");
    props_mut::<Service>(&mut t).load_balancers[0].container_name = Expr::from("model-servr");
    assert_only_breaks(
        &t,
        "service-load-balancer",
        &service,
        "\"model-servr\" is not in the task definition",
    );
}

#[test]
fn service_load_balancer_names_an_unmapped_port() {
    let mut t = template(SEED);
    let service = id_of(&t, "AWS::ECS::Service");
    props_mut::<Service>(&mut t).load_balancers[0].container_port = Integer::from(8000);
    assert_only_breaks(
        &t,
        "service-load-balancer",
        &service,
        "container \"model-server\" maps no port Some(8000)",
    );
}

/// The seed with a target-tracking policy on its Auto Scaling group, on the load balancer's
/// requests per target (a library user's own stack may scale the group itself).
fn with_group_policy() -> (Template, &'static str) {
    const POLICY: &str = "GroupPolicy";
    let mut t = template(SEED);
    let group = id_of(&t, "AWS::AutoScaling::AutoScalingGroup");
    let policy = ScalingPolicy::target_tracking(
        Expr::ref_(group),
        TargetTrackingConfiguration {
            predefined_metric_specification: Some(PredefinedMetricSpecification {
                predefined_metric_type: Expr::from("ALBRequestCountPerTarget"),
                resource_label: Some(Expr::join(
                    "/",
                    [
                        Expr::get_att(LOAD_BALANCER, "LoadBalancerFullName"),
                        Expr::get_att(TARGET_GROUP, "TargetGroupFullName"),
                    ],
                )),
            }),
            customized_metric_specification: None,
            target_value: 30.0,
            disable_scale_in: None,
        },
    );
    t.resources.insert(
        POLICY.to_owned(),
        Resource::from_properties(policy).expect("renders"),
    );
    assert_eq!(guards::check(&t), Vec::<String>::new());
    (t, POLICY)
}

fn metric(t: &mut Template) -> &mut PredefinedMetricSpecification {
    props_mut::<ScalingPolicy>(t)
        .target_tracking_configuration
        .as_mut()
        .and_then(|c| c.predefined_metric_specification.as_mut())
        .expect("a predefined metric")
}

fn resource_label_join(t: &mut Template) -> (&mut String, &mut Vec<Expr>) {
    match metric(t).resource_label.as_mut() {
        Some(Expr::Join(separator, items)) => (separator, items),
        other => panic!("ResourceLabel is not a join: {other:?}"),
    }
}

#[test]
fn scaling_resource_label_is_not_a_join() {
    let (mut t, policy) = with_group_policy();
    metric(&mut t).resource_label = Some(Expr::from("app/lb/123/targetgroup/tg/456"));
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        policy,
        "ResourceLabel must join",
    );
}

#[test]
fn scaling_resource_label_has_the_names_swapped() {
    let (mut t, policy) = with_group_policy();
    resource_label_join(&mut t).1.reverse();
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        policy,
        "ResourceLabel must be Join(\"/\"",
    );
}

#[test]
fn scaling_resource_label_uses_another_separator() {
    let (mut t, policy) = with_group_policy();
    *resource_label_join(&mut t).0 = String::new();
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        policy,
        "ResourceLabel must be Join(\"/\"",
    );
}

#[test]
fn scaling_resource_label_names_a_target_group_no_listener_routes_to() {
    let (mut t, policy) = with_group_policy();
    resource_label_join(&mut t).1[1] = Expr::get_att("OtherTargetGroup", "TargetGroupFullName");
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        policy,
        &format!("no listener of {LOAD_BALANCER} forwards to OtherTargetGroup"),
    );
}

fn metadata_options(t: &mut Template) -> &mut Option<MetadataOptions> {
    &mut props_mut::<LaunchTemplate>(t)
        .launch_template_data
        .metadata_options
}

#[test]
fn imds_optional() {
    let mut t = template(SEED);
    let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
    metadata_options(&mut t)
        .as_mut()
        .expect("metadata options")
        .http_tokens = Some(Expr::from("optional"));
    assert_only_breaks(&t, "imds-v2", &lt, "HttpTokens must be \"required\"");
}

#[test]
fn imds_options_absent() {
    let mut t = template(SEED);
    let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
    *metadata_options(&mut t) = None;
    assert_only_breaks(&t, "imds-v2", &lt, "HttpTokens must be \"required\"");
}

#[test]
fn root_volume_unencrypted() {
    for encrypted in [Some(false), None] {
        let mut t = template(SEED);
        let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
        props_mut::<LaunchTemplate>(&mut t)
            .launch_template_data
            .block_device_mappings[0]
            .ebs
            .as_mut()
            .expect("ebs")
            .encrypted = encrypted;
        assert_only_breaks(
            &t,
            "encrypted-volumes",
            &lt,
            "EBS volume /dev/xvda must be encrypted",
        );
    }
}

#[test]
fn group_without_subnets() {
    let mut t = template(SEED);
    let group = id_of(&t, "AWS::AutoScaling::AutoScalingGroup");
    props_mut::<AutoScalingGroup>(&mut t).vpc_zone_identifier = None;
    assert_only_breaks(&t, "group-subnets", &group, "needs VPCZoneIdentifier");
}

#[test]
fn gpu_task_on_fargate() {
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    props_mut::<TaskDefinition>(&mut t).requires_compatibilities = vec![Expr::from("FARGATE")];
    assert_only_breaks(
        &t,
        "gpu-on-ec2",
        &task,
        "GPU containers need the EC2 launch type",
    );
}

#[test]
fn cpu_task_on_fargate_is_not_a_gpu_problem() {
    let mut t = template(TEI_CPU);
    props_mut::<TaskDefinition>(&mut t).requires_compatibilities = vec![Expr::from("FARGATE")];
    assert_eq!(run_guard("gpu-on-ec2", &t), Vec::<String>::new());
}

#[test]
fn privileged_container() {
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    server_container(&mut t).privileged = Some(true);
    assert_only_breaks(
        &t,
        "unprivileged-containers",
        &task,
        "container model-server must not be privileged",
    );
}

#[test]
fn internet_facing_load_balancer() {
    let mut t = template(SEED);
    let lb = id_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    props_mut::<LoadBalancer>(&mut t).scheme = Some(Expr::from("internet-facing"));
    assert_only_breaks(
        &t,
        "internal-load-balancer",
        &lb,
        "Scheme must be \"internal\"",
    );
}

#[test]
fn load_balancer_without_scheme() {
    // CloudFormation's default scheme is internet-facing.
    let mut t = template(SEED);
    let lb = id_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    props_mut::<LoadBalancer>(&mut t).scheme = None;
    assert_only_breaks(
        &t,
        "internal-load-balancer",
        &lb,
        "Scheme must be \"internal\"",
    );
}

#[test]
fn inline_egress_of_all_traffic_to_anywhere() {
    for protocol in [Expr::from("-1"), Expr::Int(-1), Expr::from("all")] {
        let mut t = template(SEED);
        let instances = "CapacitySecurityGroup93E22146";
        props_of::<SecurityGroup>(&mut t, instances)
            .security_group_egress
            .push(EgressRule {
                ip_protocol: protocol,
                from_port: None,
                to_port: None,
                ..EgressRule::tcp_to_cidr(443, "0.0.0.0/0", "everything")
            });
        assert_only_breaks(
            &t,
            "no-open-all-traffic",
            instances,
            "SecurityGroupEgress allows all traffic with anywhere",
        );
    }
}

#[test]
fn inline_ingress_of_all_traffic_from_anywhere_v6() {
    let mut t = template(SEED);
    // The instances' group: on the load balancer's, the rule would also open the test listener.
    let lb_group = INSTANCE_SECURITY_GROUP;
    props_of::<SecurityGroup>(&mut t, lb_group).security_group_ingress = vec![IngressRule {
        ip_protocol: Expr::from("-1"),
        from_port: None,
        to_port: None,
        cidr_ip: None,
        cidr_ipv6: Some(Expr::from("::/0")),
        ..IngressRule::tcp_from_cidr(443, "0.0.0.0/0", "everything")
    }];
    assert_only_breaks(
        &t,
        "no-open-all-traffic",
        lb_group,
        "SecurityGroupIngress allows all traffic with anywhere",
    );
}

#[test]
fn standalone_ingress_of_all_traffic_from_anywhere() {
    let mut t = template(SEED);
    let rule = "LoadBalancerIngressFromCidrEA9CA8EB";
    let ingress = props_of::<SecurityGroupIngress>(&mut t, rule);
    ingress.rule.ip_protocol = Expr::from("-1");
    ingress.rule.cidr_ip = Some(Expr::from("0.0.0.0/0"));
    assert_only_breaks(
        &t,
        "no-open-all-traffic",
        rule,
        "allows all traffic with anywhere",
    );
}

#[test]
fn tcp_from_anywhere_is_not_all_traffic() {
    // The instances' HTTPS egress to 0.0.0.0/0 is a single port: allowed.
    let t = template(SEED);
    assert_eq!(run_guard("no-open-all-traffic", &t), Vec::<String>::new());
    let mut t = template(SEED);
    props_of::<SecurityGroupIngress>(&mut t, "LoadBalancerIngressFromCidrEA9CA8EB")
        .rule
        .cidr_ip = Some(Expr::from("0.0.0.0/0"));
    assert_eq!(run_guard("no-open-all-traffic", &t), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// The validation pass

/// `synthesize` attaches `guards::check` to its stack the same way; a stack composed from parts
/// with the guards attached refuses to render a template that breaks one.
#[test]
fn a_stack_with_the_guards_attached_refuses_a_broken_template() {
    let mut stack = Stack::new(StackName::new("lisa-guarded").expect("valid name"));
    stack.add_validation("guards", guards::check);
    let mut lb: Resource = template(SEED)
        .resources
        .get("LoadBalancerBE9EEC3A")
        .expect("load balancer")
        .clone();
    // Keep the resource free of references so only the guard can object.
    let properties = lb
        .properties_mut::<LoadBalancer>()
        .expect("load balancer properties");
    properties.subnets = Some(Expr::list([
        "subnet-0123456789abcdef0",
        "subnet-0fedcba9876543210",
    ]));
    properties.security_groups = Some(Expr::list(["sg-0123456789abcdef0"]));
    stack
        .root()
        .add_resource("InternalLoadBalancer", lb.clone())
        .expect("added");
    assert!(stack.synth().is_ok(), "an internal load balancer passes");

    lb.properties_mut::<LoadBalancer>()
        .expect("load balancer properties")
        .scheme = Some(Expr::from("internet-facing"));
    let handle = stack
        .root()
        .add_resource("PublicLoadBalancer", lb)
        .expect("added");
    let error = stack.synth().expect_err("the guard rejects the template");
    assert_eq!(
        error.problems,
        vec![Problem::Custom {
            validator: "guards".into(),
            message: format!(
                "internal-load-balancer: {}: Scheme must be \"internal\"",
                handle.logical_id()
            ),
        }]
    );
}

#[test]
fn group_with_an_empty_subnet_list() {
    let mut t = template(SEED);
    let group = id_of(&t, "AWS::AutoScaling::AutoScalingGroup");
    props_mut::<AutoScalingGroup>(&mut t).vpc_zone_identifier = Some(Expr::List(Vec::new()));
    assert_only_breaks(&t, "group-subnets", &group, "needs VPCZoneIdentifier");
}

#[test]
fn draining_shorter_than_the_idle_timeout() {
    let mut t = template(SEED);
    props_of::<TargetGroup>(&mut t, ALTERNATE_TARGET_GROUP).target_group_attributes =
        vec![Attribute {
            key: Expr::from("deregistration_delay.timeout_seconds"),
            value: "30".into(),
        }];
    assert_only_breaks(
        &t,
        "draining-covers-idle-timeout",
        ALTERNATE_TARGET_GROUP,
        "30 s",
    );
}

#[test]
fn task_definition_over_the_ecs_limit() {
    // The environment is bounded on its own; a long health-check command is not, and with it
    // the task definition passes ECS's 64 KiB, which only RegisterTaskDefinition would refuse.
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    server_container(&mut t)
        .health_check
        .as_mut()
        .expect("health check")
        .command = vec![Expr::from("CMD-SHELL"), Expr::from("x".repeat(64 * 1024))];
    assert_only_breaks(
        &t,
        "task-definition-size",
        &task,
        "over ECS's limit of 65536 bytes",
    );
}

#[test]
fn a_blue_green_rule_that_misses_a_target_group() {
    for (rule, role) in [(PRODUCTION_RULE, "production"), (TEST_RULE, "test")] {
        let mut t = template(SEED);
        props_of::<ListenerRule>(&mut t, rule).actions =
            vec![Action::forward(Expr::ref_(TARGET_GROUP))];
        assert_only_breaks(
            &t,
            "blue-green-target-groups",
            "Service",
            &format!(
                "{role} listener rule {rule} must forward to both target groups ({ALTERNATE_TARGET_GROUP}, {TARGET_GROUP}), found {TARGET_GROUP}"
            ),
        );
    }
}

#[test]
fn the_test_listener_open_to_another_source() {
    // An address range on the test port.
    let mut t = template(SEED);
    let mut wide = props_of::<SecurityGroupIngress>(&mut t, GATE_INGRESS).clone();
    wide.rule.source_security_group_id = None;
    wide.rule.cidr_ip = Some(Expr::from("10.0.0.0/8"));
    t.resources.insert(
        "TestPortFromTheVpc".into(),
        Resource::from_properties(wide).expect("renders"),
    );
    assert_only_breaks(
        &t,
        "test-listener-gate-only",
        "TestPortFromTheVpc",
        "admits port 9080 of test listener",
    );
    // The clients' security group on the test port.
    let mut t = template(SEED);
    props_of::<SecurityGroupIngress>(&mut t, GATE_INGRESS)
        .rule
        .source_security_group_id = Some(Expr::ref_("LoadBalancerIngressSecurityGroupId"));
    assert_only_breaks(
        &t,
        "test-listener-gate-only",
        GATE_INGRESS,
        "from another source than the GateSecurityGroupId parameter",
    );
}

#[test]
fn request_count_scaling_that_reads_one_target_group() {
    let mut t = template(AUTOSCALING);
    let policy = id_of(&t, "AWS::ApplicationAutoScaling::ScalingPolicy");
    let spec = props_mut::<ServicePolicy>(&mut t)
        .target_tracking_scaling_policy_configuration
        .as_mut()
        .and_then(|c| c.customized_metric_specification.as_mut())
        .expect("customized metric");
    let green = spec.metrics[1]
        .metric_stat
        .as_mut()
        .expect("a metric")
        .metric
        .dimensions
        .iter_mut()
        .find(|d| d.name == Expr::from("TargetGroup"))
        .expect("a target group dimension");
    green.value = Expr::get_att(TARGET_GROUP, "TargetGroupFullName");
    assert_only_breaks(
        &t,
        "service-scaling-both-groups",
        &policy,
        &format!("must be read from both target groups of the service, found {TARGET_GROUP}"),
    );
}

#[test]
fn a_group_without_room_for_green_tasks() {
    let mut t = template(AUTOSCALING);
    // maxCapacity 4: a deployment at that size runs 8 tasks.
    props_mut::<AutoScalingGroup>(&mut t).max_size = 7u32.into();
    assert_only_breaks(
        &t,
        "blue-green-room",
        "Service",
        "has MaxSize 7, below the 8 instances a blue/green deployment of 4 tasks needs",
    );
}
