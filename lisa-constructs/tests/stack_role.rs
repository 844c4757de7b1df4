//! The role CloudFormation acts with on model stacks, checked against what CloudFormation needs.
//!
//! cfn-lint ships the registry schema of every resource type; each schema's handlers list the
//! IAM actions CloudFormation calls to create, read, update and delete a resource of that type.
//! Every resource type any model stack can contain (every synthesis case: hosted, LiteLLM-only,
//! scheduled, HTTPS, stopped) must have all of them allowed by the bootstrap stack's model-stack
//! role, so a resource type added later cannot forget its rights. A custom resource has no
//! schema: CloudFormation invokes the deployment's registration function for it.
//!
//! What counts as an IAM action at all is decided by cfn-lint's own IAM catalogue (the one its
//! W3037 check reads): a schema entry it does not know could not be written into a policy that
//! passes cfn-lint, and is reported rather than required.
//!
//! The tools are found as `tests/lint.rs` finds them: `LISA_CFN_LINT`, else `.venv-cfn`; a missing
//! tool fails the test, it never skips.

mod common;

use lisa_constructs::bootstrap::{self, lifecycle, output};
use lisa_constructs::ecs_model::model_stack_prefix;
use lisa_constructs::environment::Environment;
use lisa_constructs::model::SUPPORTED_REGIONS;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const PARTITION: &str = "aws";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn cfn_lint() -> PathBuf {
    let path = std::env::var_os("LISA_CFN_LINT").map_or_else(
        || common::workspace().join(".venv-cfn/bin/cfn-lint"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "{} not found (set LISA_CFN_LINT or run ./scripts/test.sh, which installs it)",
        path.display()
    );
    path
}

/// cfn-lint's data directory, in the virtual environment its executable belongs to
/// (`<venv>/bin/cfn-lint` -> `<venv>/lib/python3.X/site-packages/cfnlint/data`).
fn cfn_lint_data() -> PathBuf {
    let executable = cfn_lint();
    let venv = executable
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| {
            panic!(
                "{} is not inside a virtual environment",
                executable.display()
            )
        });
    let lib = venv.join("lib");
    let found = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages/cfnlint/data"))
        .find(|data| data.join("schemas/providers").is_dir());
    found.unwrap_or_else(|| {
        panic!(
            "no site-packages/cfnlint/data/schemas under {}",
            lib.display()
        )
    })
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The registry schemas cfn-lint ships: `schemas/providers/<region>.json` maps a resource type
/// to a file under `schemas/resources/`.
struct Schemas {
    dir: PathBuf,
    providers: Vec<Value>,
}

impl Schemas {
    fn load(data: &Path) -> Schemas {
        let dir = data.join("schemas");
        let providers = SUPPORTED_REGIONS
            .iter()
            .map(|region| read_json(&dir.join(format!("providers/{region}.json"))))
            .collect();
        Schemas { dir, providers }
    }

    /// The actions of the create, read, update and delete handlers of `resource_type` in every
    /// supported region (CloudFormation reads a resource during updates and rollbacks, so read
    /// is needed as well); `None` when no region has a schema for it.
    fn permissions(&self, resource_type: &str) -> Option<BTreeSet<String>> {
        let files: BTreeSet<&str> = self
            .providers
            .iter()
            .filter_map(|provider| provider[resource_type].as_str())
            .collect();
        if files.is_empty() {
            return None;
        }
        let mut permissions = BTreeSet::new();
        for file in files {
            let schema = read_json(&self.dir.join(format!("resources/{file}.json")));
            assert_eq!(schema["typeName"], resource_type, "{file}");
            for handler in ["create", "read", "update", "delete"] {
                let listed = schema["handlers"][handler]["permissions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str);
                permissions.extend(listed.map(str::to_owned));
            }
        }
        Some(permissions)
    }
}

/// cfn-lint's IAM catalogue: service prefix -> lowercase action names -> resource types, and
/// each resource type's ARN formats.
struct Catalogue(Value);

impl Catalogue {
    fn load(data: &Path) -> Catalogue {
        Catalogue(read_json(&data.join("AdditionalSpecs/Policies.json")))
    }

    /// Whether `action` (which may end in a wildcard) names at least one IAM action.
    fn knows(&self, action: &str) -> bool {
        let Some((service, name)) = action.split_once(':') else {
            return false;
        };
        let Some(actions) = self.0[service]["Actions"].as_object() else {
            return false;
        };
        actions
            .keys()
            .any(|known| glob(&name.to_lowercase(), known))
    }

    /// The exact actions `action` names (itself, or those its wildcard matches), as
    /// `service:lowercase-name`.
    fn expand(&self, action: &str) -> Vec<String> {
        let (service, name) = action.split_once(':').unwrap_or((action, ""));
        self.0[service]["Actions"]
            .as_object()
            .into_iter()
            .flat_map(|actions| actions.keys())
            .filter(|known| glob(&name.to_lowercase(), known))
            .map(|known| format!("{service}:{known}"))
            .collect()
    }

    /// The resource types an exact action can be scoped to; empty when it takes only `*`.
    fn resource_types(&self, action: &str) -> Vec<String> {
        let (service, name) = action.split_once(':').unwrap_or((action, ""));
        self.0[service]["Actions"][name.to_lowercase()]["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }

    /// Whether `arn` (a resource pattern, its `*` read as a literal) has the shape of one of the
    /// ARN formats of `resource_type`.
    /// A resource type the catalogue gives no format for fits any ARN.
    fn arn_fits(&self, service: &str, resource_type: &str, arn: &str) -> bool {
        let formats: Vec<&str> = self.0[service]["Resources"][resource_type]["ARNFormats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        formats.is_empty()
            || formats
                .iter()
                .any(|format| glob(&format_pattern(format), arn))
    }
}

/// An ARN format (`arn:${Partition}:ecs:${Region}:${Account}:cluster/.*`) as a glob.
fn format_pattern(format: &str) -> String {
    let mut pattern = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        pattern.push_str(&rest[..start]);
        pattern.push('*');
        rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
    }
    pattern.push_str(rest);
    pattern.replace(".*", "*")
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        // A star in the pattern is a wildcard even where the text has a literal star.
        if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether an action pattern of a policy covers `action` (IAM action names ignore case; a
/// wildcard in `action` is read literally, so `ec2:Describe*` covers `ec2:Describe*` and
/// `ec2:*` covers it too, but `ec2:DescribeVpcs` does not).
fn covers(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_lowercase(), &action.to_lowercase())
}

/// A template value as text, with the pseudo parameters filled in; references to resources and
/// parameters are written `<Ref X>` and `<X.Attr>`.
fn resolve(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) => {
            if let Some(Value::String(template)) = map.get("Fn::Sub") {
                let mut text = template
                    .replace("${AWS::Partition}", PARTITION)
                    .replace("${AWS::Region}", REGION)
                    .replace("${AWS::AccountId}", ACCOUNT);
                while let Some(start) = text.find("${") {
                    let end = text[start..].find('}').map_or(text.len(), |e| start + e);
                    let name = text[start + 2..end].to_owned();
                    text.replace_range(start..=end.min(text.len() - 1), &format!("<{name}>"));
                }
                text
            } else if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                format!("<{}>", parts.join("."))
            } else if let Some(Value::String(name)) = map.get("Ref") {
                format!("<Ref {name}>")
            } else {
                value.to_string()
            }
        }
        other => other.to_string(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(resolve).collect(),
        Value::Null => Vec::new(),
        other => vec![resolve(other)],
    }
}

/// One statement of a permissions policy, its expressions resolved.
#[derive(Debug, Clone)]
struct Grant {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    condition: Option<Value>,
}

impl Grant {
    fn from_statement(statement: &Value) -> Grant {
        for unsupported in ["NotAction", "NotResource", "NotPrincipal"] {
            assert!(
                statement.get(unsupported).is_none(),
                "{unsupported} is not understood by this test: {statement}"
            );
        }
        Grant {
            allow: statement["Effect"] == "Allow",
            actions: strings(&statement["Action"]),
            resources: strings(&statement["Resource"]),
            condition: statement.get("Condition").cloned(),
        }
    }

    fn covers(&self, action: &str) -> bool {
        self.actions.iter().any(|pattern| covers(pattern, action))
    }
}

/// A role of a template with every statement of its inline policies and of the policy resources
/// attached to it.
struct RoleUnderTest {
    logical_id: String,
    properties: Value,
    grants: Vec<Grant>,
}

impl RoleUnderTest {
    fn new(template: &Value, logical_id: &str) -> RoleUnderTest {
        let resources = template["Resources"].as_object().expect("resources");
        let role = resources
            .get(logical_id)
            .unwrap_or_else(|| panic!("no resource {logical_id}"));
        assert_eq!(role["Type"], "AWS::IAM::Role", "{logical_id}");
        let properties = role["Properties"].clone();
        assert!(
            properties.get("ManagedPolicyArns").is_none(),
            "{logical_id}: managed policies cannot be read by this test; write the statements inline"
        );
        let mut documents: Vec<&Value> = properties["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|policy| &policy["PolicyDocument"])
            .collect();
        let reference = serde_json::json!({"Ref": logical_id});
        for resource in resources.values() {
            let attached = match resource["Type"].as_str() {
                Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") => {
                    resource["Properties"]["Roles"]
                        .as_array()
                        .is_some_and(|roles| roles.contains(&reference))
                }
                Some("AWS::IAM::RolePolicy") => resource["Properties"]["RoleName"] == reference,
                _ => false,
            };
            if attached {
                documents.push(&resource["Properties"]["PolicyDocument"]);
            }
        }
        let grants = documents
            .into_iter()
            .flat_map(|document| document["Statement"].as_array().into_iter().flatten())
            .map(Grant::from_statement)
            .collect();
        RoleUnderTest {
            logical_id: logical_id.to_owned(),
            properties,
            grants,
        }
    }

    /// Whether some statement allows `action` (on some resource) and no unconditional deny on
    /// every resource takes it away.
    fn allows(&self, action: &str) -> bool {
        let denied = self.grants.iter().any(|g| {
            !g.allow
                && g.condition.is_none()
                && g.resources.iter().any(|r| r == "*")
                && g.covers(action)
        });
        !denied && self.grants.iter().any(|g| g.allow && g.covers(action))
    }

    /// Whether some statement allows `action` on a resource pattern matching `arn`.
    fn allows_on(&self, action: &str, arn: &str) -> bool {
        self.grants.iter().any(|g| {
            g.allow && g.covers(action) && g.resources.iter().any(|pattern| glob(pattern, arn))
        })
    }
}

fn environment() -> Environment {
    let path = common::workspace().join("examples/environments/environment.json");
    Environment::from_json_str(&std::fs::read_to_string(path).expect("example")).expect("valid")
}

fn bootstrap_template(environment: &Environment) -> Value {
    bootstrap::synthesize(environment)
        .expect("synthesizes")
        .template
        .to_json()
        .expect("renders")
}

/// The logical id of the resource an output's value is the `Arn` of.
fn arn_output_resource(template: &Value, output_name: &str) -> String {
    let value = &template["Outputs"][output_name]["Value"];
    let parts = value["Fn::GetAtt"].as_array().unwrap_or_else(|| {
        panic!("the bootstrap stack has no output {output_name} naming a role's Arn: {value}")
    });
    assert_eq!(parts.get(1), Some(&Value::from("Arn")), "{value}");
    parts[0].as_str().expect("logical id").to_owned()
}

/// The model-stack role of the example environment's bootstrap stack.
fn model_stack_role(template: &Value) -> RoleUnderTest {
    RoleUnderTest::new(
        template,
        &arn_output_resource(template, output::MODEL_STACK_ROLE_ARN),
    )
}

/// The lifecycle function's role.
fn lifecycle_role(template: &Value) -> RoleUnderTest {
    let function = template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .find(|r| {
            r["Type"] == "AWS::Lambda::Function"
                && r["Properties"]["FunctionName"]
                    == lifecycle::function_name(&environment().deployment_name)
        })
        .expect("the lifecycle function");
    let role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .expect("a role of the template");
    RoleUnderTest::new(template, role)
}

/// Every resource type of every synthesis case.
fn model_stack_resource_types() -> BTreeSet<String> {
    let mut types = BTreeSet::new();
    for case in common::cases() {
        let template = common::template_json(&case);
        for resource in template["Resources"]
            .as_object()
            .expect("resources")
            .values()
        {
            types.insert(resource["Type"].as_str().expect("type").to_owned());
        }
    }
    types
}

#[test]
fn the_action_matcher_reads_iam_wildcards() {
    assert!(covers("ec2:Describe*", "ec2:DescribeVpcs"));
    assert!(covers("ec2:Describe*", "EC2:describeVPCs"));
    assert!(covers("ec2:Describe*", "ec2:Describe*"));
    assert!(covers("ec2:*", "ec2:Get*"));
    assert!(covers("*", "ecs:UpdateService"));
    assert!(covers("ecs:*Service", "ecs:UpdateService"));
    assert!(covers("ecs:Update?ervice", "ecs:UpdateService"));
    assert!(!covers("ec2:DescribeVpcs", "ec2:Describe*"));
    assert!(!covers("ec2:Describe*", "ec2:Get*"));
    assert!(!covers("ecs:Describe*", "ec2:DescribeVpcs"));
    assert!(!covers(
        "ecs:UpdateService",
        "ecs:UpdateServicePrimaryTaskSet"
    ));
    assert!(!covers(
        "autoscaling:*",
        "application-autoscaling:PutScalingPolicy"
    ));
    assert!(glob(
        "arn:aws:iam::1:role/lisa--*",
        "arn:aws:iam::1:role/lisa--m-TaskRole-X"
    ));
    assert!(!glob(
        "arn:aws:iam::1:role/lisa--*",
        "arn:aws:iam::1:role/lisa-prod--m"
    ));
    assert!(glob(
        "arn:*:scheduler:*:*:schedule/*",
        "arn:aws:scheduler:r:1:schedule/*/lisa--*"
    ));
    assert!(!glob("ec2:Describe*s", "ec2:Describe*"));
    assert_eq!(
        format_pattern("arn:${Partition}:ecs:${Region}:${Account}:cluster/.*"),
        "arn:*:ecs:*:*:cluster/*"
    );
}

#[test]
fn the_model_stack_role_allows_every_permission_of_every_model_stack_resource_type() {
    let data = cfn_lint_data();
    let schemas = Schemas::load(&data);
    let catalogue = Catalogue::load(&data);
    let environment = environment();
    let template = bootstrap_template(&environment);
    let role = model_stack_role(&template);
    let types = model_stack_resource_types();
    let registrar = format!(
        "arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{}",
        bootstrap::function_name(&environment.deployment_name)
    );

    let mut required: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut not_iam_actions: BTreeSet<String> = BTreeSet::new();
    let mut missing: Vec<String> = Vec::new();
    for resource_type in &types {
        if resource_type.starts_with("Custom::") {
            if !role.allows_on("lambda:InvokeFunction", &registrar) {
                missing.push(format!(
                    "{resource_type}: lambda:InvokeFunction on {registrar}"
                ));
            }
            required
                .entry("lambda:InvokeFunction".to_owned())
                .or_default()
                .insert(resource_type.clone());
            continue;
        }
        let permissions = schemas
            .permissions(resource_type)
            .unwrap_or_else(|| panic!("cfn-lint has no schema for {resource_type}"));
        for permission in permissions {
            if !catalogue.knows(&permission) {
                not_iam_actions.insert(format!("{permission} ({resource_type})"));
                continue;
            }
            if !role.allows(&permission) {
                missing.push(format!("{resource_type}: {permission}"));
            }
            required
                .entry(permission)
                .or_default()
                .insert(resource_type.clone());
        }
    }
    println!("resource types of model stacks ({}):", types.len());
    for resource_type in &types {
        println!("  {resource_type}");
    }
    println!(
        "permissions required and checked: {} distinct actions",
        required.len()
    );
    println!(
        "schema entries that are no IAM action in cfn-lint's catalogue ({}): {}",
        not_iam_actions.len(),
        not_iam_actions.into_iter().collect::<Vec<_>>().join(", ")
    );
    assert!(
        missing.is_empty(),
        "the role {} lacks {} permission(s):\n  {}",
        role.logical_id,
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn the_model_stack_role_is_assumed_by_cloudformation_only() {
    let template = bootstrap_template(&environment());
    let role = model_stack_role(&template);
    let trust = &role.properties["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(
        trust,
        &serde_json::json!([{
            "Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
        }])
    );
    // No condition-free rights on everything but reads.
    for grant in role
        .grants
        .iter()
        .filter(|g| g.allow && g.condition.is_none())
    {
        if grant.resources.iter().any(|r| r == "*") {
            for action in &grant.actions {
                assert_ne!(action, "*", "{grant:?}");
                assert!(!action.ends_with(":*"), "{grant:?}");
            }
        }
    }
}

/// The services a role of a model stack may be passed to.
fn passed_to(grant: &Grant) -> Vec<String> {
    let condition = grant.condition.as_ref().expect("PassRole is conditional");
    strings(&condition["StringEquals"]["iam:PassedToService"])
}

/// The services the roles of every synthesis case may be assumed by.
fn model_stack_role_principals() -> BTreeSet<String> {
    let mut services = BTreeSet::new();
    for case in common::cases() {
        let template = common::template_json(&case);
        for resource in template["Resources"]
            .as_object()
            .expect("resources")
            .values()
        {
            if resource["Type"] != "AWS::IAM::Role" {
                continue;
            }
            let trust = &resource["Properties"]["AssumeRolePolicyDocument"]["Statement"];
            for statement in trust.as_array().into_iter().flatten() {
                services.extend(strings(&statement["Principal"]["Service"]));
            }
        }
    }
    services
}

#[test]
fn the_model_stack_role_passes_only_this_deployment_s_roles_to_the_services_that_take_them() {
    let environment = environment();
    let template = bootstrap_template(&environment);
    let role = model_stack_role(&template);
    let prefix = model_stack_prefix(&environment.deployment_name);
    let stack_roles = format!("arn:{PARTITION}:iam::{ACCOUNT}:role/{prefix}*");
    let passes: Vec<&Grant> = role
        .grants
        .iter()
        .filter(|g| g.allow && g.covers("iam:PassRole"))
        .collect();
    assert!(!passes.is_empty());
    for grant in &passes {
        assert!(
            grant.actions.iter().all(|a| a == "iam:PassRole"),
            "PassRole stands alone: {grant:?}"
        );
        let services: BTreeSet<String> = passed_to(grant).into_iter().collect();
        if grant.resources == [stack_roles.clone()] {
            // Exactly the services the model stacks' roles trust: an instance role goes to EC2
            // (through its instance profile), task and execution roles to ECS tasks, and so on.
            assert_eq!(services, model_stack_role_principals());
        } else {
            // The bootstrap stack's own role for model schedules.
            assert_eq!(grant.resources, ["<SchedulerRole.Arn>"], "{grant:?}");
            assert_eq!(
                services,
                BTreeSet::from(["scheduler.amazonaws.com".to_owned()])
            );
        }
    }
}

/// The name a model stack of `deployment` gives a resource: its explicit name with the stack's
/// name filled in (capacity providers, task definition families), or the name CloudFormation
/// generates from the stack's name and the logical id.
fn physical_name(resource: &Value, logical_id: &str, stack_name: &str) -> String {
    let explicit = ["Name", "Family"]
        .iter()
        .find_map(|property| resource["Properties"].get(*property));
    match explicit {
        Some(name) => resolve(name).replace("<AWS::StackName>", stack_name),
        None => format!("{stack_name}-{logical_id}-1A2B3C4D5E6F"),
    }
}

/// The ARNs of the resources the roles scope by name, for the hosted, scheduled model stack of
/// `deployment`, by resource type (and the stack itself).
fn model_stack_arns(deployment: &str) -> BTreeMap<&'static str, String> {
    let options = lisa_constructs::ecs_model::StackOptions {
        deployment_name: deployment.to_owned(),
        ..common::case("vllm-nightly-schedule").options
    };
    let synthesized = lisa_constructs::ecs_model::synthesize(
        &common::definition(common::case("vllm-nightly-schedule").file),
        &options,
    )
    .expect("synthesizes");
    let stack = synthesized.name.as_str().to_owned();
    let template = synthesized.template.to_json().expect("renders");
    let name_of = |resource_type: &str| {
        let (logical_id, resource) = template["Resources"]
            .as_object()
            .expect("resources")
            .iter()
            .find(|(_, r)| r["Type"] == resource_type)
            .unwrap_or_else(|| panic!("no {resource_type}"));
        physical_name(resource, logical_id, &stack)
    };
    let p = format!("arn:{PARTITION}");
    let r = format!("{REGION}:{ACCOUNT}");
    let cluster = name_of("AWS::ECS::Cluster");
    let mut arns = BTreeMap::from([
        (
            "AWS::CloudFormation::Stack",
            format!("{p}:cloudformation:{r}:stack/{stack}/0f1e2d3c-aaaa-bbbb-cccc-000011112222"),
        ),
        (
            "AWS::IAM::Role",
            format!("{p}:iam::{ACCOUNT}:role/{}", name_of("AWS::IAM::Role")),
        ),
        (
            "AWS::IAM::InstanceProfile",
            format!(
                "{p}:iam::{ACCOUNT}:instance-profile/{}",
                name_of("AWS::IAM::InstanceProfile")
            ),
        ),
        (
            "AWS::AutoScaling::AutoScalingGroup",
            format!(
                "{p}:autoscaling:{r}:autoScalingGroup:1a2b3c4d-1111-2222-3333-444455556666:autoScalingGroupName/{}",
                name_of("AWS::AutoScaling::AutoScalingGroup")
            ),
        ),
        (
            "AWS::ECS::Cluster",
            format!("{p}:ecs:{r}:cluster/{cluster}"),
        ),
        (
            "AWS::ECS::Service",
            format!(
                "{p}:ecs:{r}:service/{cluster}/{}",
                name_of("AWS::ECS::Service")
            ),
        ),
        (
            "AWS::ECS::CapacityProvider",
            format!(
                "{p}:ecs:{r}:capacity-provider/{}",
                name_of("AWS::ECS::CapacityProvider")
            ),
        ),
        (
            "AWS::ECS::TaskDefinition",
            format!(
                "{p}:ecs:{r}:task-definition/{}:3",
                name_of("AWS::ECS::TaskDefinition")
            ),
        ),
        (
            "AWS::Logs::LogGroup",
            format!(
                "{p}:logs:{r}:log-group:{}:*",
                name_of("AWS::Logs::LogGroup")
            ),
        ),
        (
            "AWS::Scheduler::Schedule",
            format!(
                "{p}:scheduler:{r}:schedule/default/{}",
                name_of("AWS::Scheduler::Schedule")
            ),
        ),
    ]);
    let has = |resource_type: &str| {
        template["Resources"]
            .as_object()
            .expect("resources")
            .values()
            .any(|r| r["Type"] == resource_type)
    };
    if has("AWS::CloudWatch::Alarm") {
        arns.insert(
            "AWS::CloudWatch::Alarm",
            format!(
                "{p}:cloudwatch:{r}:alarm:{}",
                name_of("AWS::CloudWatch::Alarm")
            ),
        );
    }
    arns
}

#[test]
fn no_resource_pattern_reaches_another_deployment() {
    let environment = environment();
    let deployment = &environment.deployment_name;
    let template = bootstrap_template(&environment);
    // Deployments whose names start with this one's (`lisa-prod` or `lisaprod` beside `lisa`,
    // whichever deployment names may be).
    let neighbours: Vec<String> = [format!("{deployment}-prod"), format!("{deployment}prod")]
        .into_iter()
        .filter(|name| {
            lisa_constructs::ecs_model::StackOptions {
                deployment_name: name.clone(),
                ..lisa_constructs::ecs_model::StackOptions::default()
            }
            .check()
            .is_ok()
        })
        .collect();
    assert!(!neighbours.is_empty());
    let own = model_stack_arns(deployment);
    let theirs: Vec<String> = neighbours
        .iter()
        .flat_map(|neighbour| model_stack_arns(neighbour).into_values())
        .collect();
    for role in [model_stack_role(&template), lifecycle_role(&template)] {
        let named: Vec<&String> = role
            .grants
            .iter()
            .filter(|g| g.allow)
            .flat_map(|g| &g.resources)
            .filter(|pattern| pattern.contains(deployment.as_str()))
            .collect();
        assert!(!named.is_empty(), "{}", role.logical_id);
        for pattern in &named {
            for arn in &theirs {
                assert!(
                    !glob(pattern, arn),
                    "{}: {pattern} reaches {arn}",
                    role.logical_id
                );
            }
        }
    }
    // The patterns do reach this deployment's own resources, or the check above proves nothing:
    // the lifecycle function its stacks, CloudFormation everything in them.
    let lifecycle = lifecycle_role(&template);
    let role = model_stack_role(&template);
    for (resource_type, arn) in &own {
        let (holder, scoped) = if *resource_type == "AWS::CloudFormation::Stack" {
            (&lifecycle, "cloudformation:CreateChangeSet")
        } else {
            (&role, "")
        };
        let reached = holder.grants.iter().filter(|g| g.allow).any(|g| {
            (scoped.is_empty() || g.covers(scoped))
                && g.resources.iter().any(|p| p != "*" && glob(p, arn))
        });
        assert!(reached, "{}: no pattern names {arn}", holder.logical_id);
    }
}

#[test]
fn every_scoped_action_can_be_scoped_to_what_it_names() {
    // An action IAM authorizes only on `*` is denied when a statement names resources: the
    // stack would fail on AWS with nothing here to show it.
    let data = cfn_lint_data();
    let catalogue = Catalogue::load(&data);
    let template = bootstrap_template(&environment());
    for role in [model_stack_role(&template), lifecycle_role(&template)] {
        for grant in role.grants.iter().filter(|g| g.allow) {
            if grant.resources.iter().any(|r| r == "*") {
                continue;
            }
            for action in &grant.actions {
                assert!(
                    catalogue.knows(action),
                    "{}: unknown {action}",
                    role.logical_id
                );
                // A wildcard names several actions: at least one must take one of the
                // statement's resources (the others may be there for other actions).
                let expanded = catalogue.expand(action);
                let service = action.split_once(':').map_or("", |(s, _)| s);
                let named: Vec<&String> = grant
                    .resources
                    .iter()
                    .filter(|r| !r.starts_with('<'))
                    .collect();
                if named.is_empty() {
                    continue;
                }
                let fits = expanded.iter().any(|exact| {
                    catalogue.resource_types(exact).iter().any(|t| {
                        named
                            .iter()
                            .any(|resource| catalogue.arn_fits(service, t, resource))
                    })
                });
                assert!(
                    fits,
                    "{}: {action} cannot be scoped to {named:?} (resource types: {:?})",
                    role.logical_id,
                    expanded
                        .iter()
                        .map(|exact| catalogue.resource_types(exact))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn the_model_stack_role_s_policies_fit_iam_s_size_limits() {
    // IAM allows a role 10,240 characters of inline policy and a managed policy 6,144,
    // whitespace not counted. Measured with the longest deployment name, whose patterns are the
    // longest.
    let environment = Environment {
        deployment_name: "d".repeat(lisa_constructs::ecs_model::MAX_DEPLOYMENT_NAME_LEN),
        ..environment()
    };
    let template = bootstrap_template(&environment);
    let role = model_stack_role(&template);
    let size = |document: &Value| {
        resolve_all(document)
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    };
    let inline: usize = role.properties["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|policy| size(&policy["PolicyDocument"]))
        .sum();
    println!("inline policies: {inline} of 10240 characters");
    assert!(inline <= 10_240, "{inline} characters");
    let reference = serde_json::json!({"Ref": role.logical_id});
    let mut managed = 0;
    for (logical_id, resource) in template["Resources"].as_object().expect("resources") {
        let attached = resource["Type"] == "AWS::IAM::ManagedPolicy"
            && resource["Properties"]["Roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&reference));
        if attached {
            managed += 1;
            let length = size(&resource["Properties"]["PolicyDocument"]);
            println!("managed policy {logical_id}: {length} of 6144 characters");
            assert!(length <= 6_144, "{logical_id}: {length} characters");
        }
    }
    // A role takes 10 managed policies unless the account's quota was raised.
    assert!(managed <= 10, "{managed} managed policies");
}

/// Every expression in a value resolved to text (ARNs at their deployed length).
fn resolve_all(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(resolve_all).collect()),
        Value::Object(map)
            if map.len() == 1
                && (map.contains_key("Fn::Sub")
                    || map.contains_key("Fn::GetAtt")
                    || map.contains_key("Ref")) =>
        {
            let text = resolve(value)
                .replace(
                    "<SchedulerRole.Arn>",
                    &format!("arn:aws:iam::{ACCOUNT}:role/{}", "r".repeat(64)),
                )
                .replace("<Ref AWS::NoValue>", "");
            Value::String(text)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_all(v)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// The ARNs of the bootstrap stack and of the resources CloudFormation names after it.
fn bootstrap_arns(environment: &Environment, template: &Value) -> Vec<String> {
    let stack = bootstrap::stack_name(&environment.deployment_name)
        .expect("a stack name")
        .as_str()
        .to_owned();
    let mut arns = vec![format!(
        "arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/0f1e2d3c-aaaa-bbbb-cccc-000011112222"
    )];
    for (logical_id, resource) in template["Resources"].as_object().expect("resources") {
        let name = physical_name(resource, logical_id, &stack);
        match resource["Type"].as_str() {
            Some("AWS::IAM::Role") => {
                arns.push(format!("arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"))
            }
            Some("AWS::Logs::LogGroup") => arns.push(format!(
                "arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
            )),
            _ => {}
        }
    }
    arns
}

/// Whether an action only reads (IAM's Describe, Get and List actions).
fn reads(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, name)| name);
    ["Describe", "Get", "List"]
        .iter()
        .any(|verb| name.starts_with(verb))
}

#[test]
fn neither_role_changes_the_bootstrap_stack() {
    // The bootstrap stack holds both roles: a pattern reaching it would let a model stack's
    // change rewrite the rights it is made with.
    let environment = environment();
    let template = bootstrap_template(&environment);
    let arns = bootstrap_arns(&environment, &template);
    assert!(arns.len() > 4, "{arns:?}");
    for role in [model_stack_role(&template), lifecycle_role(&template)] {
        for arn in &arns {
            for grant in role
                .grants
                .iter()
                .filter(|g| g.allow && g.resources.iter().any(|p| p != "*" && glob(p, arn)))
            {
                for action in grant.actions.iter().filter(|a| !reads(a)) {
                    let denied = role.grants.iter().any(|g| {
                        !g.allow
                            && g.condition.is_none()
                            && g.covers(action)
                            && g.resources.iter().any(|p| glob(p, arn))
                    });
                    assert!(denied, "{} may {action} on {arn}", role.logical_id);
                }
            }
        }
    }
    // The lifecycle function reads its environment from the bootstrap stack's outputs.
    let lifecycle = lifecycle_role(&template);
    assert!(
        lifecycle.allows_on("cloudformation:DescribeStacks", &arns[0]),
        "{}",
        arns[0]
    );
}
