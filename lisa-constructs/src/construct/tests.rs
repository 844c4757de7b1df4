use serde_json::json;

use super::*;
use crate::cfn::resources::autoscaling::{
    AutoScalingGroup, LaunchTemplateSpecification, PredefinedMetricSpecification, ScalingPolicy,
    TargetTrackingConfiguration,
};
use crate::cfn::resources::ec2::{LaunchTemplate, LaunchTemplateData};
use crate::cfn::resources::ecs::Cluster;
use crate::cfn::resources::elbv2::TargetGroup;
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::{Condition, Expr, Integer, Output, Parameter, ParameterType, Pseudo, Resource};

fn stack() -> Stack {
    Stack::new(StackName::new("lisa-test").expect("valid name"))
}

#[test]
fn small_stack_renders_with_derived_ids() {
    let mut s = stack();
    s.set_description("test stack");
    let subnets = s
        .add_parameter("Subnets", Parameter::new(ParameterType::SubnetIdList))
        .expect("param");
    let ami = s
        .add_parameter(
            "Ami",
            Parameter::new(ParameterType::SsmImageId).default_value("/aws/ami"),
        )
        .expect("param");
    let cluster = s.add("Cluster", Cluster::default()).expect("cluster");

    let mut capacity = s.scope("Capacity");
    let lt = capacity
        .add(
            "LaunchTemplate",
            LaunchTemplate {
                launch_template_data: LaunchTemplateData {
                    image_id: Some(ami.ref_()),
                    user_data: Some(Expr::base64(Expr::sub(format!(
                        "echo ECS_CLUSTER=${{{}}}",
                        cluster.logical_id()
                    )))),
                    ..LaunchTemplateData::default()
                },
                ..LaunchTemplate::default()
            },
        )
        .expect("lt");
    let mut group = AutoScalingGroup::new(1u32, 2u32);
    group.vpc_zone_identifier = Some(subnets.ref_());
    group.launch_template = Some(LaunchTemplateSpecification::latest(
        lt.logical_id().as_str(),
    ));
    let asg = capacity.add("Group", group).expect("asg");
    let mut scaling = capacity.scope("Scaling");
    let policy = scaling
        .add(
            "Resource",
            ScalingPolicy::target_tracking(
                asg.ref_(),
                TargetTrackingConfiguration {
                    predefined_metric_specification: Some(PredefinedMetricSpecification {
                        predefined_metric_type: "ASGAverageCPUUtilization".into(),
                        resource_label: None,
                    }),
                    customized_metric_specification: None,
                    target_value: 50.0,
                    disable_scale_in: None,
                },
            ),
        )
        .expect("policy");
    s.add_output(
        "GroupName",
        Output::new(asg.ref_()).export(Expr::sub("${AWS::StackName}-asg")),
    )
    .expect("output");

    assert_eq!(cluster.logical_id().as_str(), "Cluster");
    assert_eq!(asg.logical_id().as_str(), "CapacityGroup6E2E2F34");
    assert_eq!(asg.path(), "Capacity/Group");
    assert_eq!(asg.resource_type(), "AWS::AutoScaling::AutoScalingGroup");
    let expected_policy_id =
        LogicalId::from_path(&["Capacity", "Scaling", "Resource"]).expect("id");
    assert_eq!(policy.logical_id(), &expected_policy_id);
    assert!(policy.logical_id().as_str().starts_with("CapacityScaling"));
    assert_eq!(
        s.logical_id_at("Capacity/Group").map(LogicalId::as_str),
        Some("CapacityGroup6E2E2F34")
    );

    let t = s.synth().expect("valid");
    let v = t.to_json().expect("json");
    assert_eq!(v["Description"], json!("test stack"));
    let ids: Vec<&String> = t.resources.keys().collect();
    assert_eq!(
        ids,
        [
            "Cluster",
            lt.logical_id().as_str(),
            "CapacityGroup6E2E2F34",
            policy.logical_id().as_str()
        ]
    );
    assert_eq!(
        v["Resources"]["Cluster"],
        json!({"Type": "AWS::ECS::Cluster"})
    );
    let g = &v["Resources"]["CapacityGroup6E2E2F34"];
    assert_eq!(g["Type"], json!("AWS::AutoScaling::AutoScalingGroup"));
    assert_eq!(g["Properties"]["MinSize"], json!("1"));
    assert_eq!(
        g["Properties"]["VPCZoneIdentifier"],
        json!({"Ref": "Subnets"})
    );
    assert_eq!(
        g["Properties"]["LaunchTemplate"]["Version"],
        json!({"Fn::GetAtt": [lt.logical_id().as_str(), "LatestVersionNumber"]})
    );
    assert_eq!(
        v["Resources"][policy.logical_id().as_str()]["Properties"]["AutoScalingGroupName"],
        json!({"Ref": "CapacityGroup6E2E2F34"})
    );
    assert_eq!(
        v["Outputs"]["GroupName"],
        json!({"Value": {"Ref": "CapacityGroup6E2E2F34"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-asg"}}})
    );
    assert_eq!(
        v["Parameters"]["Ami"]["Type"],
        json!("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>")
    );
    // Same construction, same bytes.
    assert_eq!(
        t.to_json_string().expect("json"),
        s.synth().expect("valid").to_json_string().expect("json")
    );
}

#[test]
fn validator_catches_dangling_ref_and_sub_variable_at_once() {
    let mut s = stack();
    s.add_parameter("VpcId", Parameter::new(ParameterType::VpcId))
        .expect("param");
    s.add(
        "Tg",
        TargetGroup {
            vpc_id: Some(Expr::ref_("VpcID")),
            name: Some(Expr::sub("${Missing}-${AWS::Region}-${!Literal}")),
            ..TargetGroup::default()
        },
    )
    .expect("tg");
    let err = s.synth().expect_err("dangling references");
    assert_eq!(err.stack, "lisa-test");
    assert_eq!(
        err.problems,
        vec![
            Problem::DanglingReference {
                location: Location::Resource("Tg".into()),
                target: "Missing".into(),
                suggestion: None,
            },
            Problem::DanglingReference {
                location: Location::Resource("Tg".into()),
                target: "VpcID".into(),
                suggestion: Some("VpcId".into()),
            },
        ]
    );
    let message = err.to_string();
    assert!(message.contains("2 problem(s)"), "{message}");
    assert!(message.contains("did you mean `VpcId`"), "{message}");
}

#[test]
fn validator_checks_getatt_dependson_conditions_and_outputs() {
    let mut s = stack();
    let env = s
        .add_parameter("Env", Parameter::new(ParameterType::String))
        .expect("param");
    let prod = s
        .add_condition("IsProd", Condition::equals(env.ref_(), "prod"))
        .expect("cond");
    s.add_condition(
        "Broken",
        Condition::and([
            Condition::named("Nope"),
            Condition::equals(Expr::ref_("Logs"), "x"),
        ]),
    )
    .expect("cond");
    let logs = s
        .add(
            "Logs",
            LogGroup {
                retention_in_days: Some(Integer::from(Expr::if_(
                    prod.name(),
                    Expr::from(30),
                    Expr::from(7),
                ))),
                ..LogGroup::default()
            },
        )
        .expect("logs");
    let r = Resource::new(&LogGroup {
        log_group_name: Some(Expr::get_att("Env", "Arn")),
        kms_key_id: Some(Expr::if_(
            "IsPrd",
            Expr::no_value(),
            Expr::pseudo(Pseudo::NoValue),
        )),
        ..LogGroup::default()
    })
    .expect("renders")
    .depends_on(&logs)
    .depends_on("Ghost")
    .condition("Unknown");
    s.root().add_resource("Other", r).expect("added");
    s.add_output("Url", Output::new(Expr::sub("${Logs.Arn}/${Nowhere}")))
        .expect("output");

    let problems = s.validate();
    let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        vec![
            Problem::UnknownCondition {
                location: Location::Condition("Broken".into()),
                condition: "Nope".into(),
                suggestion: None,
            },
            Problem::ResourceInCondition {
                location: Location::Condition("Broken".into()),
                target: "Logs".into(),
            },
            Problem::UnknownCondition {
                location: Location::Resource("Other".into()),
                condition: "Unknown".into(),
                suggestion: None,
            },
            Problem::DanglingDependsOn {
                location: Location::Resource("Other".into()),
                target: "Ghost".into(),
                suggestion: None,
            },
            Problem::AttributeOfNonResource {
                location: Location::Resource("Other".into()),
                target: "Env".into(),
                attribute: "Arn".into(),
            },
            Problem::UnknownCondition {
                location: Location::Resource("Other".into()),
                condition: "IsPrd".into(),
                suggestion: Some("IsProd".into()),
            },
            Problem::DanglingReference {
                location: Location::Output("Url".into()),
                target: "Nowhere".into(),
                suggestion: None,
            },
        ],
        "{rendered:#?}"
    );
}

#[test]
fn self_reference_and_empty_template_are_reported() {
    let empty = stack();
    assert_eq!(empty.validate(), vec![Problem::NoResources]);

    let mut s = stack();
    s.add(
        "Logs",
        LogGroup {
            log_group_name: Some(Expr::ref_("Logs")),
            ..LogGroup::default()
        },
    )
    .expect("added");
    assert_eq!(
        s.validate(),
        vec![Problem::SelfReference {
            location: Location::Resource("Logs".into())
        }]
    );
}

#[test]
fn custom_validations_run_at_synth() {
    let mut s = stack();
    s.add("Logs", LogGroup::default()).expect("added");
    s.add_validation("retention", |t| {
        t.resources_of_type(LogGroup::TYPE)
            .filter(|(_, r)| r.property("RetentionInDays").is_none())
            .map(|(id, _)| format!("log group `{id}` keeps logs forever"))
            .collect()
    });
    let err = s.synth().expect_err("custom problem");
    assert_eq!(
        err.problems,
        vec![Problem::Custom {
            validator: "retention".into(),
            message: "log group `Logs` keeps logs forever".into(),
        }]
    );
}

#[test]
fn duplicates_and_bad_ids_are_errors_not_panics() {
    let mut s = stack();
    s.add("Logs", LogGroup::default()).expect("first");
    assert!(matches!(
        s.add("Logs", LogGroup::default()),
        Err(ConstructError::DuplicatePath { path }) if path == "Logs"
    ));
    // Different path, same derived id (non-alphanumerics are dropped, as in the CDK).
    assert!(matches!(
        s.add("Lo-gs", LogGroup::default()),
        Err(ConstructError::DuplicateLogicalId { logical_id, .. }) if logical_id == "Logs"
    ));
    assert!(matches!(
        s.add_parameter("Logs", Parameter::new(ParameterType::String)),
        Err(ConstructError::DuplicateLogicalId { .. })
    ));
    assert!(matches!(
        s.add_parameter("Bad-Name", Parameter::new(ParameterType::String)),
        Err(ConstructError::Id(IdError::InvalidLogicalId { .. }))
    ));
    assert!(matches!(
        s.scope("A/B").add("X", LogGroup::default()),
        Err(ConstructError::InvalidPathComponent { .. })
    ));
    assert!(matches!(
        s.scope("Part").add("", LogGroup::default()),
        Err(ConstructError::InvalidPathComponent { scope, .. }) if scope == "Part"
    ));
    assert!(matches!(
        s.add("---", LogGroup::default()),
        Err(ConstructError::Id(IdError::InvalidLogicalId { .. }))
    ));
    s.add_condition("C", Condition::equals("a", "a"))
        .expect("cond");
    assert!(matches!(
        s.add_condition("C", Condition::equals("a", "b")),
        Err(ConstructError::DuplicateName {
            section: "Conditions",
            ..
        })
    ));
    s.add_output("O", Output::new("x")).expect("output");
    assert!(matches!(
        s.add_output("O", Output::new("y")),
        Err(ConstructError::DuplicateName {
            section: "Outputs",
            ..
        })
    ));
    assert_eq!(s.template().resources.len(), 1, "failed adds add nothing");
}

#[test]
fn pinned_logical_ids_override_derivation() {
    let mut s = stack();
    let mut lb = s.scope("LoadBalancer");
    let pinned = lb
        .add_resource_with_id(
            "Resource",
            LogicalId::new("ModelAlb").expect("id"),
            Resource::new(&TargetGroup::default()).expect("renders"),
        )
        .expect("added");
    assert_eq!(pinned.logical_id().as_str(), "ModelAlb");
    assert_eq!(pinned.path(), "LoadBalancer/Resource");
    let derived = lb.add("Listener", TargetGroup::default()).expect("added");
    assert_eq!(
        derived.logical_id(),
        &LogicalId::from_path(&["LoadBalancer", "Listener"]).expect("id")
    );
    assert!(matches!(
        s.root().add_resource_with_id(
            "Elsewhere",
            LogicalId::new("ModelAlb").expect("id"),
            Resource::new(&TargetGroup::default()).expect("renders"),
        ),
        Err(ConstructError::DuplicateLogicalId { existing, .. }) if existing.contains("LoadBalancer/Resource")
    ));
}

#[test]
fn handles_produce_references() {
    let mut s = stack();
    let tg = s.add("Tg", TargetGroup::default()).expect("tg");
    assert_eq!(tg.ref_(), Expr::ref_("Tg"));
    assert_eq!(
        tg.get_att("TargetGroupFullName"),
        Expr::get_att("Tg", "TargetGroupFullName")
    );
    let c = s
        .add_condition("HasCert", Condition::equals("a", "b"))
        .expect("cond");
    assert_eq!(c.if_(443, 80), Expr::if_("HasCert", 443.into(), 80.into()));
    assert_eq!(c.condition(), Condition::named("HasCert"));
    if let Some(r) = s.resource_mut(&tg) {
        r.condition = Some(c.name().to_owned());
    }
    assert_eq!(
        s.synth().expect("valid").resources["Tg"]
            .condition
            .as_deref(),
        Some("HasCert")
    );
}

/// Every resource type in one stack. Set `LISA_CFN_DUMP=path` to write the template out and
/// check it with `cfn-lint -x E3012:strict=true -- path`.
#[test]
fn kitchen_sink_stack_synthesizes() {
    use crate::cfn::resources::custom::CustomResource;
    use crate::cfn::resources::ec2::*;
    use crate::cfn::resources::ecs::*;
    use crate::cfn::resources::elbv2::*;
    use crate::cfn::resources::iam::*;
    use crate::cfn::{AutoScalingScheduledAction, DeletionPolicy, UpdatePolicy};

    let mut s = stack();
    let vpc = s
        .add_parameter("VpcId", Parameter::new(ParameterType::VpcId))
        .expect("p");
    let subnets = s
        .add_parameter("SubnetIds", Parameter::new(ParameterType::SubnetIdList))
        .expect("p");
    let ami = s
        .add_parameter(
            "ImageId",
            Parameter::new(ParameterType::SsmImageId).default_value(
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
            ),
        )
        .expect("p");
    let cert = s
        .add_parameter(
            "CertificateArn",
            Parameter::new(ParameterType::String).default_value(""),
        )
        .expect("p");
    let token = s
        .add_parameter(
            "RegistrationFunctionArn",
            Parameter::new(ParameterType::String),
        )
        .expect("p");
    let has_cert = s
        .add_condition(
            "HasCertificate",
            Condition::not(Condition::equals(cert.ref_(), "")),
        )
        .expect("c");

    let mut cl = Cluster::default();
    cl.cluster_settings
        .push(ClusterSetting::container_insights_enabled());
    let cluster = s.add("Cluster", cl).expect("cluster");

    let mut roles = s.scope("Roles");
    let mut instance_role = Role::new(PolicyDocument::assume_role_by_service("ec2.amazonaws.com"));
    instance_role.managed_policy_arns.push(Expr::sub(
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ));
    let instance_role = roles.add("Instance", instance_role).expect("role");
    let profile = roles
        .add("Profile", InstanceProfile::for_role(instance_role.ref_()))
        .expect("profile");
    let mut task_role = Role::new(PolicyDocument::assume_role_by_service(
        "ecs-tasks.amazonaws.com",
    ));
    task_role.policies.push(Policy {
        policy_name: "weights".into(),
        policy_document: PolicyDocument::new([Statement::allow(
            ["s3:GetObject"],
            [Expr::sub("arn:${AWS::Partition}:s3:::bucket/model/*")],
        )]),
    });
    let task_role = roles.add("Task", task_role).expect("role");

    let mut lb_sg = SecurityGroup::new("load balancer");
    lb_sg.vpc_id = Some(vpc.ref_());
    lb_sg
        .security_group_ingress
        .push(IngressRule::tcp_from_cidr(80u16, "10.0.0.0/8", "http"));
    lb_sg.security_group_egress.push(EgressRule::deny_all());
    let lb_sg = s
        .scope("LoadBalancer")
        .add("SecurityGroup", lb_sg)
        .expect("sg");
    let mut inst_sg = SecurityGroup::new("instances");
    inst_sg.vpc_id = Some(vpc.ref_());
    let inst_sg = s
        .scope("Capacity")
        .add("SecurityGroup", inst_sg)
        .expect("sg");
    s.scope("Capacity")
        .add(
            "FromLb",
            SecurityGroupIngress {
                group_id: inst_sg.get_att("GroupId"),
                rule: IngressRule::tcp_from_group(8080u16, lb_sg.get_att("GroupId"), "from lb"),
            },
        )
        .expect("ingress");
    s.scope("LoadBalancer")
        .add(
            "ToInstances",
            SecurityGroupEgress {
                group_id: lb_sg.get_att("GroupId"),
                rule: EgressRule {
                    destination_security_group_id: Some(inst_sg.get_att("GroupId")),
                    cidr_ip: None,
                    ..EgressRule::tcp_to_cidr(8080u16, "0.0.0.0/0", "to instances")
                },
            },
        )
        .expect("egress");

    let lt = s
        .scope("Capacity")
        .add(
            "LaunchTemplate",
            LaunchTemplate {
                launch_template_data: LaunchTemplateData {
                    image_id: Some(ami.ref_()),
                    instance_type: Some("g5.xlarge".into()),
                    iam_instance_profile: Some(IamInstanceProfileSpecification {
                        arn: Some(profile.get_att("Arn")),
                        name: None,
                    }),
                    security_group_ids: Some(Expr::list([inst_sg.get_att("GroupId")])),
                    user_data: Some(Expr::base64(Expr::sub(format!(
                        "#!/bin/bash\necho ECS_CLUSTER=${{{}}} >> /etc/ecs/ecs.config",
                        cluster.logical_id()
                    )))),
                    metadata_options: Some(MetadataOptions::imdsv2_required(1)),
                    block_device_mappings: vec![BlockDeviceMapping {
                        device_name: "/dev/xvda".into(),
                        ebs: Some(Ebs {
                            volume_size: Some(100u32.into()),
                            volume_type: Some("gp3".into()),
                            encrypted: Some(true),
                            delete_on_termination: Some(true),
                            ..Ebs::default()
                        }),
                    }],
                    monitoring: Some(Monitoring { enabled: true }),
                    tag_specifications: vec![TagSpecification {
                        resource_type: "instance".into(),
                        tags: vec![crate::cfn::resources::Tag::new("Name", "model")],
                    }],
                    ..LaunchTemplateData::default()
                },
                ..LaunchTemplate::default()
            },
        )
        .expect("lt");

    let mut group = AutoScalingGroup::new(1u32, 2u32);
    group.cooldown = Some(420u32.into());
    group.default_instance_warmup = Some(300u32.into());
    group.vpc_zone_identifier = Some(subnets.ref_());
    group.launch_template = Some(LaunchTemplateSpecification::latest(
        lt.logical_id().as_str(),
    ));
    group.health_check_grace_period = Some(300u32.into());
    let asg_resource = Resource::new(&group)
        .expect("renders")
        .update_policy(UpdatePolicy {
            auto_scaling_scheduled_action: Some(AutoScalingScheduledAction {
                ignore_unmodified_group_size_properties: true,
            }),
            ..UpdatePolicy::default()
        });
    let asg = s
        .scope("Capacity")
        .add_resource("Group", asg_resource)
        .expect("asg");

    let logs = s
        .add(
            "Logs",
            LogGroup {
                retention_in_days: Some(30u32.into()),
                ..LogGroup::default()
            },
        )
        .expect("logs");
    let mut c = ContainerDefinition::new("model", "vllm/vllm-openai:latest");
    c.essential = Some(true);
    c.memory_reservation = Some(14000u32.into());
    c.resource_requirements.push(ResourceRequirement::gpu(1));
    c.linux_parameters = Some(LinuxParameters {
        shared_memory_size: Some(2048u32.into()),
        init_process_enabled: None,
    });
    c.port_mappings.push(PortMapping::tcp(8080u16, 8080u16));
    c.environment.push(KeyValuePair::new("PORT", 8080));
    c.health_check = Some(HealthCheck {
        command: vec![
            "CMD-SHELL".into(),
            "curl -f http://localhost:8080/health || exit 1".into(),
        ],
        interval: Some(10u32.into()),
        retries: Some(3u32.into()),
        start_period: Some(300u32.into()),
        timeout: Some(5u32.into()),
    });
    c.log_configuration = Some(LogConfiguration::awslogs(
        logs.ref_(),
        Pseudo::Region,
        "model",
    ));
    c.mount_points.push(MountPoint {
        container_path: "/models".into(),
        source_volume: "weights".into(),
        read_only: Some(true),
    });
    c.privileged = Some(false);
    let task = s
        .add(
            "Task",
            TaskDefinition {
                family: Some(Expr::sub("${AWS::StackName}-model")),
                container_definitions: vec![c],
                network_mode: Some("bridge".into()),
                requires_compatibilities: vec!["EC2".into()],
                task_role_arn: Some(task_role.get_att("Arn")),
                volumes: vec![Volume {
                    name: "weights".into(),
                    host: Some(HostVolumeProperties {
                        source_path: Some("/opt/models".into()),
                    }),
                }],
                ..TaskDefinition::default()
            },
        )
        .expect("task");

    let mut lbs = s.scope("LoadBalancer");
    let alb = lbs
        .add(
            "Resource",
            LoadBalancer {
                scheme: Some("internal".into()),
                load_balancer_type: Some("application".into()),
                subnets: Some(subnets.ref_()),
                security_groups: Some(Expr::list([lb_sg.get_att("GroupId")])),
                load_balancer_attributes: vec![Attribute::new(
                    "idle_timeout.timeout_seconds",
                    600u32,
                )],
                ..LoadBalancer::default()
            },
        )
        .expect("alb");
    let tg = lbs
        .add(
            "Targets",
            TargetGroup {
                port: Some(8080u16.into()),
                protocol: Some("HTTP".into()),
                vpc_id: Some(vpc.ref_()),
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
            },
        )
        .expect("tg");
    let listener = Listener {
        load_balancer_arn: alb.ref_(),
        port: Some(has_cert.if_(443, 80).into()),
        protocol: Some(has_cert.if_("HTTPS", "HTTP")),
        certificates: Vec::new(),
        ssl_policy: Some(has_cert.if_("ELBSecurityPolicy-TLS13-1-2-2021-06", Expr::no_value())),
        default_actions: vec![Action::forward(tg.ref_())],
    };
    // A property the typed struct cannot hold (a list chosen by a condition) goes in through
    // the untyped escape hatch.
    let mut listener_json = serde_json::to_value(&listener).expect("json");
    listener_json["Certificates"] = serde_json::to_value(has_cert.if_(
        Expr::list([Expr::map([("CertificateArn", cert.ref_())])]),
        Expr::no_value(),
    ))
    .expect("json");
    let listener_props = Resource::from_properties(
        crate::cfn::RawProperties::new(Listener::TYPE, listener_json).expect("an object"),
    )
    .expect("renders");
    let listener = lbs
        .add_resource("Listener", listener_props)
        .expect("listener");

    let service = s
        .add(
            "Service",
            Service {
                cluster: Some(cluster.ref_()),
                task_definition: Some(task.ref_()),
                launch_type: Some("EC2".into()),
                scheduling_strategy: Some("DAEMON".into()),
                deployment_configuration: Some(DeploymentConfiguration {
                    deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                        enable: true,
                        rollback: true,
                    }),
                    maximum_percent: Some(100u32.into()),
                    minimum_healthy_percent: Some(0u32.into()),
                    ..DeploymentConfiguration::default()
                }),
                load_balancers: vec![ServiceLoadBalancer {
                    container_name: "model".into(),
                    container_port: 8080u16.into(),
                    target_group_arn: tg.ref_(),
                    advanced_configuration: None,
                }],
                health_check_grace_period_seconds: Some(600u32.into()),
                enable_ecs_managed_tags: Some(true),
                propagate_tags: Some("SERVICE".into()),
                ..Service::default()
            },
        )
        .expect("service");
    if let Some(r) = s.resource_mut(&service) {
        r.depends_on.push(listener.logical_id().to_string());
    }
    s.scope("Scaling")
        .add(
            "Policy",
            ScalingPolicy {
                estimated_instance_warmup: Some(300u32.into()),
                ..ScalingPolicy::target_tracking(
                    asg.ref_(),
                    TargetTrackingConfiguration {
                        predefined_metric_specification: Some(PredefinedMetricSpecification {
                            predefined_metric_type: "ALBRequestCountPerTarget".into(),
                            resource_label: Some(Expr::join(
                                "/",
                                [
                                    alb.get_att("LoadBalancerFullName"),
                                    tg.get_att("TargetGroupFullName"),
                                ],
                            )),
                        }),
                        customized_metric_specification: None,
                        target_value: 30.0,
                        disable_scale_in: None,
                    },
                )
            },
        )
        .expect("policy");
    let registration = CustomResource::new("LiteLLMModel", token.ref_())
        .expect("type")
        .service_timeout(900)
        .property("ModelName", "mistral")
        .property(
            "Endpoint",
            Expr::sub(format!("http://${{{}.DNSName}}/v1", alb.logical_id())),
        );
    let reg = Resource::new(&registration)
        .expect("renders")
        .depends_on(&service)
        .deletion_policy(DeletionPolicy::Delete);
    s.root()
        .add_resource("Registration", reg)
        .expect("registration");
    s.add_output(
        "Endpoint",
        Output::new(Expr::sub(format!(
            "http://${{{}.DNSName}}",
            alb.logical_id()
        )))
        .description("model endpoint"),
    )
    .expect("output");
    s.add_output("AutoScalingGroupName", Output::new(asg.ref_()))
        .expect("output");

    let t = s.synth().expect("valid");
    if let Ok(path) = std::env::var("LISA_CFN_DUMP") {
        std::fs::write(path, t.to_json_string().expect("json")).expect("write dump");
    }
}
