//! A model deployed with the daemon-service template (commit 754fbb7, frozen under
//! `tests/fixtures/`) moves to the replica, blue/green topology by one stack update: this lists
//! what that update adds, removes, replaces and updates in place, from the two templates and the
//! CloudFormation resource schemas cfn-lint ships (a property in `createOnlyProperties` that
//! changes replaces the resource).

mod common;

use lisa_constructs::ecs_model::{StackOptions, synthesize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> Value {
    let path = common::workspace()
        .join("lisa-constructs/tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

/// The synthesis an update of the model deploys: no count asked for.
fn today(file: &str) -> Value {
    synthesize(&common::definition(file), &StackOptions::default())
        .expect("synthesizes")
        .template
        .to_json()
        .expect("renders")
}

/// cfn-lint's resource schemas, by type name.
fn schemas() -> BTreeMap<String, Value> {
    let cfn_lint = std::env::var_os("LISA_CFN_LINT").map_or_else(
        || common::workspace().join(".venv-cfn/bin/cfn-lint"),
        PathBuf::from,
    );
    let venv = cfn_lint
        .parent()
        .and_then(|bin| bin.parent())
        .expect("cfn-lint in a venv's bin");
    let lib = std::fs::read_dir(venv.join("lib"))
        .expect("the venv's lib")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python"))
        })
        .expect("a python folder");
    let folder = lib.join("site-packages/cfnlint/data/schemas/resources");
    let mut schemas = BTreeMap::new();
    for entry in std::fs::read_dir(&folder)
        .expect("cfn-lint's schemas")
        .filter_map(Result::ok)
    {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(schema) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(name) = schema["typeName"].as_str() {
            schemas.insert(name.to_owned(), schema);
        }
    }
    assert!(
        schemas.contains_key("AWS::ECS::Service"),
        "{}",
        folder.display()
    );
    schemas
}

/// How an update treats each logical id.
#[derive(Debug, Default, PartialEq, Eq)]
struct Move {
    added: Vec<String>,
    removed: Vec<String>,
    retyped: Vec<String>,
    replaced: Vec<String>,
    updated: Vec<String>,
}

fn compare(before: &Value, after: &Value, schemas: &BTreeMap<String, Value>) -> Move {
    let (old, new) = (
        before["Resources"].as_object().expect("resources"),
        after["Resources"].as_object().expect("resources"),
    );
    let mut result = Move::default();
    for (id, resource) in old {
        let Some(next) = new.get(id) else {
            result.removed.push(id.clone());
            continue;
        };
        if next["Type"] != resource["Type"] {
            result.retyped.push(id.clone());
        } else if next["Properties"] != resource["Properties"] {
            let create_only = schemas
                .get(resource["Type"].as_str().unwrap_or_default())
                .and_then(|s| s["createOnlyProperties"].as_array())
                .cloned()
                .unwrap_or_default();
            let replaces = create_only.iter().filter_map(Value::as_str).any(|pointer| {
                let pointer = pointer.replacen("/properties", "/Properties", 1);
                resource.pointer(&pointer) != next.pointer(&pointer)
            });
            if replaces {
                result.replaced.push(id.clone());
            } else {
                result.updated.push(id.clone());
            }
        }
    }
    result.added = new
        .keys()
        .filter(|id| !old.contains_key(*id))
        .cloned()
        .collect();
    result
}

fn ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

const ADDED: &[&str] = &[
    "LoadBalancerIngressFromGate49170F13",
    "LoadBalancerAlternateTargetGroup223F306C",
    "LoadBalancerProductionRule1FFFF78B",
    "LoadBalancerTestListenerFE78F770",
    "LoadBalancerTestRule238EEAAF",
    "DeploymentLoadBalancerRoleD85D5230",
    "DeploymentGateRoleE02DEB94",
    "DeploymentTargetErrorsAlarmC19FAC85",
    "ScalingServiceTargetCFC79157",
];

#[test]
fn the_seed_moves_by_one_update_that_replaces_the_service_and_the_task_definition_only() {
    let schemas = schemas();
    let moved = compare(
        &fixture("seed-mistral-vllm-754fbb7.json"),
        &today("mistral-vllm.json"),
        &schemas,
    );
    assert_eq!(
        moved,
        Move {
            added: ids(ADDED),
            removed: vec![],
            retyped: vec![],
            // DAEMON to REPLICA (SchedulingStrategy is create-only): CloudFormation creates the
            // new service, waits for it to be stable, then deletes the old one. A task definition
            // is always a new revision.
            replaced: ids(&["TaskDefinition7C0E40E8", "Service"]),
            updated: ids(&[
                "CapacityGroup6E2E2F34",
                "CapacityDrainingProviderE4258AF3",
                "TaskRoleFD86543E",
                "Registration",
            ]),
        }
    );
}

#[test]
fn a_scalable_model_also_trades_the_group_policy_for_the_service_policy() {
    let schemas = schemas();
    let moved = compare(
        &fixture("vllm-autoscaling-754fbb7.json"),
        &today("mistral-vllm-autoscaling.json"),
        &schemas,
    );
    let mut added = ids(ADDED);
    added.push("ScalingServicePolicy27B4B205".into());
    assert_eq!(moved.added, added);
    assert_eq!(moved.removed, ids(&["ScalingPolicyE6AB1601"]));
    assert_eq!(moved.retyped, Vec::<String>::new());
    assert_eq!(moved.replaced, ids(&["TaskDefinition7C0E40E8", "Service"]));
}

/// What stays keeps its id and its properties: the cluster, the load balancer and its listener,
/// the target group that serves during the move, the log group.
#[test]
fn the_cluster_load_balancer_listener_target_group_and_log_group_stay_as_they_are() {
    let (before, after) = (
        fixture("seed-mistral-vllm-754fbb7.json"),
        today("mistral-vllm.json"),
    );
    for id in [
        "Cluster",
        "LoadBalancerBE9EEC3A",
        "LoadBalancerListenerA65D164F",
        "LoadBalancerTargetGroup81D27C85",
        "TaskLogGroup667E06F7",
        "CapacityLaunchTemplate0810A733",
    ] {
        assert_eq!(before["Resources"][id], after["Resources"][id], "{id}");
    }
}
