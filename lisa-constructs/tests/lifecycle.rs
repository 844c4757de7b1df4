//! Every lifecycle operation (stop, start, autoscaling change, container or metadata update) is
//! a new synthesis of the updated definition, deployed as a stack update. These tests diff the
//! templates by logical id: an operation may change only the resources it is about, and no
//! logical id may change (a changed id replaces a live resource).

mod common;

use common::definition;
use lisa_constructs::cfn::Template;
use lisa_constructs::ecs_model::capacity::{desired_on_create, desired_on_update};
use lisa_constructs::ecs_model::{RunState, StackOptions, synthesize};
use lisa_constructs::model::{ModelDefinition, ModelUpdate};
use serde_json::{Value, json};

// The seed example's logical ids, frozen: changing one replaces a live resource on the next
// update, so editing this list must be a deliberate act.
const CLUSTER: &str = "Cluster";
const LB_SECURITY_GROUP: &str = "LoadBalancerSecurityGroup7560AED0";
const LB_INGRESS_FROM_CIDR: &str = "LoadBalancerIngressFromCidrEA9CA8EB";
const LB_INGRESS_FROM_GROUP: &str = "LoadBalancerIngressFromSecurityGroupDC226601";
const LOAD_BALANCER: &str = "LoadBalancerBE9EEC3A";
const TARGET_GROUP: &str = "LoadBalancerTargetGroup81D27C85";
const LISTENER: &str = "LoadBalancerListenerA65D164F";
const INSTANCE_ROLE: &str = "CapacityInstanceRoleE7808B8C";
const INSTANCE_PROFILE: &str = "CapacityInstanceProfileDC9FF76B";
const INSTANCE_SECURITY_GROUP: &str = "CapacitySecurityGroup93E22146";
const LAUNCH_TEMPLATE: &str = "CapacityLaunchTemplate0810A733";
const GROUP: &str = "CapacityGroup6E2E2F34";
const LB_EGRESS: &str = "LoadBalancerEgressToInstances867AA771";
const EXECUTION_ROLE: &str = "TaskExecutionRoleAAB5EA0C";
const TASK_ROLE: &str = "TaskRoleFD86543E";
const LOG_GROUP: &str = "TaskLogGroup667E06F7";
const TASK_DEFINITION: &str = "TaskDefinition7C0E40E8";
const SERVICE: &str = "Service";
const REGISTRATION: &str = "Registration";
// Added with the draining capacity provider (which now also scales the group).
const CAPACITY_PROVIDER: &str = "CapacityDrainingProviderE4258AF3";
const CLUSTER_PROVIDERS: &str = "CapacityClusterProviders84A0D08C";
/// Present only over HTTPS (created only when a domain name is given).
const ALIAS_RECORD: &str = "LoadBalancerAlias5D0A67AF";
// Added with blue/green deployments and service auto scaling.
const LB_INGRESS_FROM_GATE: &str = "LoadBalancerIngressFromGate49170F13";
const ALTERNATE_TARGET_GROUP: &str = "LoadBalancerAlternateTargetGroup223F306C";
const PRODUCTION_RULE: &str = "LoadBalancerProductionRule1FFFF78B";
const TEST_LISTENER: &str = "LoadBalancerTestListenerFE78F770";
const TEST_RULE: &str = "LoadBalancerTestRule238EEAAF";
const LOAD_BALANCER_ROLE: &str = "DeploymentLoadBalancerRoleD85D5230";
const GATE_ROLE: &str = "DeploymentGateRoleE02DEB94";
const ROLLBACK_ALARM: &str = "DeploymentTargetErrorsAlarmC19FAC85";
const SCALING_TARGET: &str = "ScalingServiceTargetCFC79157";
/// Present only when the service can scale.
const SCALING_POLICY: &str = "ScalingServicePolicy27B4B205";

const SEED_LOGICAL_IDS: [&str; 30] = [
    CLUSTER,
    LB_SECURITY_GROUP,
    LB_INGRESS_FROM_CIDR,
    LB_INGRESS_FROM_GROUP,
    LB_INGRESS_FROM_GATE,
    LOAD_BALANCER,
    TARGET_GROUP,
    ALTERNATE_TARGET_GROUP,
    LISTENER,
    PRODUCTION_RULE,
    TEST_LISTENER,
    TEST_RULE,
    INSTANCE_ROLE,
    INSTANCE_PROFILE,
    INSTANCE_SECURITY_GROUP,
    LAUNCH_TEMPLATE,
    GROUP,
    CAPACITY_PROVIDER,
    CLUSTER_PROVIDERS,
    LB_EGRESS,
    EXECUTION_ROLE,
    LOG_GROUP,
    TASK_ROLE,
    TASK_DEFINITION,
    LOAD_BALANCER_ROLE,
    GATE_ROLE,
    ROLLBACK_ALARM,
    SERVICE,
    SCALING_TARGET,
    REGISTRATION,
];

/// The seed's autoscaling example payload (`PUT /models/{modelId}`).
const SEED_AUTOSCALING_PAYLOAD: &str =
    r#"{"autoScalingInstanceConfig": {"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": 3}}"#;

// ---------------------------------------------------------------------------------------------
// Helpers

fn seed() -> ModelDefinition {
    definition("mistral-vllm.json")
}

fn autoscaling() -> ModelDefinition {
    definition("mistral-vllm-autoscaling.json")
}

fn litellm_only() -> ModelDefinition {
    definition("titan-express-v1.json")
}

fn synth_as(definition: &ModelDefinition, run_state: RunState) -> Template {
    let options = StackOptions {
        run_state,
        ..StackOptions::default()
    };
    synthesize(definition, &options)
        .expect("synthesizes")
        .template
}

fn running(definition: &ModelDefinition) -> Template {
    synth_as(definition, RunState::Running)
}

fn stopped(definition: &ModelDefinition) -> Template {
    synth_as(definition, RunState::Stopped)
}

fn text(template: &Template) -> String {
    template.to_json_string().expect("serializes")
}

/// The template deployed for an update: the updated definition, with the count the request
/// itself asks for.
fn deployed_update(definition: &ModelDefinition, payload: &str) -> Template {
    let request = ModelUpdate::from_json_str(payload).expect("valid payload");
    let options = StackOptions {
        desired_capacity: desired_on_update(&request),
        ..StackOptions::default()
    };
    synthesize(&update(definition, payload), &options)
        .expect("synthesizes")
        .template
}

fn update(definition: &ModelDefinition, payload: &str) -> ModelDefinition {
    let update = ModelUpdate::from_json_str(payload).expect("valid payload");
    definition
        .apply_update(&update, None)
        .expect("update applies")
}

/// How two templates' resources differ, by logical id.
#[derive(Debug, PartialEq, Eq, Default)]
struct Diff {
    changed: Vec<String>,
    added: Vec<String>,
    removed: Vec<String>,
}

fn diff(before: &Template, after: &Template) -> Diff {
    let json = |r| serde_json::to_value(r).expect("serializes");
    let mut result = Diff::default();
    for (id, old) in &before.resources {
        match after.resources.get(id) {
            None => result.removed.push(id.clone()),
            Some(new) if json(old) != json(new) => result.changed.push(id.clone()),
            Some(_) => {}
        }
    }
    for id in after.resources.keys() {
        if !before.resources.contains_key(id) {
            result.added.push(id.clone());
        }
    }
    result
}

fn changed(ids: &[&str]) -> Diff {
    Diff {
        changed: ids.iter().map(|s| (*s).to_owned()).collect(),
        ..Diff::default()
    }
}

fn properties(template: &Template, logical_id: &str) -> Value {
    template
        .resources
        .get(logical_id)
        .unwrap_or_else(|| panic!("no resource {logical_id}"))
        .properties_json()
        .expect("renders")
}

fn group_sizes(template: &Template) -> (Value, Value, Value) {
    let group = properties(template, GROUP);
    (
        group["MinSize"].clone(),
        group["MaxSize"].clone(),
        group.get("DesiredCapacity").cloned().unwrap_or(Value::Null),
    )
}

/// The service's desired count (`Null` when the template leaves it alone) and the bounds service
/// auto scaling holds it in.
fn task_counts(template: &Template) -> (Value, Value, Value) {
    let target = properties(template, SCALING_TARGET);
    (
        target["MinCapacity"].clone(),
        target["MaxCapacity"].clone(),
        properties(template, SERVICE)
            .get("DesiredCount")
            .cloned()
            .unwrap_or(Value::Null),
    )
}

fn logical_ids(template: &Template) -> Vec<String> {
    template.resources.keys().cloned().collect()
}

fn server_container(template: &Template) -> Value {
    properties(template, TASK_DEFINITION)["ContainerDefinitions"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["Name"] == "model-server")
        .expect("server container")
        .clone()
}

// ---------------------------------------------------------------------------------------------
// Frozen ids

#[test]
fn seed_logical_ids_are_frozen() {
    assert_eq!(logical_ids(&running(&seed())), SEED_LOGICAL_IDS);
    let scaling: Vec<String> = logical_ids(&running(&autoscaling()))
        .into_iter()
        .filter(|id| !SEED_LOGICAL_IDS.contains(&id.as_str()))
        .collect();
    assert_eq!(scaling, [SCALING_POLICY]);
    let https = StackOptions {
        https: true,
        ..StackOptions::default()
    };
    let https_only: Vec<String> =
        logical_ids(&synthesize(&seed(), &https).expect("synthesizes").template)
            .into_iter()
            .filter(|id| !SEED_LOGICAL_IDS.contains(&id.as_str()))
            .collect();
    assert_eq!(https_only, [ALIAS_RECORD]);
    assert_eq!(logical_ids(&running(&litellm_only())), [REGISTRATION]);
}

// ---------------------------------------------------------------------------------------------
// (a) Autoscaling changes

/// A desired count applies once, in the deployment that asks for it, to the service (the
/// capacity provider sizes the group): a stored `desiredCapacity` that went into every later
/// synthesis would snap the service back to it on any later update (a start, a cooldown edit, a
/// new AMI) and undo scale-out.
#[test]
fn a_desired_count_applies_only_in_the_deployment_that_asks_for_it() {
    let stored = autoscaling();
    assert_eq!(
        stored
            .hosting
            .as_ref()
            .and_then(|h| h.auto_scaling_config.desired_capacity),
        Some(2)
    );
    // A synthesis that was not asked for a count leaves the service's current count alone.
    assert_eq!(task_counts(&running(&stored)).2, Value::Null);

    // The create applies the definition's count.
    let create = StackOptions {
        desired_capacity: desired_on_create(&stored),
        ..StackOptions::default()
    };
    let created = synthesize(&stored, &create).expect("synthesizes").template;
    assert_eq!(task_counts(&created), (json!(1), json!(4), json!(2)));
    // The group follows the tasks: never a count of its own while running.
    assert_eq!(group_sizes(&created), (json!("1"), json!("8"), Value::Null));

    // The update that asks for 3 applies 3 ...
    let resized = update(&stored, SEED_AUTOSCALING_PAYLOAD);
    assert_eq!(
        task_counts(&deployed_update(&stored, SEED_AUTOSCALING_PAYLOAD)),
        (json!(2), json!(4), json!(3))
    );
    // ... and a later update that asks for none (a cooldown edit, a start) carries no count,
    // although the stored definition now holds 3.
    let later = deployed_update(
        &resized,
        r#"{"autoScalingInstanceConfig": {"cooldown": 99}}"#,
    );
    assert_eq!(task_counts(&later).2, Value::Null);
    let started = running(&update(&resized, r#"{"enabled": true}"#));
    assert_eq!(task_counts(&started).2, Value::Null);
}

#[test]
fn seed_autoscaling_payload_on_the_autoscaling_case_changes_the_bounds_and_the_count() {
    let before = autoscaling();
    let (old, new) = (
        running(&before),
        deployed_update(&before, SEED_AUTOSCALING_PAYLOAD),
    );
    // MinSize 2; the service takes the asked count (3), the scalable target the new bounds.
    assert_eq!(diff(&old, &new), changed(&[GROUP, SERVICE, SCALING_TARGET]));
    assert_eq!(group_sizes(&new), (json!("2"), json!("8"), Value::Null));
    assert_eq!(task_counts(&new), (json!(2), json!(4), json!(3)));
}

#[test]
fn seed_autoscaling_payload_on_the_fixed_seed_adds_the_policy() {
    let before = seed();
    let after = update(&before, SEED_AUTOSCALING_PAYLOAD);
    assert_eq!(
        diff(&running(&before), &running(&after)),
        Diff {
            changed: vec![GROUP.into(), SCALING_TARGET.into()],
            added: vec![SCALING_POLICY.into()],
            removed: vec![],
        }
    );
}

#[test]
fn fixing_the_group_size_removes_the_policy() {
    let before = autoscaling();
    let after = update(
        &before,
        r#"{"autoScalingInstanceConfig": {"minCapacity": 2, "maxCapacity": 2}}"#,
    );
    let new = running(&after);
    assert_eq!(
        diff(&running(&before), &new),
        Diff {
            changed: vec![GROUP.into(), SCALING_TARGET.into()],
            added: vec![],
            removed: vec![SCALING_POLICY.into()],
        }
    );
    // The request asks for no count: registering the target moves the service into the bounds.
    assert_eq!(task_counts(&new), (json!(2), json!(2), Value::Null));
    assert_eq!(group_sizes(&new), (json!("2"), json!("4"), Value::Null));
}

/// The cooldown is the group's default cooldown and the service policy's scale-in cooldown.
#[test]
fn cooldown_change_changes_the_group_and_the_policy() {
    let before = autoscaling();
    let after = update(
        &before,
        r#"{"autoScalingInstanceConfig": {"cooldown": 99}}"#,
    );
    let new = running(&after);
    assert_eq!(
        diff(&running(&before), &new),
        changed(&[GROUP, SCALING_POLICY])
    );
    assert_eq!(properties(&new, GROUP)["Cooldown"], "99");
    assert_eq!(
        properties(&new, SCALING_POLICY)["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"],
        99
    );
}

/// The service's health-check grace period does not depend on the autoscaling settings, so a
/// warmup change updates the group and the warmup managed scaling counts new instances with.
#[test]
fn warmup_change_updates_the_group_and_the_capacity_provider() {
    let before = autoscaling();
    let after = update(
        &before,
        r#"{"autoScalingInstanceConfig": {"defaultInstanceWarmup": 60}}"#,
    );
    let new = running(&after);
    assert_eq!(
        diff(&running(&before), &new),
        changed(&[GROUP, CAPACITY_PROVIDER])
    );
    assert_eq!(properties(&new, GROUP)["DefaultInstanceWarmup"], 60);
    assert_eq!(
        properties(&new, CAPACITY_PROVIDER)["AutoScalingGroupProvider"]["ManagedScaling"]["InstanceWarmupPeriod"],
        60
    );
}

// ---------------------------------------------------------------------------------------------
// (b) Stop, (c) start

#[test]
fn enabled_updates_leave_the_definition_unchanged() {
    for definition in [seed(), autoscaling(), litellm_only()] {
        assert_eq!(update(&definition, r#"{"enabled": false}"#), definition);
        assert_eq!(update(&definition, r#"{"enabled": true}"#), definition);
    }
}

/// A stop takes the service and the group to nothing at once (not through managed scaling's
/// slow scale-in) and leaves LiteLLM.
#[test]
fn stopping_the_seed_empties_the_service_and_the_group_and_disables_the_registration() {
    let definition = update(&seed(), r#"{"enabled": false}"#);
    let (old, new) = (running(&seed()), stopped(&definition));
    assert_eq!(
        diff(&old, &new),
        changed(&[GROUP, SERVICE, SCALING_TARGET, REGISTRATION])
    );
    assert_eq!(group_sizes(&new), (json!("0"), json!("0"), json!("0")));
    assert_eq!(task_counts(&new), (json!(0), json!(0), json!(0)));
    assert_eq!(properties(&new, REGISTRATION)["Enabled"], "false");
}

#[test]
fn stopping_a_scalable_model_also_removes_the_policy() {
    let (old, new) = (running(&autoscaling()), stopped(&autoscaling()));
    assert_eq!(
        diff(&old, &new),
        Diff {
            changed: vec![
                GROUP.into(),
                SERVICE.into(),
                SCALING_TARGET.into(),
                REGISTRATION.into()
            ],
            added: vec![],
            removed: vec![SCALING_POLICY.into()],
        }
    );
    assert_eq!(group_sizes(&new), (json!("0"), json!("0"), json!("0")));
}

#[test]
fn stopping_a_litellm_only_model_disables_its_registration() {
    let (old, new) = (running(&litellm_only()), stopped(&litellm_only()));
    assert_eq!(diff(&old, &new), changed(&[REGISTRATION]));
    assert_eq!(properties(&new, REGISTRATION)["Enabled"], "false");
}

#[test]
fn starting_restores_the_running_template_byte_for_byte() {
    for original in [seed(), autoscaling(), litellm_only()] {
        let before = text(&running(&original));
        let stopped_definition = update(&original, r#"{"enabled": false}"#);
        assert_ne!(text(&stopped(&stopped_definition)), before);
        let started = update(&stopped_definition, r#"{"enabled": true}"#);
        assert_eq!(text(&running(&started)), before, "{}", original.model_id);
    }
}

// ---------------------------------------------------------------------------------------------
// (d) Stable ids across every variant

#[test]
fn core_logical_ids_are_identical_across_every_variant() {
    let core: [(&str, &[&str]); 8] = [
        (
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            &[LOAD_BALANCER],
        ),
        (
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            &[TARGET_GROUP, ALTERNATE_TARGET_GROUP],
        ),
        (
            "AWS::ElasticLoadBalancingV2::Listener",
            &[LISTENER, TEST_LISTENER],
        ),
        ("AWS::ECS::Cluster", &[CLUSTER]),
        ("AWS::ECS::Service", &[SERVICE]),
        ("AWS::ECS::TaskDefinition", &[TASK_DEFINITION]),
        ("AWS::Logs::LogGroup", &[LOG_GROUP]),
        ("Custom::LiteLLMModel", &[REGISTRATION]),
    ];
    let https = StackOptions {
        https: true,
        ..StackOptions::default()
    };
    let mut variants = vec![
        ("seed", running(&seed())),
        ("seed stopped", stopped(&seed())),
        (
            "seed https",
            synthesize(&seed(), &https).expect("synthesizes").template,
        ),
        (
            "seed autoscaled",
            running(&update(&seed(), SEED_AUTOSCALING_PAYLOAD)),
        ),
        (
            "seed container update",
            running(&update(
                &seed(),
                r#"{"containerConfig": {"sharedMemorySize": 4096}}"#,
            )),
        ),
        (
            "seed as embedding",
            running(&update(&seed(), r#"{"modelType": "embedding"}"#)),
        ),
        ("autoscaling stopped", stopped(&autoscaling())),
    ];
    for file in [
        "mistral-vllm-autoscaling.json",
        "llama3-70b-vllm.json",
        "falcon-7b-tgi.json",
        "bge-large-tei.json",
    ] {
        variants.push((file, running(&definition(file))));
    }
    for (variant, template) in &variants {
        for (resource_type, expected) in core {
            let ids: Vec<&str> = template
                .resources_of_type(resource_type)
                .map(|(id, _)| id.as_str())
                .collect();
            assert_eq!(ids, expected, "{variant}: {resource_type}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (e) Container settings

/// The task definition is immutable: CloudFormation replaces it (a new revision) and then updates
/// the service in place, because the service's `Ref` to it resolves to the new ARN. The service's
/// own JSON stays the same unless the grace period (startPeriod) changes.
#[test]
fn environment_change_changes_only_the_task_definition() {
    let before = seed();
    let after = update(
        &before,
        r#"{"containerConfig": {"environment": {"MAX_TOTAL_TOKENS": "4096"}}}"#,
    );
    let new = running(&after);
    assert_eq!(diff(&running(&before), &new), changed(&[TASK_DEFINITION]));
    assert_eq!(
        server_container(&new)["Environment"],
        json!([{"Name": "MAX_TOTAL_TOKENS", "Value": "4096"}])
    );
}

#[test]
fn shared_memory_change_changes_only_the_task_definition() {
    let before = seed();
    let after = update(
        &before,
        r#"{"containerConfig": {"sharedMemorySize": 4096}}"#,
    );
    let new = running(&after);
    assert_eq!(diff(&running(&before), &new), changed(&[TASK_DEFINITION]));
    assert_eq!(
        server_container(&new)["LinuxParameters"]["SharedMemorySize"],
        4096
    );
}

#[test]
fn health_check_change_with_the_same_start_period_changes_only_the_task_definition() {
    let before = seed();
    let after = update(
        &before,
        r#"{"containerConfig": {"healthCheckConfig": {"command": ["CMD-SHELL", "exit 0"], "interval": 20, "startPeriod": 30}}}"#,
    );
    let new = running(&after);
    assert_eq!(diff(&running(&before), &new), changed(&[TASK_DEFINITION]));
    assert_eq!(server_container(&new)["HealthCheck"]["Interval"], 20);
}

#[test]
fn start_period_change_also_updates_the_service_grace_period() {
    let before = seed();
    let after = update(
        &before,
        r#"{"containerConfig": {"healthCheckConfig": {"command": ["CMD-SHELL", "exit 0"], "startPeriod": 120}}}"#,
    );
    let new = running(&after);
    // The registration's load budget is the service's grace period; its handler leaves an
    // unchanged LiteLLM entry alone on such an update.
    assert_eq!(
        diff(&running(&before), &new),
        changed(&[TASK_DEFINITION, SERVICE, REGISTRATION])
    );
    assert_eq!(
        properties(&new, SERVICE)["HealthCheckGracePeriodSeconds"],
        120 + 600
    );
}

// ---------------------------------------------------------------------------------------------
// (f) Metadata

#[test]
fn streaming_change_changes_only_the_registration() {
    let before = seed();
    let after = update(&before, r#"{"streaming": false}"#);
    let new = running(&after);
    assert_eq!(diff(&running(&before), &new), changed(&[REGISTRATION]));
    assert_eq!(properties(&new, REGISTRATION)["Streaming"], "false");
}

#[test]
fn litellm_only_model_type_change_changes_only_the_registration() {
    let before = litellm_only();
    let after = update(&before, r#"{"modelType": "embedding"}"#);
    let new = running(&after);
    assert_eq!(diff(&running(&before), &new), changed(&[REGISTRATION]));
    assert_eq!(properties(&new, REGISTRATION)["Mode"], "embedding");
    assert_eq!(properties(&new, REGISTRATION)["Streaming"], "false");
}

/// vLLM serves embeddings only with `--task embed`: for a hosted vLLM model a modelType change is
/// also a server-command change, so the task definition changes too, and the deployment gate
/// checks an embedding instead of a completion (the service's hook details).
#[test]
fn vllm_model_type_change_changes_the_registration_the_server_command_and_the_gate() {
    let before = seed();
    let after = update(&before, r#"{"modelType": "embedding"}"#);
    let new = running(&after);
    assert_eq!(
        diff(&running(&before), &new),
        changed(&[TASK_DEFINITION, SERVICE, REGISTRATION])
    );
    assert_eq!(
        properties(&new, SERVICE)["DeploymentConfiguration"]["LifecycleHooks"]["Fn::If"][1][0]["HookDetails"]
            ["modelType"],
        "embedding"
    );
    assert_eq!(properties(&new, REGISTRATION)["Mode"], "embedding");
    let server = server_container(&new);
    let command = server["Command"][0].as_str().expect("command string");
    assert!(command.contains("--task embed"), "{command}");
}
