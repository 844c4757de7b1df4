//! A stack that serves: the properties a linter cannot see but a real deployment depends on
//! (memory that fits what the kernel reports, draining before termination, rolling updates,
//! server settings that agree with the load balancer, a boot script that always joins the
//! cluster, deploy-time refusal of an unreachable load balancer, a verifiable HTTPS name).
//! Where a property depends on the instance type, the test runs over the whole catalog.

mod common;

use common::{case, only, synth};
use lisa_constructs::cfn::Template;
use lisa_constructs::ecs_model::{StackOptions, synthesize};
use lisa_constructs::model::{CATALOG, InstanceSpec, ModelDefinition};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SEED: &str = "seed-mistral-vllm";
const SEED_HTTPS: &str = "seed-mistral-vllm-https";
const HOSTED: &[&str] = &[
    SEED,
    "vllm-autoscaling",
    "vllm-multi-gpu",
    "tgi-response-time-scaling",
    "tei-embedding-cpu-ecr",
    "seed-mistral-vllm-stopped",
    SEED_HTTPS,
];

// ---------------------------------------------------------------------------------------------
// Helpers

fn json_of(template: &Template) -> Value {
    template.to_json().expect("serializes")
}

fn hosted_case(name: &str) -> Value {
    json_of(&synth(&case(name)).template)
}

fn props<'a>(template: &'a Value, resource_type: &str) -> &'a Value {
    &only(template, resource_type).1["Properties"]
}

fn containers(template: &Value) -> &Vec<Value> {
    props(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
        .as_array()
        .expect("containers")
}

fn server(template: &Value) -> &Value {
    containers(template)
        .iter()
        .find(|c| c["Name"] == "model-server")
        .expect("server container")
}

fn script(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("not a script: {other}"))
            .to_owned(),
    }
}

fn server_command(template: &Value) -> String {
    script(&server(template)["Command"][0])
}

fn weights_command(template: &Value) -> String {
    let weights = containers(template)
        .iter()
        .find(|c| c["Name"] == "model-weights")
        .expect("weights container");
    script(&weights["Command"][0])
}

fn user_data(template: &Value) -> String {
    script(
        &props(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["UserData"]["Fn::Base64"],
    )
}

fn attribute(attributes: &Value, key: &str) -> u64 {
    attributes
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["Key"] == key)
        .and_then(|a| a["Value"].as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric attribute {key}"))
}

fn idle_timeout(template: &Value) -> u64 {
    attribute(
        &props(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"],
        "idle_timeout.timeout_seconds",
    )
}

fn example(file: &str) -> Value {
    let path = common::workspace().join("examples/models").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("JSON")
}

fn parse(value: &Value) -> ModelDefinition {
    ModelDefinition::from_json_value(value).expect("valid definition")
}

/// The seed's model on `spec` (the TEI example on CPU types), synthesized running.
fn on_instance(spec: &InstanceSpec) -> Value {
    let mut value = if spec.gpus > 0 {
        example("mistral-vllm.json")
    } else {
        example("bge-large-tei.json")
    };
    value["instanceType"] = json!(spec.name);
    let stack = synthesize(&parse(&value), &StackOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    json_of(&stack.template)
}

fn synth_value(value: &Value) -> Value {
    json_of(
        &synthesize(&parse(value), &StackOptions::default())
            .expect("synthesizes")
            .template,
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Memory reservations fit what the kernel reports, on every catalog type

/// The share of installed memory the kernel and firmware keep, pessimistically: AWS documents an
/// m4.large (8 GiB) that reports 7,985 MiB (2.5% kept) and about 2.2 GiB kept on 128 GiB (1.7%).
const KERNEL_SHARE_PERCENT: u64 = 3;
/// What must stay free beyond the reservations (the OS, Docker, the agent, page cache).
const MARGIN_MIB: u64 = 1024;

#[test]
fn memory_reservations_fit_every_catalog_type_with_a_margin() {
    let mut misfits = Vec::new();
    for spec in CATALOG {
        let template = on_instance(spec);
        let reserved: u64 = containers(&template)
            .iter()
            .map(|c| c["MemoryReservation"].as_u64().expect("reservation"))
            .sum();
        let installed = u64::from(spec.memory_mib);
        let reported = installed - (installed * KERNEL_SHARE_PERCENT).div_ceil(100);
        if reserved + MARGIN_MIB > reported {
            misfits.push(format!(
                "{}: reserves {reserved} MiB, the kernel reports about {reported} MiB",
                spec.name
            ));
        }
    }
    assert!(misfits.is_empty(), "{misfits:#?}");
}

// ---------------------------------------------------------------------------------------------
// 3. Instances drain before they terminate

#[test]
fn instances_drain_their_tasks_before_termination() {
    for name in HOSTED {
        let template = hosted_case(name);
        let (group_id, _) = only(&template, "AWS::AutoScaling::AutoScalingGroup");
        let (cluster_id, _) = only(&template, "AWS::ECS::Cluster");
        let (provider_id, provider) = only(&template, "AWS::ECS::CapacityProvider");
        let asg = &provider["Properties"]["AutoScalingGroupProvider"];
        assert_eq!(
            asg["AutoScalingGroupArn"],
            json!({"Ref": group_id}),
            "{name}"
        );
        assert_eq!(asg["ManagedDraining"], "ENABLED", "{name}");
        // ECS sizes the group for the tasks; a stop must not wait for it to unprotect them.
        assert_eq!(asg["ManagedScaling"]["Status"], "ENABLED", "{name}");
        assert_eq!(asg["ManagedScaling"]["TargetCapacity"], 100, "{name}");
        assert_eq!(asg["ManagedTerminationProtection"], "DISABLED", "{name}");
        let association = props(&template, "AWS::ECS::ClusterCapacityProviderAssociations");
        assert_eq!(association["Cluster"], json!({"Ref": cluster_id}), "{name}");
        assert_eq!(
            association["CapacityProviders"],
            json!([{"Ref": provider_id}]),
            "{name}"
        );
    }
}

#[test]
fn deregistration_delay_lets_streaming_responses_finish() {
    for name in HOSTED {
        let template = hosted_case(name);
        let groups: Vec<&Value> = template["Resources"]
            .as_object()
            .expect("resources")
            .values()
            .filter(|r| r["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup")
            .collect();
        assert_eq!(groups.len(), 2, "{name}: blue and green");
        for group in groups {
            let delay = attribute(
                &group["Properties"]["TargetGroupAttributes"],
                "deregistration_delay.timeout_seconds",
            );
            assert!(
                delay >= idle_timeout(&template),
                "{name}: a response may pause {} s, draining lasts {delay} s",
                idle_timeout(&template)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Rolling updates

fn with_sizes(min: u32, max: u32) -> Value {
    let mut value = example("mistral-vllm-autoscaling.json");
    value["autoScalingConfig"]["minCapacity"] = json!(min);
    value["autoScalingConfig"]["maxCapacity"] = json!(max);
    value["autoScalingConfig"]
        .as_object_mut()
        .expect("config")
        .remove("desiredCapacity");
    value
}

#[test]
fn launch_template_changes_roll_the_instances_one_at_a_time() {
    for (min, max) in [(1, 1), (1, 4), (2, 2), (3, 6)] {
        let template = synth_value(&with_sizes(min, max));
        let (_, group) = only(&template, "AWS::AutoScaling::AutoScalingGroup");
        let rolling = &group["UpdatePolicy"]["AutoScalingRollingUpdate"];
        assert_eq!(rolling["MaxBatchSize"], 1, "{min}/{max}: {group}");
        let in_service = rolling["MinInstancesInService"].as_u64().expect("set");
        // Below MaxSize (CloudFormation's rule; MaxSize leaves room for green tasks, twice
        // maxCapacity), and every instance MinSize keeps.
        assert_eq!(group["Properties"]["MaxSize"], json!((2 * max).to_string()));
        assert_eq!(in_service, u64::from(min), "{min}/{max}");
        assert!(
            rolling["PauseTime"]
                .as_str()
                .is_some_and(|p| p.starts_with("PT"))
        );
        let suspended = rolling["SuspendProcesses"].as_array().expect("suspended");
        for process in [
            "HealthCheck",
            "ReplaceUnhealthy",
            "AZRebalance",
            "AlarmNotification",
        ] {
            assert!(suspended.contains(&json!(process)), "{process}");
        }
    }
}

/// Instances drained meanwhile (a scale-in, a new AMI) keep every task serving: its replacement
/// starts elsewhere first.
#[test]
fn draining_keeps_every_task_serving_whatever_the_sizes() {
    for (min, max) in [(2, 2), (2, 4), (3, 6), (1, 1), (1, 4)] {
        let template = synth_value(&with_sizes(min, max));
        let deployment = &props(&template, "AWS::ECS::Service")["DeploymentConfiguration"];
        assert_eq!(deployment["MinimumHealthyPercent"], 100, "{min}/{max}");
        assert_eq!(deployment["MaximumPercent"], 200, "{min}/{max}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Load balancer metrics have one-minute periods

#[test]
fn response_time_policy_reads_the_load_balancer_whatever_the_duration() {
    let policies: Vec<Value> = [1, 10, 30, 59, 60, 300]
        .into_iter()
        .map(|duration| {
            let mut value = example("falcon-7b-tgi.json");
            value["autoScalingConfig"]["metricConfig"]["duration"] = json!(duration);
            props(
                &synth_value(&value),
                "AWS::ApplicationAutoScaling::ScalingPolicy",
            )
            .clone()
        })
        .collect();
    // The load balancer publishes once a minute: the duration chooses nothing.
    assert!(policies.windows(2).all(|w| w[0] == w[1]));
    let metric =
        &policies[0]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"];
    assert_eq!(metric["MetricName"], "TargetResponseTime");
    // The load balancer's dimension alone: both target groups, whichever serves production.
    let dimensions = metric["Dimensions"].as_array().expect("dimensions");
    assert_eq!(dimensions.len(), 1);
    assert_eq!(dimensions[0]["Name"], "LoadBalancer");
}

// ---------------------------------------------------------------------------------------------
// 6. The server keeps idle connections longer than the load balancer

#[test]
fn vllm_keeps_connections_alive_longer_than_the_load_balancer() {
    for name in HOSTED {
        let template = hosted_case(name);
        let command = server_command(&template);
        if !command.contains("vllm.entrypoints") {
            continue;
        }
        let keep_alive: u64 = command
            .lines()
            .find_map(|line| line.strip_prefix("export VLLM_HTTP_TIMEOUT_KEEP_ALIVE="))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name}: vLLM keep-alive not set:\n{command}"));
        assert!(keep_alive > idle_timeout(&template), "{name}: {keep_alive}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Token and concurrency settings reach vLLM

fn flag(command: &str, name: &str) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == name)
        .and_then(|i| words.get(i + 1))
        .map(|v| v.trim_matches('\\').to_owned())
}

#[test]
fn seed_token_and_concurrency_settings_become_vllm_arguments() {
    let template = hosted_case(SEED);
    let command = server_command(&template);
    assert_eq!(
        flag(&command, "--max-model-len").as_deref(),
        Some("2048"),
        "{command}"
    );
    assert_eq!(
        flag(&command, "--max-num-seqs").as_deref(),
        Some("128"),
        "{command}"
    );

    let mut value = example("mistral-vllm.json");
    value["containerConfig"]["environment"] = json!({});
    let bare = server_command(&synth_value(&value));
    assert_eq!(flag(&bare, "--max-model-len"), None, "{bare}");
    assert_eq!(flag(&bare, "--max-num-seqs"), None, "{bare}");
}

#[test]
fn tgi_reads_the_settings_from_its_environment() {
    let template = hosted_case("tgi-response-time-scaling");
    let environment: BTreeMap<String, String> = server(&template)["Environment"]
        .as_array()
        .expect("environment")
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().expect("name").to_owned(),
                p["Value"].as_str().expect("value").to_owned(),
            )
        })
        .collect();
    assert_eq!(environment["MAX_TOTAL_TOKENS"], "2048");
    assert_eq!(environment["MAX_CONCURRENT_REQUESTS"], "128");
}

// ---------------------------------------------------------------------------------------------
// 8. The weights copy skips duplicates

#[test]
fn weights_copy_skips_pickled_and_original_copies_when_safetensors_exist() {
    let command = weights_command(&hosted_case(SEED));
    assert!(command.contains(".safetensors"), "{command}");
    for pattern in [
        "--exclude '*.bin'",
        "--exclude '*.pth'",
        "--exclude 'original/*'",
    ] {
        assert!(command.contains(pattern), "{pattern} missing:\n{command}");
    }
}

/// Runs the weights copy with a stand-in `aws` that lists `listing` for `s3 ls` and records its
/// arguments (the AWS CLI is not installed here); returns the recorded `s3 sync` call.
fn sync_call(command: &str, listing: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "lisa-weights-{}-{}",
        std::process::id(),
        listing.len()
    ));
    let bin = dir.join("bin");
    let models = dir.join("models");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::create_dir_all(&models).expect("models");
    let log = dir.join("calls");
    let stub = bin.join("aws");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho \"$*\" >> \"$CALLS\"\ncase \"$2\" in\n  ls) printf '%s\\n' \"$LISTING\" ;;\n  sync) touch \"$MODELS/config.json\" ;;\nesac\n",
    )
    .expect("stub");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = command
        .replace("${ModelsBucketName}", "models-bucket")
        .replace(" /models", &format!(" {}", models.display()));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .env("CALLS", &log)
        .env("LISTING", listing)
        .env("MODELS", &models)
        .status()
        .expect("sh runs");
    assert!(status.success(), "the copy failed:\n{script}");
    let calls = std::fs::read_to_string(&log).expect("calls");
    std::fs::remove_dir_all(&dir).expect("clean up");
    calls
        .lines()
        .find(|l| l.starts_with("s3 sync"))
        .expect("a sync")
        .to_owned()
}

#[test]
fn weights_copy_excludes_duplicates_only_beside_safetensors() {
    let command = weights_command(&hosted_case(SEED));
    let prefix = "mistralai/Mistral-7B-Instruct-v0.2";
    let with_safetensors = format!(
        "2024-05-01 10:00:00 4943162336 {prefix}/model-00001-of-00003.safetensors\n2024-05-01 10:00:00 4943162336 {prefix}/pytorch_model-00001-of-00003.bin"
    );
    let sync = sync_call(&command, &with_safetensors);
    for pattern in ["*.bin", "*.pt", "*.pth", "original/*"] {
        assert!(sync.contains(&format!("--exclude {pattern}")), "{sync}");
    }
    assert!(
        sync.contains(&format!("s3://models-bucket/{prefix}")),
        "{sync}"
    );

    let pickled_only = format!("2024-05-01 10:00:00 4943162336 {prefix}/pytorch_model.bin");
    let sync = sync_call(&command, &pickled_only);
    assert!(!sync.contains("--exclude"), "{sync}");

    // Safetensors only under original/ are not a reason to skip original/.
    let original_only = format!(
        "2024-05-01 10:00:00 4943162336 {prefix}/original/consolidated.safetensors\n2024-05-01 10:00:00 4943162336 {prefix}/pytorch_model.bin"
    );
    let sync = sync_call(&command, &original_only);
    assert!(!sync.contains("--exclude"), "{sync}");
}

// ---------------------------------------------------------------------------------------------
// 9. The boot script always joins the cluster

#[test]
fn user_data_joins_the_cluster_before_any_step_that_can_fail() {
    for spec in CATALOG {
        let script = user_data(&on_instance(spec));
        let name = spec.name;
        let errexit = script.lines().any(|line| {
            let mut words = line.split_whitespace();
            words.next() == Some("set")
                && words.any(|w| w == "errexit" || (w.starts_with('-') && w.contains('e')))
        });
        assert!(
            !errexit,
            "{name}: set -e aborts before the cluster is joined"
        );
        let config = script.find("ECS_CLUSTER=").expect("cluster configured");
        for step in ["mkfs", "mdadm --create", "iptables", "systemctl stop"] {
            if let Some(at) = script.find(step) {
                assert!(
                    config < at,
                    "{name}: {step} runs before the ECS configuration"
                );
            }
        }
        let start = script
            .rfind("systemctl enable --now")
            .expect("agent started");
        assert!(
            script[start..].lines().count() <= 2,
            "{name}: the agent start must be the last step"
        );
        if spec.local_nvme {
            assert!(script.contains("UUID="), "{name}: mount by UUID");
            assert!(
                script.contains("mdadm --detail --scan"),
                "{name}: record the array"
            );
            assert!(
                !script.contains("echo \"$device "),
                "{name}: fstab by device name"
            );
        }
    }
}

/// Runs an NVMe instance's user data under bash with stand-ins for the system tools (every disk
/// tool and iptables fail), its paths moved under a temporary root; returns (exit status, the
/// ECS configuration written, the systemctl calls, stderr).
fn boot_with_failing_disks(script: &str) -> (bool, String, String, String) {
    let root = std::env::temp_dir().join(format!("lisa-boot-{}", std::process::id()));
    let bin = root.join("bin");
    for dir in ["bin", "etc/ecs", "etc/docker", "opt"] {
        std::fs::create_dir_all(root.join(dir)).expect("dir");
    }
    let stub = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("stub");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    stub(
        "lsblk",
        "printf '/dev/nvme1n1 Amazon EC2 NVMe Instance Storage\\n/dev/nvme2n1 Amazon EC2 NVMe Instance Storage\\n'",
    );
    for failing in ["mdadm", "mkfs.xfs", "blkid", "mount", "iptables", "dnf"] {
        stub(failing, "exit 1");
    }
    stub("systemctl", "echo \"$*\" >> \"$ROOT/systemctl\"");
    stub("logger", "exit 0");
    let root_text = root.display().to_string();
    let script = script
        .replace("${Cluster}", "model-cluster")
        .replace("/etc/", &format!("{root_text}/etc/"))
        .replace("/opt/lisa", &format!("{root_text}/opt/lisa"));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .env("ROOT", &root)
        .output()
        .expect("bash runs");
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
    let result = (
        output.status.success(),
        read("etc/ecs/ecs.config"),
        read("systemctl"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    std::fs::remove_dir_all(&root).expect("clean up");
    result
}

#[test]
fn disk_and_firewall_failures_still_join_the_cluster() {
    let spec = CATALOG
        .iter()
        .find(|s| s.local_nvme && s.gpus > 0)
        .expect("an NVMe GPU type");
    let (ok, config, systemctl, stderr) = boot_with_failing_disks(&user_data(&on_instance(spec)));
    assert!(
        config.contains("ECS_CLUSTER=model-cluster\n"),
        "{config}\n{stderr}"
    );
    assert!(config.contains("ECS_ENABLE_GPU_SUPPORT=true"), "{config}");
    assert!(
        systemctl.contains("enable --now --no-block ecs"),
        "the agent was not started: {systemctl}\n{stderr}"
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("instance storage setup failed"), "{stderr}");
    assert!(stderr.contains("instance metadata"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// 10. The service follows the group

#[test]
fn service_is_created_after_the_group() {
    for name in HOSTED {
        let template = hosted_case(name);
        let (group_id, _) = only(&template, "AWS::AutoScaling::AutoScalingGroup");
        let (_, service) = only(&template, "AWS::ECS::Service");
        let depends: Vec<&str> = service["DependsOn"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(depends.contains(&group_id), "{name}: {depends:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Deploy-time refusal of a load balancer nobody can reach

/// Evaluates a rule assertion for the given parameter values (the functions rules allow here).
fn holds(assertion: &Value, parameters: &BTreeMap<&str, &str>) -> bool {
    let value = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            other => {
                let name = other["Ref"].as_str().expect("a Ref");
                parameters
                    .get(name)
                    .unwrap_or_else(|| panic!("parameter {name} not given"))
                    .to_string()
            }
        }
    };
    let object = assertion.as_object().expect("function");
    let (function, args) = object.iter().next().expect("one function");
    let args = args.as_array().expect("arguments");
    match function.as_str() {
        "Fn::Equals" => value(&args[0]) == value(&args[1]),
        "Fn::Not" => !holds(&args[0], parameters),
        "Fn::Or" => args.iter().any(|a| holds(a, parameters)),
        "Fn::And" => args.iter().all(|a| holds(a, parameters)),
        other => panic!("unexpected function {other}"),
    }
}

fn rules_hold(template: &Value, parameters: &BTreeMap<&str, &str>) -> Vec<String> {
    let mut failed = Vec::new();
    for rule in template["Rules"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.values())
    {
        if let Some(condition) = rule.get("RuleCondition")
            && !holds(condition, parameters)
        {
            continue;
        }
        for assertion in rule["Assertions"].as_array().expect("assertions") {
            if !holds(&assertion["Assert"], parameters) {
                failed.push(
                    assertion["AssertDescription"]
                        .as_str()
                        .expect("description")
                        .to_owned(),
                );
            }
        }
    }
    failed
}

fn ingress(cidr: &'static str, group: &'static str) -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("LoadBalancerIngressCidr", cidr),
        ("LoadBalancerIngressSecurityGroupId", group),
        ("DomainName", ""),
        ("HostedZoneId", ""),
        ("GateFunctionArn", ""),
        ("GateSecurityGroupId", ""),
    ])
}

#[test]
fn a_template_rule_refuses_a_load_balancer_without_ingress() {
    for name in HOSTED {
        let template = hosted_case(name);
        let failed = rules_hold(&template, &ingress("", ""));
        assert_eq!(failed.len(), 1, "{name}: {failed:?}");
        assert!(
            failed[0].contains("LoadBalancerIngressCidr"),
            "{}",
            failed[0]
        );
        assert!(rules_hold(&template, &ingress("10.0.0.0/16", "")).is_empty());
        assert!(rules_hold(&template, &ingress("", "sg-0123456789abcdef0")).is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// 12. HTTPS under a name a certificate covers

#[test]
fn https_registers_the_alias_name_when_a_domain_is_given() {
    let template = hosted_case(SEED_HTTPS);
    for parameter in ["DomainName", "HostedZoneId"] {
        assert_eq!(
            template["Parameters"][parameter]["Default"], "",
            "{parameter} is optional"
        );
    }
    let (lb_id, _) = only(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    let (_, record) = only(&template, "AWS::Route53::RecordSet");
    let condition = record["Condition"].as_str().expect("conditional record");
    assert_eq!(
        record["Properties"],
        json!({
            "HostedZoneId": {"Ref": "HostedZoneId"},
            "Name": {"Ref": "DomainName"},
            "Type": "A",
            "AliasTarget": {
                "DNSName": {"Fn::GetAtt": [lb_id, "DNSName"]},
                "HostedZoneId": {"Fn::GetAtt": [lb_id, "CanonicalHostedZoneID"]},
                "EvaluateTargetHealth": true
            }
        })
    );
    let expected = json!({"Fn::If": [
        condition,
        {"Fn::Sub": "https://${DomainName}/v1"},
        {"Fn::Sub": format!("https://${{{lb_id}.DNSName}}/v1")}
    ]});
    assert_eq!(
        props(&template, "Custom::LiteLLMModel")["ApiBase"],
        expected
    );
    assert_eq!(template["Outputs"]["ModelEndpointUrl"]["Value"], expected);

    // A domain name needs its hosted zone.
    let mut parameters = ingress("10.0.0.0/16", "");
    parameters.insert("DomainName", "llm.example.com");
    assert_eq!(rules_hold(&template, &parameters).len(), 1);
    parameters.insert("HostedZoneId", "Z0123456789ABCDEFGHIJ");
    assert!(rules_hold(&template, &parameters).is_empty());

    // Plain HTTP has no certificate to verify: no name, no record.
    let http = hosted_case(SEED);
    assert!(http["Parameters"].get("DomainName").is_none());
    assert!(
        http["Resources"]
            .as_object()
            .expect("resources")
            .values()
            .all(|r| r["Type"] != "AWS::Route53::RecordSet")
    );
}

// ---------------------------------------------------------------------------------------------
// 13. A gate comes with the security group it calls from

#[test]
fn a_template_rule_refuses_a_gate_without_its_security_group() {
    const GATE: &str = "arn:aws:lambda:us-east-1:123456789012:function:lisa-gate";
    for name in HOSTED {
        let template = hosted_case(name);
        let mut parameters = ingress("10.0.0.0/16", "");
        parameters.insert("GateFunctionArn", GATE);
        let failed = rules_hold(&template, &parameters);
        assert_eq!(failed.len(), 1, "{name}: {failed:?}");
        assert!(failed[0].contains("GateSecurityGroupId"), "{}", failed[0]);
        parameters.insert("GateSecurityGroupId", "sg-0123456789abcdef0");
        assert!(rules_hold(&template, &parameters).is_empty(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// 14. The metrics agent's configurations parse

/// `text` with every `${...}` of `Fn::Sub` filled in as CloudFormation would.
fn substituted(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |i| start + i + 1);
        out.push_str("sample");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_metrics_agents_configurations_parse() {
    let cfn_lint = std::env::var_os("LISA_CFN_LINT").map_or_else(
        || common::workspace().join(".venv-cfn/bin/cfn-lint"),
        std::path::PathBuf::from,
    );
    // The venv's Python has PyYAML (cfn-lint reads YAML templates with it).
    let python = cfn_lint.with_file_name("python");
    assert!(python.exists(), "{} not found", python.display());
    for name in HOSTED {
        let template = hosted_case(name);
        let agent = containers(&template)
            .iter()
            .find(|c| c["Name"] == "metrics-agent")
            .unwrap_or_else(|| panic!("{name}: no metrics agent"));
        let value = |variable: &str| {
            let entry = agent["Environment"]
                .as_array()
                .expect("environment")
                .iter()
                .find(|e| e["Name"] == variable)
                .unwrap_or_else(|| panic!("{name}: no {variable}"));
            substituted(entry["Value"]["Fn::Sub"].as_str().expect("an Fn::Sub"))
        };
        let config: Value = serde_json::from_str(&value("CW_CONFIG_CONTENT"))
            .unwrap_or_else(|e| panic!("{name}: CW_CONFIG_CONTENT is not JSON: {e}"));
        assert_eq!(
            config["logs"]["metrics_collected"]["prometheus"]["prometheus_config_path"],
            "env:PROMETHEUS_CONFIG_CONTENT"
        );
        let mut child = std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        std::io::Write::write_all(
            &mut child.stdin.take().expect("stdin"),
            value("PROMETHEUS_CONFIG_CONTENT").as_bytes(),
        )
        .expect("writes");
        let output = child.wait_with_output().expect("python ends");
        assert!(
            output.status.success(),
            "{name}: the scrape configuration is not YAML"
        );
        let scrape: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let job = &scrape["scrape_configs"][0];
        assert_eq!(
            job["static_configs"][0]["targets"],
            json!(["model-server:8080"])
        );
        assert_eq!(job["metrics_path"], "/metrics");
        // The agent reaches the server by the link it declares.
        assert_eq!(agent["Links"], json!(["model-server"]), "{name}");
    }
}
