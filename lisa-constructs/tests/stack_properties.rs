//! Fine-grained assertions on the synthesized model stacks: each test finds resources by type and
//! checks the properties that matter, so a snapshot change is never the only guard.

mod common;

use common::{case, cases, definition, synth};
use lisa_constructs::cfn::{Expr, Resource, Template};
use lisa_constructs::ecs_model::{
    MAX_DEPLOYMENT_NAME_LEN, RunState, StackError, StackOptions, registration, synthesize,
};
use lisa_constructs::model::ModelDefinition;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SEED: &str = "seed-mistral-vllm";
const SEED_HTTPS: &str = "seed-mistral-vllm-https";
const SEED_STOPPED: &str = "seed-mistral-vllm-stopped";
const AUTOSCALING: &str = "vllm-autoscaling";
const MULTI_GPU: &str = "vllm-multi-gpu";
const TGI: &str = "tgi-response-time-scaling";
const TEI_CPU: &str = "tei-embedding-cpu-ecr";
const LITELLM_ONLY: &str = "seed-titan-litellm-only";

const HOSTED: &[&str] = &[
    SEED,
    AUTOSCALING,
    MULTI_GPU,
    TGI,
    TEI_CPU,
    SEED_STOPPED,
    SEED_HTTPS,
];

// ---------------------------------------------------------------------------------------------
// Helpers

fn template(case_name: &str) -> Template {
    synth(&case(case_name)).template
}

fn json_of(template: &Template) -> Value {
    template.to_json().expect("serializes")
}

/// The resources of one type, with their logical ids.
fn resources<'a>(template: &'a Template, resource_type: &'a str) -> Vec<(&'a str, &'a Resource)> {
    template
        .resources_of_type(resource_type)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// The one resource of a type (panics if there is not exactly one).
fn only<'a>(template: &'a Template, resource_type: &'a str) -> (&'a str, &'a Resource) {
    let found = resources(template, resource_type);
    assert_eq!(
        found.len(),
        1,
        "expected one {resource_type}, found {found:?}"
    );
    found[0]
}

fn props(template: &Template, resource_type: &str) -> Value {
    only(template, resource_type)
        .1
        .properties_json()
        .expect("renders")
}

fn container(template: &Template, name: &str) -> Value {
    props(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
        .as_array()
        .expect("ContainerDefinitions is an array")
        .iter()
        .find(|c| c["Name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
        .clone()
}

fn server(template: &Template) -> Value {
    container(template, "model-server")
}

fn id_of(template: &Template, resource_type: &str) -> String {
    only(template, resource_type).0.to_owned()
}

fn get_att(logical_id: &str, attribute: &str) -> Value {
    json!({"Fn::GetAtt": [logical_id, attribute]})
}

fn reference(name: &str) -> Value {
    json!({"Ref": name})
}

/// A definition file as JSON, edited by `edit`, then parsed.
fn edited_definition(file: &str, edit: impl FnOnce(&mut Value)) -> ModelDefinition {
    let path = common::workspace().join("examples/models").join(file);
    let text = std::fs::read_to_string(&path).expect("example readable");
    let mut value: Value = serde_json::from_str(&text).expect("example is JSON");
    edit(&mut value);
    ModelDefinition::from_json_value(&value).expect("edited definition is valid")
}

fn synth_running(definition: &ModelDefinition) -> Template {
    synthesize(definition, &StackOptions::default())
        .expect("synthesizes")
        .template
}

fn registration(template: &Template) -> Value {
    props(template, "Custom::LiteLLMModel")
}

fn sorted<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// Task definition

#[test]
fn gpu_count_is_the_catalogs_as_a_json_string() {
    for (case_name, expected) in [(SEED, "1"), (MULTI_GPU, "8"), (TGI, "1")] {
        let t = template(case_name);
        let requirements = &server(&t)["ResourceRequirements"];
        assert_eq!(
            requirements,
            &json!([{"Type": "GPU", "Value": expected}]),
            "{case_name}"
        );
        let catalog = definition(case(case_name).file)
            .instance()
            .expect("in catalog")
            .gpus;
        assert_eq!(expected, catalog.to_string(), "{case_name}");
    }
}

#[test]
fn cpu_instance_types_request_no_gpu() {
    let t = template(TEI_CPU);
    assert_eq!(
        definition(case(TEI_CPU).file)
            .instance()
            .expect("in catalog")
            .gpus,
        0
    );
    assert!(server(&t).get("ResourceRequirements").is_none());
    assert!(
        container(&t, "model-weights")
            .get("ResourceRequirements")
            .is_none()
    );
}

#[test]
fn server_memory_reservation_is_catalog_memory_less_host_weights_and_agent_buffers() {
    assert_eq!(
        server(&template(SEED))["MemoryReservation"],
        16 * 1024 - 2048 - 512 - 128
    );
    for case_name in [SEED, MULTI_GPU, TGI, TEI_CPU] {
        let memory = definition(case(case_name).file)
            .instance()
            .expect("in catalog")
            .memory_mib;
        // The host keeps 5% of the memory, at least 2 GiB.
        let host = (memory / 100 * 5).max(2048);
        let t = template(case_name);
        assert_eq!(
            server(&t)["MemoryReservation"],
            json!(memory - host - 512 - 128),
            "{case_name}"
        );
        assert_eq!(container(&t, "model-weights")["MemoryReservation"], 512);
        assert_eq!(container(&t, "metrics-agent")["MemoryReservation"], 128);
    }
}

#[test]
fn shared_memory_size_comes_from_the_definition() {
    for (case_name, size) in [(SEED, 2048), (MULTI_GPU, 16384), (TEI_CPU, 1024)] {
        assert_eq!(
            server(&template(case_name))["LinuxParameters"]["SharedMemorySize"],
            size,
            "{case_name}"
        );
    }
}

#[test]
fn container_health_check_comes_from_the_definition() {
    assert_eq!(
        server(&template(SEED))["HealthCheck"],
        json!({"Command": ["CMD-SHELL", "exit 0"], "Interval": 10, "Retries": 3, "StartPeriod": 30, "Timeout": 5})
    );
    // A command given as a string becomes a CMD-SHELL command.
    assert_eq!(
        server(&template(TGI))["HealthCheck"],
        json!({
            "Command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
            "Interval": 10, "Retries": 3, "StartPeriod": 30, "Timeout": 5
        })
    );
    let tei = template(TEI_CPU);
    assert_eq!(server(&tei)["HealthCheck"]["Interval"], 15);
    assert_eq!(server(&tei)["HealthCheck"]["StartPeriod"], 60);
    assert_eq!(
        server(&template(MULTI_GPU))["HealthCheck"]["StartPeriod"],
        300
    );
}

#[test]
fn container_health_check_defaults_when_absent() {
    let definition = edited_definition("mistral-vllm.json", |d| {
        d["containerConfig"]["healthCheckConfig"] = json!({"command": ["CMD", "true"]});
    });
    assert_eq!(
        server(&synth_running(&definition))["HealthCheck"],
        json!({"Command": ["CMD", "true"], "Interval": 30, "Retries": 3, "StartPeriod": 0, "Timeout": 5})
    );
}

#[test]
fn image_types_resolve_to_the_right_reference() {
    // "ecr": the deploying account's registry, never a hard-coded account or region.
    assert_eq!(
        server(&template(TEI_CPU))["Image"],
        json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/lisa/text-embeddings-inference:cpu-1.5"})
    );
    // "asset" and "external": the image as given.
    assert_eq!(server(&template(SEED))["Image"], "vllm/vllm-openai:v0.5.0");
    assert_eq!(
        server(&template(TGI))["Image"],
        "ghcr.io/huggingface/text-generation-inference:2.4.1"
    );
}

#[test]
fn task_runs_on_ec2_unprivileged_with_the_task_role() {
    let t = template(SEED);
    let task = props(&t, "AWS::ECS::TaskDefinition");
    assert_eq!(task["RequiresCompatibilities"], json!(["EC2"]));
    assert_eq!(task["NetworkMode"], "bridge");
    assert_eq!(task["TaskRoleArn"], get_att("TaskRoleFD86543E", "Arn"));
    for name in ["model-server", "model-weights"] {
        assert_eq!(container(&t, name)["Privileged"], false, "{name}");
    }
    assert_eq!(
        server(&t)["PortMappings"],
        json!([{"ContainerPort": 8080, "HostPort": 8080, "Protocol": "tcp"}])
    );
    assert_eq!(
        server(&t)["DependsOn"],
        json!([{"ContainerName": "model-weights", "Condition": "SUCCESS"}])
    );
}

#[test]
fn task_role_reads_only_the_models_own_prefix() {
    let t = template(SEED);
    let roles = resources(&t, "AWS::IAM::Role");
    let (_, role) = roles
        .iter()
        .find(|(id, _)| *id == "TaskRoleFD86543E")
        .expect("task role");
    let role_properties = role.properties_json().expect("renders");
    let policies = role_properties["Policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 2);
    // The metrics agent writes its metric events to the task's own log group, nowhere else.
    assert_eq!(
        policies[1]["PolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [get_att("TaskLogGroup667E06F7", "Arn")]
        }])
    );
    assert_eq!(
        policies[0]["PolicyDocument"]["Statement"],
        json!([
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ModelsBucketName}/mistralai/Mistral-7B-Instruct-v0.2/*"}]
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ModelsBucketName}"}],
                "Condition": {"StringLike": {"s3:prefix": [
                    "mistralai/Mistral-7B-Instruct-v0.2/*",
                    "mistralai/Mistral-7B-Instruct-v0.2"
                ]}}
            }
        ])
    );
    assert!(
        role.properties_json()
            .expect("renders")
            .get("ManagedPolicyArns")
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Load balancer and network

/// Both target groups (blue and green take turns in them) have the same settings.
fn target_group(t: &Template) -> Value {
    let groups: Vec<Value> = resources(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
        .iter()
        .map(|(_, r)| r.properties_json().expect("renders"))
        .collect();
    assert_eq!(groups.len(), 2, "blue and green");
    assert_eq!(groups[0], groups[1]);
    groups[0].clone()
}

#[test]
fn target_group_health_check_comes_from_load_balancer_config() {
    let t = template(TEI_CPU);
    let tg = target_group(&t);
    assert_eq!(tg["HealthCheckPath"], "/health");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 30);
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 10);
    assert_eq!(tg["HealthyThresholdCount"], 2);
    assert_eq!(tg["UnhealthyThresholdCount"], 10);

    let custom = edited_definition("mistral-vllm.json", |d| {
        d["loadBalancerConfig"]["healthCheckConfig"] = json!({
            "path": "/v1/models", "interval": 20, "timeout": 7,
            "healthyThresholdCount": 3, "unhealthyThresholdCount": 4
        });
    });
    let t = synth_running(&custom);
    let tg = target_group(&t);
    assert_eq!(tg["HealthCheckPath"], "/v1/models");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 20);
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 7);
    assert_eq!(tg["HealthyThresholdCount"], 3);
    assert_eq!(tg["UnhealthyThresholdCount"], 4);
}

#[test]
fn target_group_checks_the_traffic_port_8080() {
    for case_name in HOSTED {
        let t = template(case_name);
        let tg = target_group(&t);
        assert_eq!(tg["HealthCheckPort"], "traffic-port", "{case_name}");
        assert_eq!(tg["Port"], 8080, "{case_name}");
        assert_eq!(tg["Protocol"], "HTTP", "{case_name}");
        assert_eq!(tg["TargetType"], "instance", "{case_name}");
    }
}

#[test]
fn load_balancer_is_internal() {
    for case_name in HOSTED {
        let t = template(case_name);
        let lb = props(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        assert_eq!(lb["Scheme"], "internal", "{case_name}");
        assert_eq!(lb["Type"], "application", "{case_name}");
        assert_eq!(lb["Subnets"], reference("SubnetIds"), "{case_name}");
    }
}

fn ingress_ports(t: &Template) -> Vec<(Value, Value)> {
    resources(t, "AWS::EC2::SecurityGroupIngress")
        .iter()
        .map(|(_, r)| {
            (
                r.properties_json().expect("renders")["FromPort"].clone(),
                r.properties_json().expect("renders")["ToPort"].clone(),
            )
        })
        .collect()
}

/// The production listener and the test listener.
fn listeners(t: &Template) -> (Value, Value) {
    let listener = |id: &str| {
        t.resources
            .get(id)
            .unwrap_or_else(|| panic!("no {id}"))
            .properties_json()
            .expect("renders")
    };
    assert_eq!(
        resources(t, "AWS::ElasticLoadBalancingV2::Listener").len(),
        2
    );
    (
        listener("LoadBalancerListenerA65D164F"),
        listener("LoadBalancerTestListenerFE78F770"),
    )
}

#[test]
fn listener_is_http_on_80_by_default() {
    let t = template(SEED);
    let (listener, test) = listeners(&t);
    assert_eq!(listener["Port"], 80);
    assert_eq!(listener["Protocol"], "HTTP");
    assert!(listener.get("Certificates").is_none());
    assert!(listener.get("SslPolicy").is_none());
    assert_eq!(
        listener["DefaultActions"],
        json!([{"Type": "forward", "TargetGroupArn": reference("LoadBalancerTargetGroup81D27C85")}])
    );
    // The test listener answers nothing of its own: its rule sends to blue or green.
    assert_eq!(
        (&test["Port"], &test["Protocol"]),
        (&json!(9080), &json!("HTTP"))
    );
    assert_eq!(test["DefaultActions"][0]["Type"], "fixed-response");
    assert_eq!(
        ingress_ports(&t),
        [
            (json!(80), json!(80)),
            (json!(80), json!(80)),
            (json!(9080), json!(9080))
        ]
    );
    assert!(
        !json_of(&t)["Parameters"]
            .as_object()
            .expect("parameters")
            .contains_key("CertificateArn")
    );
}

#[test]
fn listener_is_https_on_443_with_the_certificate_parameter_and_tls_policy() {
    let t = template(SEED_HTTPS);
    let (listener, test) = listeners(&t);
    assert_eq!(listener["Port"], 443);
    assert_eq!(
        (&test["Port"], &test["Protocol"]),
        (&json!(9443), &json!("HTTPS"))
    );
    assert_eq!(test["Certificates"], listener["Certificates"]);
    assert_eq!(listener["Protocol"], "HTTPS");
    assert_eq!(
        listener["Certificates"],
        json!([{"CertificateArn": reference("CertificateArn")}])
    );
    assert_eq!(listener["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert_eq!(
        ingress_ports(&t),
        [
            (json!(443), json!(443)),
            (json!(443), json!(443)),
            (json!(9443), json!(9443))
        ]
    );
    let parameter = &json_of(&t)["Parameters"]["CertificateArn"];
    assert_eq!(parameter["Type"], "String");
    assert!(
        parameter["AllowedPattern"]
            .as_str()
            .expect("pattern")
            .contains(":acm:")
    );
    // The load balancer's own name unless a domain name is given at deploy time.
    assert_eq!(
        registration(&t)["ApiBase"]["Fn::If"][2],
        json!({"Fn::Sub": "https://${LoadBalancerBE9EEC3A.DNSName}/v1"})
    );
}

#[test]
fn load_balancer_ingress_comes_from_the_cidr_or_group_parameter_under_conditions() {
    let t = template(SEED);
    let rules = resources(&t, "AWS::EC2::SecurityGroupIngress");
    let by_condition = |condition: &str| {
        rules
            .iter()
            .find(|(_, r)| r.condition.as_deref() == Some(condition))
            .map(|(_, r)| r.properties_json().expect("renders").clone())
            .unwrap_or_else(|| panic!("no ingress under {condition}"))
    };
    let cidr = by_condition("HasLoadBalancerIngressCidr");
    assert_eq!(cidr["CidrIp"], reference("LoadBalancerIngressCidr"));
    assert_eq!(
        cidr["GroupId"],
        get_att("LoadBalancerSecurityGroup7560AED0", "GroupId")
    );
    let group = by_condition("HasLoadBalancerIngressSecurityGroup");
    assert_eq!(
        group["SourceSecurityGroupId"],
        reference("LoadBalancerIngressSecurityGroupId")
    );
    // The deployment gate, on the test listener's port only.
    let gate = by_condition("HasGateSecurityGroup");
    assert_eq!(
        gate["SourceSecurityGroupId"],
        reference("GateSecurityGroupId")
    );
    assert_eq!(
        (&gate["FromPort"], &gate["ToPort"]),
        (&json!(9080), &json!(9080))
    );
    assert_eq!(rules.len(), 3);
}

#[test]
fn instance_security_group_admits_only_the_load_balancer_on_8080() {
    let t = template(SEED);
    let groups = resources(&t, "AWS::EC2::SecurityGroup");
    let (instance_id, instances) = groups
        .iter()
        .find(|(id, _)| id.starts_with("Capacity"))
        .expect("instance security group");
    assert_eq!(
        instances.properties_json().expect("renders")["SecurityGroupIngress"],
        json!([{
            "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
            "SourceSecurityGroupId": get_att("LoadBalancerSecurityGroup7560AED0", "GroupId"),
            "Description": "Model server, from the load balancer only"
        }])
    );
    // No standalone ingress rule opens the instances to anything else.
    for (id, rule) in resources(&t, "AWS::EC2::SecurityGroupIngress") {
        assert_ne!(
            rule.properties_json().expect("renders")["GroupId"],
            get_att(instance_id, "GroupId"),
            "{id} adds ingress to the instances"
        );
    }
}

#[test]
fn load_balancer_security_group_egresses_only_to_the_instances() {
    let t = template(SEED);
    let groups = resources(&t, "AWS::EC2::SecurityGroup");
    let (_, lb_group) = groups
        .iter()
        .find(|(id, _)| *id == "LoadBalancerSecurityGroup7560AED0")
        .expect("load balancer security group");
    // The placeholder rule removes AWS's default allow-all egress.
    assert_eq!(
        lb_group.properties_json().expect("renders")["SecurityGroupEgress"],
        json!([{
            "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86,
            "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"
        }])
    );
    assert!(
        lb_group
            .properties_json()
            .expect("renders")
            .get("SecurityGroupIngress")
            .is_none()
    );
    let (_, egress) = only(&t, "AWS::EC2::SecurityGroupEgress");
    assert_eq!(
        egress.properties_json().expect("renders"),
        json!({
            "GroupId": get_att("LoadBalancerSecurityGroup7560AED0", "GroupId"),
            "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
            "DestinationSecurityGroupId": get_att("CapacitySecurityGroup93E22146", "GroupId"),
            "Description": "Model servers"
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Capacity

#[test]
fn launch_template_requires_imdsv2_with_hop_limit_1() {
    for case_name in HOSTED {
        let t = template(case_name);
        let data = &props(&t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"];
        assert_eq!(
            data["MetadataOptions"]["HttpTokens"], "required",
            "{case_name}"
        );
        assert_eq!(
            data["MetadataOptions"]["HttpPutResponseHopLimit"], 1,
            "{case_name}"
        );
        assert_eq!(data["ImageId"], reference("ImageId"), "{case_name}");
    }
}

#[test]
fn root_volume_is_encrypted_gp3_of_block_device_volume_size() {
    for (case_name, size) in [(SEED, 50), (AUTOSCALING, 100), (MULTI_GPU, 300)] {
        let t = template(case_name);
        let mappings =
            &props(&t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["BlockDeviceMappings"];
        assert_eq!(
            mappings,
            &json!([{
                "DeviceName": "/dev/xvda",
                "Ebs": {"DeleteOnTermination": true, "Encrypted": true, "VolumeSize": size, "VolumeType": "gp3"}
            }]),
            "{case_name}"
        );
    }
}

#[test]
fn launch_template_uses_the_instance_type() {
    for (case_name, instance_type) in [
        (SEED, "g5.xlarge"),
        (MULTI_GPU, "g5.48xlarge"),
        (TEI_CPU, "m5.2xlarge"),
    ] {
        let t = template(case_name);
        assert_eq!(
            props(&t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["InstanceType"],
            instance_type
        );
    }
}

#[test]
fn group_sizes_are_strings_and_desired_capacity_only_when_given() {
    let seed = template(SEED);
    let group = props(&seed, "AWS::AutoScaling::AutoScalingGroup");
    // Room for a green task beside every blue one: twice maxCapacity.
    assert_eq!(group["MinSize"], "1");
    assert_eq!(group["MaxSize"], "2");
    assert!(group.get("DesiredCapacity").is_none());
    assert_eq!(group["Cooldown"], "420");
    assert_eq!(group["DefaultInstanceWarmup"], 180);
    assert_eq!(group["VPCZoneIdentifier"], reference("SubnetIds"));

    // The stored desiredCapacity (2) is not carried into a synthesis that did not ask for it.
    let autoscaling = template(AUTOSCALING);
    let group = props(&autoscaling, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(group["MinSize"], "1");
    assert_eq!(group["MaxSize"], "8");
    assert!(group.get("DesiredCapacity").is_none());
    assert!(
        props(&autoscaling, "AWS::ECS::Service")
            .get("DesiredCount")
            .is_none()
    );
    let asked = synthesize(
        &definition(case(AUTOSCALING).file),
        &StackOptions {
            desired_capacity: Some(3),
            ..StackOptions::default()
        },
    )
    .expect("synthesizes")
    .template;
    // A count asked for goes to the service; the capacity provider sizes the group for it.
    assert_eq!(props(&asked, "AWS::ECS::Service")["DesiredCount"], 3);
    assert!(
        props(&asked, "AWS::AutoScaling::AutoScalingGroup")
            .get("DesiredCapacity")
            .is_none()
    );

    let stopped = template(SEED_STOPPED);
    let group = props(&stopped, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(
        (
            &group["MinSize"],
            &group["MaxSize"],
            &group["DesiredCapacity"]
        ),
        (&json!("0"), &json!("0"), &json!("0"))
    );
}

#[test]
fn group_cooldown_and_warmup_come_from_the_config() {
    let definition = edited_definition("mistral-vllm.json", |d| {
        d["autoScalingConfig"]["cooldown"] = json!(123);
        d["autoScalingConfig"]["defaultInstanceWarmup"] = json!(77);
    });
    let t = synth_running(&definition);
    let group = props(&t, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(group["Cooldown"], "123");
    assert_eq!(group["DefaultInstanceWarmup"], 77);
}

// ---------------------------------------------------------------------------------------------
// Service

#[test]
fn service_runs_one_task_per_instance_on_the_capacity_provider() {
    let t = template(SEED);
    let (_, service) = only(&t, "AWS::ECS::Service");
    let p = &service.properties_json().expect("renders");
    assert_eq!(p["SchedulingStrategy"], "REPLICA");
    assert!(p.get("LaunchType").is_none());
    assert_eq!(
        p["CapacityProviderStrategy"],
        json!([{"CapacityProvider": reference("CapacityDrainingProviderE4258AF3"), "Weight": 1}])
    );
    assert_eq!(
        p["PlacementConstraints"],
        json!([{"Type": "distinctInstance"}])
    );
    assert_eq!(p["Cluster"], reference("Cluster"));
    assert_eq!(p["TaskDefinition"], reference("TaskDefinition7C0E40E8"));
    // The circuit breaker is for rolling deployments; blue/green rolls back on the alarm.
    assert!(
        p["DeploymentConfiguration"]
            .get("DeploymentCircuitBreaker")
            .is_none()
    );
    assert_eq!(
        p["LoadBalancers"],
        json!([{
            "ContainerName": "model-server",
            "ContainerPort": 8080,
            "TargetGroupArn": reference("LoadBalancerTargetGroup81D27C85"),
            "AdvancedConfiguration": {
                "AlternateTargetGroupArn": reference("LoadBalancerAlternateTargetGroup223F306C"),
                "ProductionListenerRule": reference("LoadBalancerProductionRule1FFFF78B"),
                "TestListenerRule": reference("LoadBalancerTestRule238EEAAF"),
                "RoleArn": get_att("DeploymentLoadBalancerRoleD85D5230", "Arn")
            }
        }])
    );
    // Container startPeriod (30) + the model-load allowance (600).
    assert_eq!(p["HealthCheckGracePeriodSeconds"], 630);
    // After the group (instances to run on) and the provider's association with the cluster.
    assert_eq!(
        service.depends_on,
        vec!["CapacityGroup6E2E2F34", "CapacityClusterProviders84A0D08C"]
    );
    // ECS moves the listener rules with a role of the managed policy made for it.
    let role = t
        .resources
        .get("DeploymentLoadBalancerRoleD85D5230")
        .expect("role")
        .properties_json()
        .expect("renders");
    assert_eq!(
        role["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}])
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "ecs.amazonaws.com"})
    );
}

#[test]
fn the_gate_learns_where_and_what_to_check() {
    let t = template(SEED_HTTPS);
    let hooks = &props(&t, "AWS::ECS::Service")["DeploymentConfiguration"]["LifecycleHooks"];
    let details = &hooks["Fn::If"][1][0]["HookDetails"];
    assert_eq!(
        details,
        &json!({
            "testEndpoint": {"Fn::If": [
                "HasDomainName",
                {"Fn::Sub": "https://${DomainName}:9443"},
                {"Fn::Sub": "https://${LoadBalancerBE9EEC3A.DNSName}:9443"}
            ]},
            "healthPath": "/health",
            "servedModelName": "mistralai/Mistral-7B-Instruct-v0.2",
            "modelType": "textgen",
            "inferenceContainer": "vllm"
        })
    );
    let read: lisa_constructs::ecs_model::deployment::GateDetails<Value> =
        serde_json::from_value(details.clone()).expect("the gate's contract");
    assert_eq!(read.model_type, "textgen");
}

// ---------------------------------------------------------------------------------------------
// Scaling

fn scaling_policies(t: &Template) -> Vec<(&str, &Resource)> {
    resources(t, "AWS::ApplicationAutoScaling::ScalingPolicy")
}

#[test]
fn no_scaling_policy_on_a_fixed_size_service() {
    for case_name in [SEED, SEED_STOPPED, SEED_HTTPS] {
        let t = template(case_name);
        assert!(scaling_policies(&t).is_empty(), "{case_name}");
        // The group scales only through the capacity provider.
        assert!(resources(&t, "AWS::AutoScaling::ScalingPolicy").is_empty());
    }
    // A stopped service (0/0) has no policy even when the config can scale.
    let stopped = synthesize(
        &definition("mistral-vllm-autoscaling.json"),
        &StackOptions {
            run_state: RunState::Stopped,
            ..StackOptions::default()
        },
    )
    .expect("synthesizes")
    .template;
    assert!(scaling_policies(&stopped).is_empty());
    let target = props(&stopped, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert_eq!(
        (&target["MinCapacity"], &target["MaxCapacity"]),
        (&json!(0), &json!(0))
    );
}

#[test]
fn request_count_policy_tracks_requests_per_target_across_both_target_groups() {
    let t = template(AUTOSCALING);
    let target = props(&t, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert_eq!(
        (&target["MinCapacity"], &target["MaxCapacity"]),
        (&json!(1), &json!(4))
    );
    assert_eq!(target["ScalableDimension"], "ecs:service:DesiredCount");
    let policy = props(&t, "AWS::ApplicationAutoScaling::ScalingPolicy");
    assert_eq!(policy["PolicyType"], "TargetTrackingScaling");
    assert_eq!(
        policy["ScalingTargetId"],
        reference("ScalingServiceTargetCFC79157")
    );
    let tracking = &policy["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(tracking["TargetValue"], 30.0);
    // estimatedInstanceWarmup (330) holds scale-out back until new tasks count; the cooldown
    // (420) spaces scale-in.
    assert_eq!(tracking["ScaleOutCooldown"], 330);
    assert_eq!(tracking["ScaleInCooldown"], 420);
    let per_group = |id: &str, group: &str| {
        json!({"Id": id, "MetricStat": {"Metric": {
            "MetricName": "RequestCountPerTarget",
            "Namespace": "AWS/ApplicationELB",
            "Dimensions": [
                {"Name": "TargetGroup", "Value": get_att(group, "TargetGroupFullName")},
                {"Name": "LoadBalancer", "Value": get_att("LoadBalancerBE9EEC3A", "LoadBalancerFullName")}
            ]}, "Stat": "Sum"}, "ReturnData": false})
    };
    assert_eq!(
        tracking["CustomizedMetricSpecification"],
        json!({"Metrics": [
            per_group("blue", "LoadBalancerTargetGroup81D27C85"),
            per_group("green", "LoadBalancerAlternateTargetGroup223F306C"),
            {"Id": "requests", "Expression": "FILL(blue, 0) + FILL(green, 0)", "Label": "Requests per target per minute", "ReturnData": true}
        ]})
    );
}

#[test]
fn response_time_policy_tracks_the_load_balancers_average() {
    let t = template(TGI);
    let tracking = &props(&t, "AWS::ApplicationAutoScaling::ScalingPolicy")["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(tracking["TargetValue"], 2.5);
    assert_eq!(tracking["ScaleOutCooldown"], 300);
    assert_eq!(
        tracking["CustomizedMetricSpecification"],
        json!({
            "MetricName": "TargetResponseTime",
            "Namespace": "AWS/ApplicationELB",
            "Dimensions": [
                {"Name": "LoadBalancer", "Value": get_att("LoadBalancerBE9EEC3A", "LoadBalancerFullName")}
            ],
            "Statistic": "Average",
            "Unit": "Seconds"
        })
    );
}

#[test]
fn a_server_signal_is_tracked_per_task_in_the_servers_own_metric() {
    for (container, signal, metric, target) in [
        ("vllm", "queueDepth", "vllm:num_requests_waiting", 4.0),
        ("vllm", "kvCacheUse", "vllm:kv_cache_usage_perc", 0.8),
        ("vllm", "runningRequests", "vllm:num_requests_running", 48.0),
    ] {
        let custom = edited_definition("mistral-vllm-autoscaling.json", |d| {
            d["inferenceContainer"] = json!(container);
            d["autoScalingConfig"]["metricConfig"]["serverMetric"] =
                json!({"name": signal, "targetValue": target});
        });
        let t = synth_running(&custom);
        let tracking = &props(&t, "AWS::ApplicationAutoScaling::ScalingPolicy")["TargetTrackingScalingPolicyConfiguration"];
        assert_eq!(tracking["TargetValue"], target, "{signal}");
        assert_eq!(
            tracking["CustomizedMetricSpecification"],
            json!({
                "MetricName": metric,
                "Namespace": "LISA/ModelServer",
                "Dimensions": [{"Name": "Stack", "Value": {"Ref": "AWS::StackName"}}],
                "Statistic": "Average"
            }),
            "{signal}"
        );
    }
    for (file, metric) in [
        ("falcon-7b-tgi.json", "tgi_queue_size"),
        ("bge-large-tei.json", "te_queue_size"),
    ] {
        let custom = edited_definition(file, |d| {
            d["autoScalingConfig"]["maxCapacity"] = json!(3);
            d["autoScalingConfig"]["metricConfig"]["serverMetric"] =
                json!({"name": "queueDepth", "targetValue": 8});
        });
        let t = synth_running(&custom);
        assert_eq!(
            props(&t, "AWS::ApplicationAutoScaling::ScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
                ["CustomizedMetricSpecification"]["MetricName"],
            metric,
            "{file}"
        );
        // The agent publishes what the policy reads, under the stack's dimension.
        let agent = container(&t, "metrics-agent");
        let config = agent["Environment"][1]["Value"]["Fn::Sub"]
            .as_str()
            .expect("CW_CONFIG_CONTENT");
        assert!(config.contains(&format!("\"^{metric}$\"")), "{config}");
    }
}

// ---------------------------------------------------------------------------------------------
// Registration

#[test]
fn registration_properties_per_container() {
    for (case_name, model, mode, streaming) in [
        (
            SEED,
            "hosted_vllm/mistralai/Mistral-7B-Instruct-v0.2",
            "chat",
            "true",
        ),
        (TGI, "openai/tiiuae/falcon-7b-instruct", "chat", "true"),
        (
            TEI_CPU,
            "openai/BAAI/bge-large-en-v1.5",
            "embedding",
            "false",
        ),
        (
            LITELLM_ONLY,
            "bedrock/amazon.titan-text-express-v1",
            "chat",
            "true",
        ),
    ] {
        let t = template(case_name);
        let r = registration(&t);
        let model_id = definition(case(case_name).file).model_id;
        assert_eq!(
            r["ServiceToken"],
            reference("RegistrationFunctionArn"),
            "{case_name}"
        );
        assert_eq!(r["ModelId"], model_id.as_str(), "{case_name}");
        assert_eq!(r["LiteLlmModel"], model, "{case_name}");
        assert_eq!(r["Mode"], mode, "{case_name}");
        assert_eq!(r["Streaming"], streaming, "{case_name}");
        assert_eq!(r["Enabled"], "true", "{case_name}");
        assert_eq!(
            r["LiteLlmEndpoint"],
            reference("LiteLlmEndpoint"),
            "{case_name}"
        );
        assert_eq!(
            r["MasterKeySecretArn"],
            reference("LiteLlmMasterKeySecretArn"),
            "{case_name}"
        );
    }
}

#[test]
fn registration_properties_read_back_through_the_contract() {
    for case_name in [SEED, TGI, TEI_CPU, LITELLM_ONLY, SEED_STOPPED] {
        let t = template(case_name);
        let props: registration::RegistrationProperties<Expr> =
            serde_json::from_value(registration(&t).clone()).expect("the contract reads them");
        let model_id = definition(case(case_name).file).model_id;
        assert_eq!(props.model_id, model_id.as_str(), "{case_name}");
        assert_eq!(props.enabled, case_name != SEED_STOPPED, "{case_name}");
    }
}

#[test]
fn hosted_registration_waits_for_a_healthy_target_within_the_load_budget() {
    for case_name in HOSTED {
        let t = template(case_name);
        let r = registration(&t);
        let budget: u32 = r["LoadBudgetSeconds"]
            .as_str()
            .expect("a string, as CloudFormation passes it")
            .parse()
            .expect("a number");
        let grace = props(&t, "AWS::ECS::Service")["HealthCheckGracePeriodSeconds"].clone();
        assert_eq!(
            json!(budget),
            grace,
            "{case_name}: the budget is the grace period"
        );
        assert!(
            budget <= registration::MAX_LOAD_BUDGET_SECONDS,
            "{case_name}"
        );
        // Either target group may hold the serving tasks after a blue/green deployment.
        assert_eq!(
            (&r["TargetGroupArn"], &r["AlternateTargetGroupArn"]),
            (
                &reference("LoadBalancerTargetGroup81D27C85"),
                &reference("LoadBalancerAlternateTargetGroup223F306C")
            ),
            "{case_name}"
        );
        let timeout = r["ServiceTimeout"].as_u64().expect("a number");
        assert_eq!(
            timeout,
            u64::from(budget + registration::SERVICE_TIMEOUT_MARGIN_SECONDS),
            "{case_name}"
        );
        assert!(timeout <= 3600, "{case_name}");
    }
}

#[test]
fn litellm_only_registration_waits_for_no_target() {
    let t = template(LITELLM_ONLY);
    let r = registration(&t);
    assert_eq!(r["ServiceTimeout"], registration::SERVICE_TIMEOUT_SECONDS);
    assert!(r.get("TargetGroupArn").is_none());
    assert!(r.get("LoadBudgetSeconds").is_none());
}

#[test]
fn hosted_registration_has_the_api_base_and_waits_for_the_service_to_have_its_bounds() {
    let t = template(SEED);
    let (_, resource) = only(&t, "Custom::LiteLLMModel");
    assert_eq!(
        resource.properties_json().expect("renders")["ApiBase"],
        json!({"Fn::Sub": "http://${LoadBalancerBE9EEC3A.DNSName}/v1"})
    );
    // The scalable target names the service: waiting for it waits for the service, and for
    // the count a start reaches when the target is registered.
    assert_eq!(
        resource.depends_on,
        vec![id_of(&t, "AWS::ApplicationAutoScaling::ScalableTarget")]
    );
}

#[test]
fn litellm_only_registration_has_no_api_base_and_waits_for_nothing() {
    let t = template(LITELLM_ONLY);
    let (_, resource) = only(&t, "Custom::LiteLLMModel");
    assert!(
        resource
            .properties_json()
            .expect("renders")
            .get("ApiBase")
            .is_none()
    );
    assert!(resource.depends_on.is_empty());
    assert_eq!(t.resources.len(), 1);
}

#[test]
fn stopped_registration_is_disabled() {
    for case_name in [SEED_STOPPED, "titan-stopped-custom-deployment"] {
        assert_eq!(
            registration(&template(case_name))["Enabled"],
            "false",
            "{case_name}"
        );
    }
}

fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn no_secret_value_appears_in_any_template() {
    for case in cases() {
        let json = common::template_json(&case);
        // The key is passed only by reference: the parameter must be a Secrets Manager ARN.
        let parameter = &json["Parameters"]["LiteLlmMasterKeySecretArn"];
        assert_eq!(parameter["Type"], "String", "{}", case.name);
        assert!(
            parameter["AllowedPattern"]
                .as_str()
                .expect("pattern")
                .starts_with("^arn:aws[a-zA-Z-]*:secretsmanager:"),
            "{}",
            case.name
        );
        let mut all_keys = Vec::new();
        keys(&json, &mut all_keys);
        for key in &all_keys {
            let lower = key.to_ascii_lowercase();
            let secretish = ["masterkey", "apikey", "api_key", "password", "secret"]
                .iter()
                .any(|s| lower.contains(s));
            assert!(
                !secretish || key == "MasterKeySecretArn" || key == "LiteLlmMasterKeySecretArn",
                "{}: key {key}",
                case.name
            );
        }
        let mut all_strings = Vec::new();
        strings(&json, &mut all_strings);
        assert!(
            !all_strings.iter().any(|s| s.starts_with("sk-")),
            "{}: a LiteLLM key literal",
            case.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters, outputs, names

fn parameter_names(t: &Template) -> BTreeSet<String> {
    t.parameters.keys().cloned().collect()
}

const LITELLM_PARAMETERS: [&str; 3] = [
    "RegistrationFunctionArn",
    "LiteLlmEndpoint",
    "LiteLlmMasterKeySecretArn",
];

#[test]
fn hosted_stacks_take_the_environment_as_parameters() {
    let hosted = [
        "VpcId",
        "SubnetIds",
        "ModelsBucketName",
        "LoadBalancerIngressCidr",
        "LoadBalancerIngressSecurityGroupId",
        "ImageId",
        "GateFunctionArn",
        "GateSecurityGroupId",
    ];
    let expected = sorted(hosted.into_iter().chain(LITELLM_PARAMETERS));
    assert_eq!(parameter_names(&template(SEED)), expected);
    let mut with_certificate = expected.clone();
    with_certificate.insert("CertificateArn".into());
    with_certificate.insert("DomainName".into());
    with_certificate.insert("HostedZoneId".into());
    assert_eq!(parameter_names(&template(SEED_HTTPS)), with_certificate);

    let json = json_of(&template(SEED));
    assert_eq!(json["Parameters"]["VpcId"]["Type"], "AWS::EC2::VPC::Id");
    assert_eq!(
        json["Parameters"]["SubnetIds"]["Type"],
        "List<AWS::EC2::Subnet::Id>"
    );
}

#[test]
fn image_id_defaults_to_the_gpu_or_cpu_ecs_ami() {
    let gpu = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";
    let cpu = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
    for (case_name, default) in [(SEED, gpu), (MULTI_GPU, gpu), (TGI, gpu), (TEI_CPU, cpu)] {
        let json = json_of(&template(case_name));
        let image = &json["Parameters"]["ImageId"];
        assert_eq!(
            image["Type"], "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "{case_name}"
        );
        assert_eq!(image["Default"], default, "{case_name}");
    }
}

#[test]
fn litellm_only_stacks_take_only_the_litellm_parameters() {
    assert_eq!(
        parameter_names(&template(LITELLM_ONLY)),
        sorted(LITELLM_PARAMETERS)
    );
    assert!(template(LITELLM_ONLY).conditions.is_empty());
}

#[test]
fn outputs_name_the_endpoint_group_and_litellm_id() {
    let json = json_of(&template(SEED));
    let outputs = json["Outputs"].as_object().expect("outputs");
    assert_eq!(
        outputs.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ModelEndpointUrl", "AutoScalingGroupName", "LiteLlmModelId"]
    );
    assert_eq!(
        outputs["ModelEndpointUrl"]["Value"],
        json!({"Fn::Sub": "http://${LoadBalancerBE9EEC3A.DNSName}/v1"})
    );
    assert_eq!(
        outputs["AutoScalingGroupName"]["Value"],
        reference("CapacityGroup6E2E2F34")
    );
    assert_eq!(
        outputs["LiteLlmModelId"]["Value"],
        get_att("Registration", "LiteLlmModelId")
    );

    let json = json_of(&template(LITELLM_ONLY));
    let outputs = json["Outputs"].as_object().expect("outputs");
    assert_eq!(
        outputs.keys().map(String::as_str).collect::<Vec<_>>(),
        ["LiteLlmModelId"]
    );
}

#[test]
fn stack_name_is_deployment_dash_model_id() {
    assert_eq!(synth(&case(SEED)).name.as_str(), "lisa-mistral-vllm");
    assert_eq!(
        synth(&case("titan-stopped-custom-deployment"))
            .name
            .as_str(),
        "prodeu-titan-express-v1"
    );
}

fn model_stack_name(deployment: &str, model_id: &str) -> String {
    let definition = ModelDefinition::from_json_str(&format!(
        r#"{{"modelId": "{model_id}", "modelName": "bedrock/x", "modelType": "textgen"}}"#
    ))
    .expect("definition");
    lisa_constructs::ecs_model::stack_name(deployment, &definition)
        .expect("stack name")
        .as_str()
        .to_owned()
}

#[test]
fn stack_names_of_two_deployments_never_meet() {
    // One deployment's name a prefix of another's, and the rest moved into the model id.
    assert_ne!(
        model_stack_name("lisa", "prod-m1"),
        model_stack_name("lisaprod", "m1")
    );
    // The deployment and the model are read back from a model stack's name, and only from one.
    let name = model_stack_name("lisaprod", "m1-x");
    assert_eq!(
        lisa_constructs::ecs_model::model_of_stack(&name),
        Some(("lisaprod", "m1-x"))
    );
    // The deployment's own stack is no model's, and no model may take its name.
    assert_eq!(
        lisa_constructs::ecs_model::model_of_stack("lisa-bootstrap"),
        None
    );
    let bootstrap = ModelDefinition::from_json_str(
        r#"{"modelId": "bootstrap", "modelName": "bedrock/x", "modelType": "textgen"}"#,
    )
    .expect_err("a reserved id");
    assert!(bootstrap.to_string().contains("reserved"), "{bootstrap}");
    // What IAM wildcards and the registration function match on: one deployment's prefix
    // starts none of another's stack names.
    let prefix = lisa_constructs::ecs_model::model_stack_prefix("lisa");
    assert_eq!(prefix, "lisa-");
    assert!(!model_stack_name("lisaprod", "m1").starts_with(&prefix));
}

#[test]
fn a_deployment_name_that_could_blur_the_separator_is_refused() {
    for name in ["lisa-prod", "lisa-", "a-b-c", "9lisa"] {
        let options = StackOptions {
            deployment_name: name.to_owned(),
            ..StackOptions::default()
        };
        assert!(options.check().is_err(), "{name} was accepted");
    }
    for name in ["lisa", "lisaprod", "Prod2"] {
        let options = StackOptions {
            deployment_name: name.to_owned(),
            ..StackOptions::default()
        };
        assert!(options.check().is_ok(), "{name} was refused");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors as values, determinism

#[test]
fn an_invalid_definition_is_an_error_value() {
    let mut unknown_instance = definition("mistral-vllm.json");
    unknown_instance
        .hosting
        .as_mut()
        .expect("hosted")
        .instance_type = "x9.enormous".into();
    let mut inverted = definition("mistral-vllm.json");
    let scaling = &mut inverted
        .hosting
        .as_mut()
        .expect("hosted")
        .auto_scaling_config;
    scaling.min_capacity = 3;
    scaling.max_capacity = 2;
    for (definition, path) in [
        (unknown_instance, "instanceType"),
        (inverted, "autoScalingConfig.maxCapacity"),
    ] {
        match synthesize(&definition, &StackOptions::default()) {
            Err(StackError::Invalid(errors)) => {
                assert!(errors.has_path(path), "{path}: {errors}");
            }
            other => panic!("{path}: expected Invalid, got {other:?}"),
        }
    }
}

#[test]
fn a_bad_deployment_name_is_an_error_value() {
    let definition = definition("mistral-vllm.json");
    let too_long = "a".repeat(MAX_DEPLOYMENT_NAME_LEN + 1);
    for name in [
        "",
        "1lisa",
        "lisa_dev",
        "lisa dev",
        "lisa/dev",
        too_long.as_str(),
    ] {
        let options = StackOptions {
            deployment_name: name.to_owned(),
            ..StackOptions::default()
        };
        match synthesize(&definition, &options) {
            Err(StackError::DeploymentName { name: rejected, .. }) => assert_eq!(rejected, name),
            other => panic!("{name:?}: expected DeploymentName, got {other:?}"),
        }
    }
    let longest = StackOptions {
        deployment_name: "a".repeat(MAX_DEPLOYMENT_NAME_LEN),
        ..StackOptions::default()
    };
    assert!(synthesize(&definition, &longest).is_ok());
}

#[test]
fn same_input_gives_the_same_bytes() {
    for case in cases() {
        // Two independently parsed definitions, so no state is shared between the runs.
        let first = synthesize(&definition(case.file), &case.options)
            .expect("synthesizes")
            .template
            .to_json_string()
            .expect("serializes");
        let second = common::template_text(&case);
        assert_eq!(first, second, "{}", case.name);
    }
}
