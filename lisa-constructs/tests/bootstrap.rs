//! The bootstrap stack: snapshot, the properties the registry and the function must have,
//! outputs read back into the environment, and real cfn-lint and checkov runs.

mod common;

use lisa_constructs::bootstrap::{self, BootstrapOutputs, CODE_KEY_PARAMETER};
use lisa_constructs::ecs_model::registration::function;
use lisa_constructs::environment::Environment;
use serde_json::{Value, json};
use std::process::Command;

fn environment() -> Environment {
    let path = common::workspace().join("examples/environments/environment.json");
    Environment::from_json_str(&std::fs::read_to_string(path).expect("example")).expect("valid")
}

fn with_own_network() -> Environment {
    Environment {
        registration_subnet_ids: Some(vec!["subnet-0123456789abcdef0".into()]),
        registration_security_group_ids: Some(vec!["sg-0123456789abcdef0".into()]),
        certificate_arn: Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into()),
        litellm_endpoint: "http://10.0.0.5:4000".into(),
        ..environment()
    }
}

fn cases() -> Vec<(&'static str, Environment)> {
    vec![
        ("bootstrap-example", environment()),
        ("bootstrap-own-network", with_own_network()),
    ]
}

fn text(environment: &Environment) -> String {
    bootstrap::synthesize(environment)
        .expect("synthesizes")
        .template
        .to_json_string()
        .expect("renders")
}

fn json_of(environment: &Environment) -> Value {
    serde_json::from_str(&text(environment)).expect("json")
}

fn of_type<'a>(template: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["Type"] == resource_type)
        .collect()
}

#[test]
fn every_case_matches_its_snapshot_and_is_deterministic() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(common::workspace().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (name, environment) in cases() {
            assert_eq!(text(&environment), text(&environment));
            insta::assert_snapshot!(name, text(&environment));
        }
    });
}

#[test]
fn the_registry_is_on_demand_encrypted_recoverable_and_kept() {
    let template = json_of(&environment());
    let tables = of_type(&template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1);
    let table = tables[0];
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(properties["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(
        properties["KeySchema"][0]["AttributeName"],
        bootstrap::REGISTRY_KEY
    );
}

#[test]
fn the_function_runs_rust_from_the_bucket_and_may_read_only_its_secret() {
    let environment = environment();
    let template = json_of(&environment);
    let function = resource(&template, "Registrar");
    assert_eq!(function["Condition"], "HasRegistrarCode");
    let properties = &function["Properties"];
    assert_eq!(properties["Runtime"], "provided.al2023");
    assert_eq!(properties["Code"]["S3Bucket"], json!({"Ref": "Artifacts"}));
    assert_eq!(
        properties["Code"]["S3Key"],
        json!({"Ref": CODE_KEY_PARAMETER})
    );
    assert_eq!(
        properties["VpcConfig"]["SubnetIds"],
        json!(environment.subnet_ids)
    );
    // What the function trusts is its own configuration, never a request's.
    assert_eq!(
        properties["Environment"]["Variables"],
        json!({
            (function::ENV_DEPLOYMENT_NAME): environment.deployment_name,
            (function::ENV_LITELLM_ENDPOINT): environment.litellm_endpoint,
            (function::ENV_MASTER_KEY_SECRET_ARN): environment.litellm_master_key_secret_arn,
        })
    );
    let role = resource(&template, "RegistrarRole");
    let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    let secret_readers: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"].to_string().contains("secretsmanager"))
        .collect();
    assert_eq!(secret_readers.len(), 1);
    assert_eq!(
        secret_readers[0]["Resource"],
        json!([environment.litellm_master_key_secret_arn])
    );
    assert_eq!(
        secret_readers[0]["Action"],
        json!(["secretsmanager:GetSecretValue"])
    );
    assert!(
        statements
            .iter()
            .all(|s| s["Resource"] != json!(["*"]) || !s["Action"].to_string().contains("secret")),
    );
}

#[test]
fn the_registration_function_s_own_network_is_used_when_given() {
    let environment = with_own_network();
    let template = json_of(&environment);
    assert!(
        template["Resources"]
            .get("RegistrarSecurityGroup")
            .is_none()
    );
    let function = resource(&template, "Registrar");
    assert_eq!(
        function["Properties"]["VpcConfig"],
        json!({"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]})
    );
    let default = json_of(&self::environment());
    let group = resource(&default, "RegistrarSecurityGroup");
    assert_eq!(
        group["Properties"]["SecurityGroupEgress"][0]["FromPort"],
        443
    );
}

/// The gate runs the registration code in the models' subnets, may open connections to the
/// test listeners' ports only, and holds no right beyond its VPC attachment and its logs (its
/// role can read no secret and call no AWS API).
#[test]
fn the_gate_runs_the_registration_code_in_the_models_subnets_and_reaches_only_test_listeners() {
    for (name, environment) in cases() {
        let template = json_of(&environment);
        let gate = resource(&template, "Gate");
        assert_eq!(gate["Condition"], "HasRegistrarCode", "{name}");
        let registrar = resource(&template, "Registrar");
        assert_eq!(gate["Properties"]["Code"], registrar["Properties"]["Code"]);
        assert_eq!(
            gate["Properties"]["VpcConfig"],
            json!({
                "SubnetIds": environment.subnet_ids,
                "SecurityGroupIds": [{"Fn::GetAtt": ["GateSecurityGroup", "GroupId"]}],
            }),
            "{name}"
        );
        assert!(gate["Properties"].get("Environment").is_none(), "{name}");
        let egress = resource(&template, "GateSecurityGroup")["Properties"]["SecurityGroupEgress"]
            .as_array()
            .expect("egress");
        let ports: Vec<(&Value, &Value)> = egress
            .iter()
            .map(|rule| (&rule["FromPort"], &rule["ToPort"]))
            .collect();
        assert_eq!(
            ports,
            [(&json!(9080), &json!(9080)), (&json!(9443), &json!(9443))],
            "{name}"
        );
        let role = resource(&template, "GateRole");
        let granted: Vec<&str> = statements(role).into_iter().flat_map(actions).collect();
        assert_eq!(
            granted,
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            "{name}"
        );
        assert_eq!(
            role["Properties"]["ManagedPolicyArns"],
            json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}]),
            "{name}"
        );
    }
}

/// The outputs, as CloudFormation would report them once every expression is resolved.
fn resolved_outputs(template: &Value) -> Vec<(String, String)> {
    template["Outputs"]
        .as_object()
        .expect("outputs")
        .iter()
        .map(|(name, output)| {
            let value = match &output["Value"] {
                Value::String(s) => s.clone(),
                other => format!("resolved {other}"),
            };
            (name.clone(), value)
        })
        .collect()
}

#[test]
fn the_outputs_read_back_into_the_environment() {
    for (name, environment) in cases() {
        let outputs = resolved_outputs(&json_of(&environment));
        let read =
            BootstrapOutputs::from_outputs(outputs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = Environment {
            registration_subnet_ids: None,
            registration_security_group_ids: None,
            ..environment
        };
        assert_eq!(read.environment, expected, "{name}");
        assert!(read.registration_function_arn.is_some());
        assert_eq!(
            read.gate_function_arn.as_deref(),
            Some(r#"resolved {"Fn::GetAtt":["Gate","Arn"]}"#),
            "{name}"
        );
        assert_eq!(
            read.gate_security_group_id.as_deref(),
            Some(r#"resolved {"Fn::GetAtt":["GateSecurityGroup","GroupId"]}"#),
            "{name}"
        );
        assert_eq!(
            read.model_stack_role_arn.as_deref(),
            Some(r#"resolved {"Fn::GetAtt":["ModelStackRole","Arn"]}"#),
            "{name}"
        );
    }
    let error = BootstrapOutputs::from_outputs([("VpcId", "vpc-1")]).expect_err("incomplete");
    assert!(error.to_string().contains("has no output"));
}

fn tool(variable: &str, default: &str) -> std::path::PathBuf {
    let path = std::env::var_os(variable).map_or_else(
        || common::workspace().join(default),
        std::path::PathBuf::from,
    );
    assert!(
        path.exists(),
        "{} not found (set {variable})",
        path.display()
    );
    path
}

fn write_all() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, environment) in cases() {
        std::fs::write(dir.path().join(format!("{name}.json")), text(&environment)).expect("write");
    }
    dir
}

#[test]
fn cfn_lint_finds_nothing_in_strict_mode() {
    let dir = write_all();
    let output = Command::new(tool("LISA_CFN_LINT", ".venv-cfn/bin/cfn-lint"))
        .args([
            "--format",
            "parseable",
            "-x",
            "E3012:strict=true",
            "--regions",
            "us-east-1",
            "--",
        ])
        .args(
            cases()
                .iter()
                .map(|(name, _)| dir.path().join(format!("{name}.json"))),
        )
        .output()
        .expect("runs cfn-lint");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && text.trim().is_empty(), "{text}");
}

#[test]
fn checkov_passes_with_only_justified_skips() {
    let dir = write_all();
    let output = Command::new(tool("LISA_CHECKOV", ".venv-checkov/bin/checkov"))
        .arg("-d")
        .arg(dir.path())
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .output()
        .expect("runs checkov");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
}

fn resource<'a>(template: &'a Value, logical_id: &str) -> &'a Value {
    &template["Resources"][logical_id]
}

fn statements(role: &Value) -> Vec<&Value> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|policy| {
            policy["PolicyDocument"]["Statement"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .collect()
}

fn actions(statement: &Value) -> Vec<&str> {
    statement["Action"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn the_lifecycle_function_acts_on_stacks_only_through_the_model_stack_role() {
    let template = json_of(&environment());
    let function_role = resource(&template, "Lifecycle")["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .expect("role")
        .to_owned();
    let role = resource(&template, &function_role);
    let model_stack_role = json!({"Fn::GetAtt": [
        bootstrap::stack_role::LOGICAL_ID, "Arn"
    ]});
    assert_eq!(
        template["Outputs"][bootstrap::output::MODEL_STACK_ROLE_ARN]["Value"],
        model_stack_role
    );
    let statements = statements(role);
    // What a stop or start changes inside a model stack is CloudFormation's to do.
    for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
        for action in actions(statement) {
            let service = action.split(':').next().unwrap_or_default();
            assert!(
                ["cloudformation", "dynamodb", "s3", "logs", "iam", "ecs"].contains(&service),
                "the lifecycle role keeps {action}"
            );
            assert!(!action.contains('*'), "the lifecycle role keeps {action}");
        }
        if actions(statement).iter().any(|a| a.starts_with("ecs:")) {
            // Reads of the model's tasks, for a failed start's reason.
            assert_eq!(actions(statement), ["ecs:ListTasks", "ecs:DescribeTasks"]);
            assert!(statement["Condition"]["ArnLike"]["ecs:cluster"].is_object());
        }
    }
    let passes: Vec<&&Value> = statements
        .iter()
        .filter(|s| actions(s).contains(&"iam:PassRole"))
        .collect();
    assert_eq!(passes.len(), 1);
    assert_eq!(passes[0]["Resource"], json!([model_stack_role]));
    assert_eq!(
        passes[0]["Condition"],
        json!({"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}})
    );
    let creates: Vec<&&Value> = statements
        .iter()
        .filter(|s| {
            s["Effect"] == "Allow" && actions(s).contains(&"cloudformation:CreateChangeSet")
        })
        .collect();
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0]["Condition"],
        json!({"ArnEquals": {"cloudformation:RoleArn": model_stack_role}})
    );
    assert_eq!(actions(creates[0]), ["cloudformation:CreateChangeSet"]);
    // The bootstrap stack may start with the model stacks' prefix: changing it is denied.
    let denied: Vec<&&Value> = statements
        .iter()
        .filter(|s| s["Effect"] == "Deny")
        .collect();
    assert_eq!(denied.len(), 1);
    let bootstrap_stack = format!(
        ":stack/{}/*",
        bootstrap::stack_name(&environment().deployment_name)
            .expect("name")
            .as_str()
    );
    assert!(
        denied[0]["Resource"][0]["Fn::Sub"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(&bootstrap_stack))
    );
    for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
        for action in actions(statement) {
            if action.starts_with("cloudformation:") && !action.contains(":Describe") {
                assert!(actions(denied[0]).contains(&action), "{action}");
            }
        }
    }
}

#[test]
fn the_lifecycle_function_drops_stale_events_and_retries_within_their_age() {
    use bootstrap::lifecycle::MAX_RETRY_ATTEMPTS;
    use lisa_constructs::model::schedule::due::MAX_EVENT_AGE_SECONDS;
    let template = json_of(&environment());
    let configs = of_type(&template, "AWS::Lambda::EventInvokeConfig");
    assert_eq!(configs.len(), 1);
    let config = configs[0];
    assert_eq!(config["Condition"], "HasLifecycleCode");
    // Lambda keeps an event as long as the function would still obey it.
    assert_eq!(
        config["Properties"],
        json!({
            "FunctionName": {"Ref": "Lifecycle"},
            "Qualifier": "$LATEST",
            "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
            "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
        })
    );
    // Lambda's bounds, and Lambda's own waits before its retries (about one minute, then two)
    // inside the age a transition may have.
    const { assert!(MAX_EVENT_AGE_SECONDS >= 60 && MAX_EVENT_AGE_SECONDS <= 21_600) };
    const { assert!(MAX_RETRY_ATTEMPTS <= 2) };
    let waits: u32 = [60, 120].iter().take(MAX_RETRY_ATTEMPTS as usize).sum();
    assert!(waits < MAX_EVENT_AGE_SECONDS);
    // The schedules give their own delivery no more time than that.
    const {
        assert!(
            lisa_constructs::ecs_model::schedule::MAXIMUM_EVENT_AGE_SECONDS
                <= MAX_EVENT_AGE_SECONDS
        )
    };
}
