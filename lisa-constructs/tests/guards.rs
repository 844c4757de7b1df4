//! One failing case per template guard: take a good synthesized template, break exactly one rule
//! in a resource's properties, and check that exactly that guard reports it, naming the resource.

mod common;

use common::{case, cases, synth};
use lisa_constructs::cfn::{Resource, Template};
use lisa_constructs::construct::{Problem, Stack, StackName};
use lisa_constructs::ecs_model::guards::{self, GUARDS};
use serde_json::{Value, json};

const SEED: &str = "seed-mistral-vllm";
const AUTOSCALING: &str = "vllm-autoscaling";
const TEI_CPU: &str = "tei-embedding-cpu-ecr";

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

/// The properties of the one resource of a type, to mutate.
fn props_mut<'a>(template: &'a mut Template, resource_type: &str) -> &'a mut Value {
    let id = id_of(template, resource_type);
    &mut template
        .resources
        .get_mut(&id)
        .expect("resource exists")
        .properties
}

fn server_container(template: &mut Template) -> &mut Value {
    props_mut(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
        .as_array_mut()
        .expect("containers")
        .iter_mut()
        .find(|c| c["Name"] == "model-server")
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
    let mut t = template(SEED);
    let tg = id_of(&t, "AWS::ElasticLoadBalancingV2::TargetGroup");
    // Equal is already too long; a string-typed number must be read as well.
    props_mut(&mut t, "AWS::ElasticLoadBalancingV2::TargetGroup")["HealthCheckTimeoutSeconds"] =
        json!("60");
    assert_only_breaks(
        &t,
        "target-group-health-check",
        &tg,
        "timeout 60 s must be less than the interval 60 s",
    );
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
        server_container(&mut t)["HealthCheck"][field] = json!(value);
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
    props_mut(&mut t, "AWS::ECS::Service")["LoadBalancers"][0]["ContainerName"] =
        json!("model-servr");
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
    props_mut(&mut t, "AWS::ECS::Service")["LoadBalancers"][0]["ContainerPort"] = json!(8000);
    assert_only_breaks(
        &t,
        "service-load-balancer",
        &service,
        "container \"model-server\" maps no port Some(8000)",
    );
}

fn resource_label(t: &mut Template) -> &mut Value {
    &mut props_mut(t, "AWS::AutoScaling::ScalingPolicy")["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]
        ["ResourceLabel"]
}

#[test]
fn scaling_resource_label_is_not_a_join() {
    let mut t = template(AUTOSCALING);
    let policy = id_of(&t, "AWS::AutoScaling::ScalingPolicy");
    *resource_label(&mut t) = json!("app/lb/123/targetgroup/tg/456");
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        &policy,
        "ResourceLabel must join",
    );
}

#[test]
fn scaling_resource_label_has_the_names_swapped() {
    let mut t = template(AUTOSCALING);
    let policy = id_of(&t, "AWS::AutoScaling::ScalingPolicy");
    let items = &mut resource_label(&mut t)["Fn::Join"][1];
    items.as_array_mut().expect("join items").reverse();
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        &policy,
        "ResourceLabel must be Join(\"/\"",
    );
}

#[test]
fn scaling_resource_label_uses_another_separator() {
    let mut t = template(AUTOSCALING);
    let policy = id_of(&t, "AWS::AutoScaling::ScalingPolicy");
    resource_label(&mut t)["Fn::Join"][0] = json!("");
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        &policy,
        "ResourceLabel must be Join(\"/\"",
    );
}

#[test]
fn scaling_resource_label_names_a_target_group_no_listener_routes_to() {
    let mut t = template(AUTOSCALING);
    let policy = id_of(&t, "AWS::AutoScaling::ScalingPolicy");
    let lb = id_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    resource_label(&mut t)["Fn::Join"][1][1] =
        json!({"Fn::GetAtt": ["OtherTargetGroup", "TargetGroupFullName"]});
    assert_only_breaks(
        &t,
        "scaling-resource-label",
        &policy,
        &format!("no listener of {lb} forwards to OtherTargetGroup"),
    );
}

fn metadata_options(t: &mut Template) -> &mut Value {
    &mut props_mut(t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["MetadataOptions"]
}

#[test]
fn imds_optional() {
    let mut t = template(SEED);
    let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
    metadata_options(&mut t)["HttpTokens"] = json!("optional");
    assert_only_breaks(&t, "imds-v2", &lt, "HttpTokens must be \"required\"");
}

#[test]
fn imds_options_absent() {
    let mut t = template(SEED);
    let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
    props_mut(&mut t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
        .as_object_mut()
        .expect("launch template data")
        .remove("MetadataOptions");
    assert_only_breaks(&t, "imds-v2", &lt, "HttpTokens must be \"required\"");
}

#[test]
fn root_volume_unencrypted() {
    for encrypted in [Some(json!(false)), None] {
        let mut t = template(SEED);
        let lt = id_of(&t, "AWS::EC2::LaunchTemplate");
        let ebs = props_mut(&mut t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
            ["BlockDeviceMappings"][0]["Ebs"]
            .as_object_mut()
            .expect("ebs");
        match &encrypted {
            Some(value) => {
                ebs.insert("Encrypted".into(), value.clone());
            }
            None => {
                ebs.remove("Encrypted");
            }
        }
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
    props_mut(&mut t, "AWS::AutoScaling::AutoScalingGroup")
        .as_object_mut()
        .expect("group properties")
        .remove("VPCZoneIdentifier");
    assert_only_breaks(&t, "group-subnets", &group, "needs VPCZoneIdentifier");
}

#[test]
fn gpu_task_on_fargate() {
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    props_mut(&mut t, "AWS::ECS::TaskDefinition")["RequiresCompatibilities"] = json!(["FARGATE"]);
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
    props_mut(&mut t, "AWS::ECS::TaskDefinition")["RequiresCompatibilities"] = json!(["FARGATE"]);
    assert_eq!(run_guard("gpu-on-ec2", &t), Vec::<String>::new());
}

#[test]
fn privileged_container() {
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    server_container(&mut t)["Privileged"] = json!(true);
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
    props_mut(&mut t, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Scheme"] =
        json!("internet-facing");
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
    props_mut(&mut t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        .as_object_mut()
        .expect("load balancer properties")
        .remove("Scheme");
    assert_only_breaks(
        &t,
        "internal-load-balancer",
        &lb,
        "Scheme must be \"internal\"",
    );
}

fn security_group_props<'a>(t: &'a mut Template, logical_id: &str) -> &'a mut Value {
    &mut t
        .resources
        .get_mut(logical_id)
        .expect("security group")
        .properties
}

#[test]
fn inline_egress_of_all_traffic_to_anywhere() {
    for protocol in [json!("-1"), json!(-1), json!("all")] {
        let mut t = template(SEED);
        let instances = "CapacitySecurityGroup93E22146";
        security_group_props(&mut t, instances)["SecurityGroupEgress"]
            .as_array_mut()
            .expect("egress rules")
            .push(json!({"IpProtocol": protocol, "CidrIp": "0.0.0.0/0"}));
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
    let lb_group = "LoadBalancerSecurityGroup7560AED0";
    security_group_props(&mut t, lb_group)["SecurityGroupIngress"] =
        json!([{"IpProtocol": "-1", "CidrIpv6": "::/0"}]);
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
    let p = security_group_props(&mut t, rule);
    p["IpProtocol"] = json!("-1");
    p["CidrIp"] = json!("0.0.0.0/0");
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
    let p = security_group_props(&mut t, "LoadBalancerIngressFromCidrEA9CA8EB");
    p["CidrIp"] = json!("0.0.0.0/0");
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
    lb.properties["Subnets"] = json!(["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]);
    lb.properties["SecurityGroups"] = json!(["sg-0123456789abcdef0"]);
    stack
        .root()
        .add_resource("InternalLoadBalancer", lb.clone())
        .expect("added");
    assert!(stack.synth().is_ok(), "an internal load balancer passes");

    lb.properties["Scheme"] = json!("internet-facing");
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
    props_mut(&mut t, "AWS::AutoScaling::AutoScalingGroup")["VPCZoneIdentifier"] = json!([]);
    assert_only_breaks(&t, "group-subnets", &group, "needs VPCZoneIdentifier");
}

#[test]
fn draining_shorter_than_the_idle_timeout() {
    let mut t = template(SEED);
    let id = id_of(&t, "AWS::ElasticLoadBalancingV2::TargetGroup");
    props_mut(&mut t, "AWS::ElasticLoadBalancingV2::TargetGroup")["TargetGroupAttributes"] =
        json!([{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]);
    assert_only_breaks(&t, "draining-covers-idle-timeout", &id, "30 s");
}

#[test]
fn task_definition_over_the_ecs_limit() {
    // The environment is bounded on its own; a long health-check command is not, and with it
    // the task definition passes ECS's 64 KiB, which only RegisterTaskDefinition would refuse.
    let mut t = template(SEED);
    let task = id_of(&t, "AWS::ECS::TaskDefinition");
    server_container(&mut t)["HealthCheck"]["Command"] =
        json!(["CMD-SHELL", "x".repeat(64 * 1024)]);
    assert_only_breaks(
        &t,
        "task-definition-size",
        &task,
        "over ECS's limit of 65536 bytes",
    );
}
