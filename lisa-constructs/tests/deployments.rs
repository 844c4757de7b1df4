//! What a container update (a new task definition) does to a running model, read from the
//! template's deployment settings: how many targets keep serving at every step, whether the new
//! tasks must pass the gate before production traffic reaches them, and whether an alarm rolls
//! the deployment back.

mod common;

use common::{cases, definition, only, template_json};
use serde_json::Value;

/// Every running hosted case, with its definition's capacities.
fn hosted() -> Vec<(&'static str, Value, u32, u32)> {
    cases()
        .into_iter()
        .filter(|case| case.options.run_state == lisa_constructs::ecs_model::RunState::Running)
        .filter_map(|case| {
            let hosting = definition(case.file).hosting?;
            let sizes = &hosting.auto_scaling_config;
            Some((
                case.name,
                template_json(&case),
                sizes.min_capacity,
                sizes.max_capacity,
            ))
        })
        .collect()
}

fn resource<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
    &template["Resources"][logical_id]
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn target(value: &Value) -> Option<&str> {
    value["Ref"]
        .as_str()
        .or_else(|| value["Fn::GetAtt"][0].as_str())
}

fn percent(config: &Value, key: &str, default: u64) -> u64 {
    config[key].as_u64().unwrap_or(default)
}

/// The fewest tasks serving production traffic while a deployment replaces `desired` tasks, one
/// per instance, as ECS runs it from these settings:
/// - a rolling deployment (and a daemon service, which has no other kind) stops old tasks down to
///   `MinimumHealthyPercent` of the desired count (rounded up) before the new ones serve;
/// - a blue/green deployment starts every green task beside the blue ones and moves production
///   traffic to green only when green is healthy, so blue serves the whole count until then;
///   instances drained meanwhile (scale-in, a new AMI) still keep `MinimumHealthyPercent`.
fn fewest_serving(service: &Value, desired: u32) -> u32 {
    let properties = &service["Properties"];
    let config = &properties["DeploymentConfiguration"];
    let daemon = properties["SchedulingStrategy"] == "DAEMON";
    let minimum = percent(
        config,
        "MinimumHealthyPercent",
        if daemon { 0 } else { 100 },
    );
    let kept = u32::try_from((u64::from(desired) * minimum).div_ceil(100)).expect("small");
    match config["Strategy"].as_str() {
        Some("BLUE_GREEN") if !daemon => kept.min(desired),
        _ => kept,
    }
}

#[test]
fn a_container_update_keeps_min_capacity_serving_at_every_step() {
    let mut failures = Vec::new();
    for (name, template, min, max) in hosted() {
        let (_, service) = only(&template, "AWS::ECS::Service");
        for desired in min..=max {
            let serving = fewest_serving(service, desired);
            if serving < min {
                failures.push(format!(
                    "{name}: with {desired} tasks, a container update leaves {serving} serving (minCapacity {min})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Green tasks need instances beside blue ones: at the largest size, twice maxCapacity.
#[test]
fn the_group_has_room_for_every_green_task() {
    for (name, template, _, max) in hosted() {
        let (_, group) = only(&template, "AWS::AutoScaling::AutoScalingGroup");
        let max_size: u32 = group["Properties"]["MaxSize"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("MaxSize");
        assert!(
            max_size >= 2 * max,
            "{name}: MaxSize {max_size} for maxCapacity {max}"
        );
    }
}

/// The value of `value` once `Fn::If` is decided for a deployment that gives `parameter`.
fn given<'a>(template: &Value, value: &'a Value, parameter: &str) -> Option<&'a Value> {
    let Some(branches) = value["Fn::If"].as_array() else {
        return Some(value);
    };
    let condition = &template["Conditions"][branches[0].as_str().expect("a condition name")];
    // Only the one shape these templates use: "the parameter is not empty".
    let equals = &condition["Fn::Not"][0]["Fn::Equals"];
    assert_eq!(equals[0]["Ref"], parameter, "{condition}");
    assert_eq!(equals[1], "", "{condition}");
    let chosen = &branches[1];
    (chosen["Ref"] != "AWS::NoValue").then_some(chosen)
}

#[test]
fn green_tasks_are_gated_by_the_hook_before_production_traffic() {
    const GATE: &str = "GateFunctionArn";
    for (name, template, _, _) in hosted() {
        let (_, service) = only(&template, "AWS::ECS::Service");
        let config = &service["Properties"]["DeploymentConfiguration"];
        assert_eq!(config["Strategy"], "BLUE_GREEN", "{name}");
        assert_eq!(
            service["Properties"]["DeploymentController"]["Type"], "ECS",
            "{name}"
        );
        let hooks = given(&template, &config["LifecycleHooks"], GATE)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name}: no lifecycle hook when the gate is given"));
        let gate = hooks
            .iter()
            .find(|hook| {
                hook["LifecycleStages"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|stage| stage == "POST_TEST_TRAFFIC_SHIFT"))
            })
            .unwrap_or_else(|| panic!("{name}: no hook after the test traffic shift"));
        assert_eq!(gate["HookTargetArn"]["Ref"], GATE, "{name}");
        // ECS assumes the hook's role to invoke the gate, and that role may invoke only it.
        let role = resource(&template, target(&gate["RoleArn"]).expect("a role"));
        let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(trust["Principal"]["Service"], "ecs.amazonaws.com", "{name}");
        let statements = &role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(
            statements,
            &serde_json::json!([{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [{"Ref": GATE}]}]),
            "{name}"
        );
        // The gate reaches green through the test listener rule, which green gets first.
        let balancer = &service["Properties"]["LoadBalancers"][0];
        let advanced = &balancer["AdvancedConfiguration"];
        let test_rule = resource(
            &template,
            target(&advanced["TestListenerRule"]).expect("rule"),
        );
        let forwards = &test_rule["Properties"]["Actions"][0]["ForwardConfig"]["TargetGroups"];
        let groups: Vec<Option<&str>> = forwards
            .as_array()
            .expect("weighted target groups")
            .iter()
            .map(|t| target(&t["TargetGroupArn"]))
            .collect();
        assert_eq!(
            groups,
            [
                target(&balancer["TargetGroupArn"]),
                target(&advanced["AlternateTargetGroupArn"])
            ],
            "{name}"
        );
    }
}

#[test]
fn a_deployment_rolls_back_when_the_targets_fail() {
    for (name, template, _, _) in hosted() {
        let (_, service) = only(&template, "AWS::ECS::Service");
        let alarms = &service["Properties"]["DeploymentConfiguration"]["Alarms"];
        assert_eq!(
            (&alarms["Enable"], &alarms["Rollback"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "{name}"
        );
        let (load_balancer, _) = only(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        let names = alarms["AlarmNames"].as_array().expect("alarm names");
        assert!(!names.is_empty(), "{name}");
        let watches_target_errors = names.iter().any(|alarm| {
            let alarm = resource(&template, target(alarm).expect("a Ref"));
            alarm["Type"] == "AWS::CloudWatch::Alarm"
                && alarm["Properties"]["Metrics"]
                    .as_array()
                    .expect("metric math")
                    .iter()
                    .any(|query| {
                        let metric = &query["MetricStat"]["Metric"];
                        metric["MetricName"] == "HTTPCode_Target_5XX_Count"
                            && metric["Dimensions"][0]["Value"]["Fn::GetAtt"][0] == load_balancer
                    })
        });
        assert!(
            watches_target_errors,
            "{name}: no alarm on the targets' 5xx"
        );
    }
}
