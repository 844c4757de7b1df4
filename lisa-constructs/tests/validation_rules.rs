//! Every rule of the create payload (domain §3), one table row per rule: each row starts from a
//! valid seed, breaks only that rule, and states the exact error paths and a key part of each
//! message. Rows with no expected errors pin the accepted side of a bound. Every row also holds
//! the JSON Schema to the validator's verdict (`schema_disagreement`).

mod model_payloads;

use lisa_constructs::model::{DefinitionError, ModelDefinition};
use model_payloads::{
    Edit, Kind, edited, errors_of, mismatch, model, remove, schema_disagreement, set,
};
use serde_json::{Value, json};

const MISTRAL: &str = "mistral-vllm";
const TITAN: &str = "titan-express-v1";

/// One rule: a named edit of a seed and the errors it must produce (none: accepted).
#[derive(Clone)]
struct Row {
    name: String,
    seed: &'static str,
    edits: Vec<Edit>,
    expected: Vec<(String, String)>,
}

/// A row that edits the seed mistral-vllm payload.
fn row(name: impl Into<String>, edits: Vec<Edit>) -> Row {
    Row {
        name: name.into(),
        seed: MISTRAL,
        edits,
        expected: Vec::new(),
    }
}

impl Row {
    fn on(mut self, seed: &'static str) -> Self {
        self.seed = seed;
        self
    }

    /// Expects an error at `path` whose message contains `fragment`.
    fn rejects(mut self, path: impl Into<String>, fragment: impl Into<String>) -> Self {
        self.expected.push((path.into(), fragment.into()));
        self
    }
}

/// The JSON path of a pointer into a payload: `/a/b` is `a.b`.
fn path_of(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The rows of a whole-number range at `pointer`: both ends accepted, one past each end
/// rejected with the range in the message (`high: None` for no upper end).
fn range(pointer: &str, low: i64, high: Option<i64>, unit: &str) -> Vec<Row> {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    let allowed = match high {
        Some(high) => format!("must be a whole number from {low} to {high}{unit}"),
        None => format!("must be a whole number of at least {low}{unit}"),
    };
    let accepted = |n: i64| row(format!("{pointer} = {n}"), vec![set(pointer, json!(n))]);
    let rejected = |n: i64| accepted(n).rejects(path_of(pointer), format!("{allowed}, found {n}"));
    let mut rows = vec![rejected(low - 1), accepted(low)];
    if let Some(high) = high {
        rows.extend([accepted(high), rejected(high + 1)]);
    }
    rows
}

/// Runs every row and reports all the rows that fail, not just the first.
fn check(rows: Vec<Row>) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let payload = edited(&model(row.seed), &row.edits);
            let result = ModelDefinition::from_json_value(&payload);
            let expected: Vec<(&str, &str)> = row
                .expected
                .iter()
                .map(|(path, fragment)| (path.as_str(), fragment.as_str()))
                .collect();
            let errors = errors_of(&result);
            mismatch(&errors, &expected)
                .or_else(|| schema_disagreement(Kind::Definition, &payload, &errors))
                .map(|why| format!("row {:?}:\n{why}", row.name))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_rows_start_from_valid_seeds() {
    for seed in [MISTRAL, TITAN] {
        assert_eq!(
            errors_of(&ModelDefinition::from_json_value(&model(seed))),
            [],
            "{seed}"
        );
    }
}

#[test]
fn model_id() {
    check(vec![
        row("missing", vec![remove("/modelId")]).rejects("modelId", "is required"),
        row("empty", vec![set("/modelId", json!(""))])
            .rejects("modelId", "must be 1 to 63 characters long, found 0"),
        row(
            "64 characters",
            vec![set("/modelId", json!("a".repeat(64)))],
        )
        .rejects("modelId", "must be 1 to 63 characters long, found 64"),
        row(
            "63 characters",
            vec![set("/modelId", json!("a".repeat(63)))],
        ),
        row("one letter", vec![set("/modelId", json!("m"))]),
        row("uppercase", vec![set("/modelId", json!("Mistral-vllm"))]).rejects(
            "modelId",
            "only lowercase letters, digits and '-', found 'M'",
        ),
        row("underscore", vec![set("/modelId", json!("mistral_vllm"))])
            .rejects("modelId", "found '_'"),
        row("dot", vec![set("/modelId", json!("mistral.vllm"))]).rejects("modelId", "found '.'"),
        // Counted in characters: 32 two-byte letters are short enough and fail on the charset.
        row(
            "non-ASCII letters",
            vec![set("/modelId", json!("é".repeat(32)))],
        )
        .rejects(
            "modelId",
            "only lowercase letters, digits and '-', found 'é'",
        ),
        row(
            "starts with a digit",
            vec![set("/modelId", json!("7b-mistral"))],
        )
        .rejects("modelId", "must start with a lowercase letter"),
        row("starts with '-'", vec![set("/modelId", json!("-mistral"))])
            .rejects("modelId", "must start with a lowercase letter"),
        row("ends with '-'", vec![set("/modelId", json!("mistral-"))])
            .rejects("modelId", "must not end with '-'"),
        row("not a string", vec![set("/modelId", json!(7))])
            .rejects("modelId", "must be a string, found 7"),
    ]);
}

#[test]
fn model_name() {
    check(vec![
        row("missing", vec![remove("/modelName")]).rejects("modelName", "is required"),
        row("empty", vec![set("/modelName", json!(""))]).rejects("modelName", "must not be empty"),
        row(
            "whitespace",
            vec![set("/modelName", json!("mistralai/Mistral 7B"))],
        )
        .rejects("modelName", "must not contain whitespace"),
        row(
            "LiteLLM-only with whitespace",
            vec![set("/modelName", json!("bedrock/ titan"))],
        )
        .on(TITAN)
        .rejects("modelName", "must not contain whitespace"),
        row(
            "LiteLLM-only with a control character",
            vec![set("/modelName", json!("bedrock/titan\u{4}\u{9a}"))],
        )
        .on(TITAN)
        .rejects("modelName", "or control characters"),
        row(
            "hosted s3:// URL",
            vec![set("/modelName", json!("s3://bucket/mistral"))],
        )
        .rejects("modelName", "not an s3:// URL"),
        row(
            "hosted leading '/'",
            vec![set("/modelName", json!("/mistralai/m"))],
        )
        .rejects("modelName", "without a leading '/'"),
        row(
            "hosted '..' segment",
            vec![set("/modelName", json!("mistralai/../secrets"))],
        )
        .rejects("modelName", "must not contain '..' segments"),
        row(
            "hosted '..' inside a name is fine",
            vec![set("/modelName", json!("m/v0..2"))],
        ),
        // The weights-prefix rules are about S3 keys; a LiteLLM model string is passed on as is.
        row(
            "LiteLLM-only sagemaker endpoint",
            vec![set("/modelName", json!("sagemaker/my-endpoint"))],
        )
        .on(TITAN),
    ]);
}

#[test]
fn model_type_and_streaming() {
    check(vec![
        row("missing", vec![remove("/modelType")]).rejects("modelType", "is required"),
        row("not in the enum", vec![set("/modelType", json!("chat"))]).rejects(
            "modelType",
            r#"must be "textgen", "embedding", "imagegen" or "videogen", found "chat""#,
        ),
        row("wrong case", vec![set("/modelType", json!("TextGen"))])
            .rejects("modelType", "found \"TextGen\""),
        row(
            "embedding cannot stream",
            vec![
                set("/modelType", json!("embedding")),
                set("/streaming", json!(true)),
            ],
        )
        .rejects("streaming", "embedding models cannot stream"),
        row(
            "embedding with streaming false",
            vec![
                set("/modelType", json!("embedding")),
                set("/streaming", json!(false)),
            ],
        ),
        row(
            "LiteLLM-only embedding cannot stream",
            vec![set("/modelType", json!("embedding"))],
        )
        .on(TITAN)
        .rejects("streaming", "embedding models cannot stream"),
        row("streaming omitted", vec![remove("/streaming")]),
        row(
            "streaming not a boolean",
            vec![set("/streaming", json!("yes"))],
        )
        .rejects("streaming", "must be true or false, found \"yes\""),
    ]);
}

#[test]
fn hosting_block_is_all_or_none() {
    check(vec![
        row(
            "two of five missing",
            vec![remove("/autoScalingConfig"), remove("/loadBalancerConfig")],
        )
        .rejects(
            "autoScalingConfig",
            "missing: autoScalingConfig, loadBalancerConfig",
        )
        .rejects(
            "loadBalancerConfig",
            "missing: autoScalingConfig, loadBalancerConfig",
        ),
        row(
            "LiteLLM-only with an instance type",
            vec![set("/instanceType", json!("g5.xlarge"))],
        )
        .on(TITAN)
        .rejects("inferenceContainer", "present: instanceType")
        .rejects("containerConfig", "is required for a LISA-hosted model")
        .rejects("autoScalingConfig", "is required for a LISA-hosted model")
        .rejects("loadBalancerConfig", "is required for a LISA-hosted model"),
    ]);
}

#[test]
fn inference_container_and_instance_type() {
    check(vec![
        row("container not in the enum", vec![set("/inferenceContainer", json!("triton"))])
            .rejects("inferenceContainer", r#"must be "vllm", "tgi" or "tei", found "triton""#),
        row("tei serves embeddings only", vec![set("/inferenceContainer", json!("tei"))])
            .rejects("inferenceContainer", r#""tei" cannot serve modelType "textgen"; it serves embedding"#),
        row(
            "tgi serves textgen only",
            vec![
                set("/inferenceContainer", json!("tgi")),
                set("/modelType", json!("embedding")),
                set("/streaming", json!(false)),
            ],
        )
        .rejects("inferenceContainer", r#""tgi" cannot serve modelType "embedding"; it serves textgen"#),
        row("vllm serves no images", vec![set("/modelType", json!("imagegen"))]).rejects(
            "inferenceContainer",
            r#""vllm" cannot serve modelType "imagegen"; it serves textgen and embedding"#,
        ),
        row(
            "vllm serves embeddings",
            vec![set("/modelType", json!("embedding")), set("/streaming", json!(false))],
        ),
        row("unknown instance type", vec![set("/instanceType", json!("g5.13xlarge"))]).rejects(
            "instanceType",
            "unsupported instance type \"g5.13xlarge\"; supported families: g4dn, g5, g6, g6e, p4d, p4de, p5, p5e, p5en, m5",
        ),
        row("instance type in upper case", vec![set("/instanceType", json!("G5.XLARGE"))])
            .rejects("instanceType", "unsupported instance type"),
        row("vllm on a CPU type", vec![set("/instanceType", json!("m5.2xlarge"))])
            .rejects("instanceType", r#""m5.2xlarge" has no GPU, which "vllm" needs"#),
        row(
            "tei on a CPU type",
            vec![
                set("/inferenceContainer", json!("tei")),
                set("/modelType", json!("embedding")),
                set("/streaming", json!(false)),
                set("/instanceType", json!("m5.2xlarge")),
            ],
        ),
    ]);
}

#[test]
fn image() {
    check(vec![
        row(
            "type not in the enum",
            vec![set("/containerConfig/image/type", json!("docker"))],
        )
        .rejects(
            "containerConfig.image.type",
            r#"must be "asset", "ecr" or "external", found "docker""#,
        ),
        row("type missing", vec![remove("/containerConfig/image/type")])
            .rejects("containerConfig.image.type", "is required"),
        row(
            "invalid reference",
            vec![set(
                "/containerConfig/image/baseImage",
                json!("VLLM/openai"),
            )],
        )
        .rejects(
            "containerConfig.image.baseImage",
            "is not a valid image reference",
        ),
        row(
            "empty reference",
            vec![set("/containerConfig/image/baseImage", json!(""))],
        )
        .rejects("containerConfig.image.baseImage", "found an empty string"),
        row(
            "bad tag",
            vec![set(
                "/containerConfig/image/baseImage",
                json!("vllm/vllm-openai:-x"),
            )],
        )
        .rejects("containerConfig.image.baseImage", "tag \"-x\" is not valid"),
        row(
            "ecr with a registry address",
            vec![
                set("/containerConfig/image/type", json!("ecr")),
                set(
                    "/containerConfig/image/baseImage",
                    json!("ghcr.io/vllm/vllm-openai:v0.5.0"),
                ),
            ],
        )
        .rejects(
            "containerConfig.image.baseImage",
            "without a registry address",
        ),
        row(
            "ecr repo:tag",
            vec![set("/containerConfig/image/type", json!("ecr"))],
        ),
        row(
            "external with a registry address",
            vec![
                set("/containerConfig/image/type", json!("external")),
                set(
                    "/containerConfig/image/baseImage",
                    json!("ghcr.io/vllm/vllm-openai:v0.5.0"),
                ),
            ],
        ),
    ]);
}

#[test]
fn shared_memory_and_environment() {
    const SHM: &str = "/containerConfig/sharedMemorySize";
    const ENV: &str = "/containerConfig/environment";
    let variable = |name: &str, value: Value| vec![set(&format!("{ENV}/{name}"), value)];
    let at = |name: &str| format!("containerConfig.environment.{name}");
    let rows = vec![
        // g5.xlarge has 16 GiB.
        row(
            "shared memory = instance memory",
            vec![set(SHM, json!(16384))],
        ),
        row(
            "shared memory above the instance",
            vec![set(SHM, json!(16385))],
        )
        .rejects(
            path_of(SHM),
            "must be at most the memory of g5.xlarge (16384 MiB), found 16385 MiB",
        ),
        row("shared memory missing", vec![remove(SHM)]).rejects(path_of(SHM), "is required"),
        row("environment omitted", vec![remove(ENV)]),
        row("key starts with a digit", variable("1MAX", json!("1")))
            .rejects(at("1MAX"), "must match [A-Za-z_][A-Za-z0-9_]*"),
        row("key with '-'", variable("MAX-LEN", json!("1"))).rejects(at("MAX-LEN"), "must match"),
        row("key empty", variable("", json!("1"))).rejects(at(""), "must match"),
        row("key starting with '_'", variable("_X1", json!("1"))),
        row("number value", variable("MAX_INPUT_LENGTH", json!(1024))).rejects(
            at("MAX_INPUT_LENGTH"),
            "must be a string (quote numbers), found 1024",
        ),
        row("null value", variable("MAX_INPUT_LENGTH", Value::Null))
            .rejects(at("MAX_INPUT_LENGTH"), "found null"),
        row("not an object", vec![set(ENV, json!(["A=1"]))]).rejects(
            path_of(ENV),
            "must be an object of string values, found an array",
        ),
        row("a credential", variable("HF_TOKEN", json!("hf_x")))
            .rejects(at("HF_TOKEN"), "looks like a credential"),
    ];
    check([rows, range(SHM, 1, None, "MiB")].concat());
}

#[test]
fn container_health_check() {
    const COMMAND: &str = "/containerConfig/healthCheckConfig/command";
    const AT: &str = "containerConfig.healthCheckConfig.command";
    const HC: &str = "/containerConfig/healthCheckConfig";
    let command = |value: Value| vec![set(COMMAND, value)];
    let rows = vec![
        row("command empty array", command(json!([]))).rejects(AT, "found an empty array"),
        row(
            "command without CMD prefix",
            command(json!(["curl", "-f", "x"])),
        )
        .rejects(
            format!("{AT}[0]"),
            r#"must be "CMD" or "CMD-SHELL", found "curl""#,
        ),
        row("command CMD alone", command(json!(["CMD"])))
            .rejects(AT, r#""CMD" must be followed by a non-empty command"#),
        row(
            "command CMD-SHELL blank",
            command(json!(["CMD-SHELL", "  "])),
        )
        .rejects(AT, r#""CMD-SHELL" must be followed by a non-empty command"#),
        row("command element not a string", command(json!(["CMD", 1])))
            .rejects(format!("{AT}[1]"), "must be a string, found 1"),
        row("command empty string", command(json!("")))
            .rejects(AT, "or a shell command string, found \"\""),
        row("command an object", command(json!({}))).rejects(AT, "found an object"),
        row(
            "command CMD exec form",
            command(json!(["CMD", "curl", "-f", "x"])),
        ),
        row(
            "command plain string",
            command(json!("curl -f localhost || exit 1")),
        ),
        row("command missing", vec![remove(COMMAND)]).rejects(AT, "is required"),
        row("interval omitted", vec![remove(&format!("{HC}/interval"))]),
    ];
    check(
        [
            rows,
            range(&format!("{HC}/interval"), 5, Some(300), "s"),
            range(&format!("{HC}/timeout"), 2, Some(120), "s"),
            range(&format!("{HC}/retries"), 1, Some(10), ""),
            range(&format!("{HC}/startPeriod"), 0, Some(300), "s"),
        ]
        .concat(),
    );
}

#[test]
fn auto_scaling() {
    const AS: &str = "/autoScalingConfig";
    const METRIC: &str = "/autoScalingConfig/metricConfig";
    let at = |field: &str, value: Value| set(&format!("{AS}/{field}"), value);
    let metric = |field: &str, value: Value| set(&format!("{METRIC}/{field}"), value);
    let rows = vec![
        row("min above max", vec![at("minCapacity", json!(2))]).rejects(
            "autoScalingConfig.maxCapacity",
            "must be at least minCapacity (2), found 1",
        ),
        row(
            "min equal to max",
            vec![at("minCapacity", json!(3)), at("maxCapacity", json!(3))],
        ),
        row("desired above max", vec![at("desiredCapacity", json!(2))]).rejects(
            "autoScalingConfig.desiredCapacity",
            "must be at most maxCapacity (1), found 2",
        ),
        row(
            "desired below min",
            vec![
                at("minCapacity", json!(2)),
                at("maxCapacity", json!(4)),
                at("desiredCapacity", json!(1)),
            ],
        )
        .rejects(
            "autoScalingConfig.desiredCapacity",
            "must be at least minCapacity (2), found 1",
        ),
        row("desired 0", vec![at("desiredCapacity", json!(0))]).rejects(
            "autoScalingConfig.desiredCapacity",
            "must be a whole number from 1 to 5000, found 0",
        ),
        row(
            "desired within bounds",
            vec![at("desiredCapacity", json!(1))],
        ),
        row("metricConfig missing", vec![remove(METRIC)])
            .rejects("autoScalingConfig.metricConfig", "is required"),
        row(
            "albMetricName not in the enum",
            vec![metric("albMetricName", json!("CPUUtilization"))],
        )
        .rejects(
            "autoScalingConfig.metricConfig.albMetricName",
            r#"must be "RequestCountPerTarget" or "TargetResponseTime", found "CPUUtilization""#,
        ),
        row(
            "albMetricName TargetResponseTime",
            vec![metric("albMetricName", json!("TargetResponseTime"))],
        ),
        row("targetValue 0", vec![metric("targetValue", json!(0))]).rejects(
            "autoScalingConfig.metricConfig.targetValue",
            "must be a number greater than 0, found 0",
        ),
        row(
            "targetValue negative",
            vec![metric("targetValue", json!(-2.5))],
        )
        .rejects("autoScalingConfig.metricConfig.targetValue", "found -2.5"),
        row(
            "targetValue fractional",
            vec![metric("targetValue", json!(0.25))],
        ),
        row("autoScalingConfig an array", vec![set(AS, json!([]))])
            .rejects("autoScalingConfig", "must be an object, found an array"),
    ];
    check(
        [
            rows,
            // minCapacity 5000 alone breaks min <= max: its upper end is checked alone.
            range(&format!("{AS}/minCapacity"), 1, Some(5000), "")
                .into_iter()
                .filter(|row| !row.name.ends_with("= 5000"))
                .collect(),
            range(&format!("{AS}/maxCapacity"), 1, Some(5000), ""),
            range(&format!("{AS}/cooldown"), 1, None, "s"),
            range(&format!("{AS}/defaultInstanceWarmup"), 1, Some(3600), "s"),
            range(
                &format!("{AS}/blockDeviceVolumeSize"),
                30,
                Some(16_384),
                "GiB",
            ),
            range(&format!("{METRIC}/duration"), 1, None, "s"),
            range(
                &format!("{METRIC}/estimatedInstanceWarmup"),
                1,
                Some(3600),
                "s",
            ),
        ]
        .concat(),
    );
}

#[test]
fn load_balancer_health_check() {
    const HC: &str = "/loadBalancerConfig/healthCheckConfig";
    const AT: &str = "loadBalancerConfig.healthCheckConfig";
    let field = |name: &str, value: i64| set(&format!("{HC}/{name}"), json!(value));
    let path = |value: &str| set(&format!("{HC}/path"), json!(value));
    // The seed's interval is 60 and its timeout 30, so each bound is tested where the
    // timeout < interval rule holds.
    let rows = vec![
        row("path without '/'", vec![path("health")]).rejects(
            format!("{AT}.path"),
            "must start with '/', found \"health\"",
        ),
        row("path '/'", vec![path("/")]),
        row("interval 4", vec![field("interval", 4)])
            .rejects(format!("{AT}.interval"), "from 5 to 300 s, found 4"),
        row("interval 301", vec![field("interval", 301)])
            .rejects(format!("{AT}.interval"), "from 5 to 300 s, found 301"),
        row("timeout 1", vec![field("timeout", 1)])
            .rejects(format!("{AT}.timeout"), "from 2 to 120 s, found 1"),
        row(
            "timeout 121",
            vec![field("interval", 300), field("timeout", 121)],
        )
        .rejects(format!("{AT}.timeout"), "from 2 to 120 s, found 121"),
        row(
            "timeout equal to interval",
            vec![field("interval", 30), field("timeout", 30)],
        )
        .rejects(
            format!("{AT}.timeout"),
            "must be less than interval (30 s), found 30 s",
        ),
        row(
            "timeout above interval",
            vec![field("interval", 10), field("timeout", 20)],
        )
        .rejects(format!("{AT}.timeout"), "less than interval (10 s)"),
        row(
            "lowest bounds",
            vec![field("interval", 5), field("timeout", 2)],
        ),
        row(
            "highest bounds",
            vec![field("interval", 300), field("timeout", 120)],
        ),
        // The interval rule must not hide the other problems of the same object.
        row(
            "timeout not below interval and a bad threshold",
            vec![field("timeout", 60), field("healthyThresholdCount", 1)],
        )
        .rejects(format!("{AT}.timeout"), "less than interval (60 s)")
        .rejects(format!("{AT}.healthyThresholdCount"), "found 1"),
    ];
    check(
        [
            rows,
            range(&format!("{HC}/healthyThresholdCount"), 2, Some(10), ""),
            range(&format!("{HC}/unhealthyThresholdCount"), 2, Some(10), ""),
        ]
        .concat(),
    );
}

#[test]
fn unknown_fields() {
    check(vec![
        row("typo beside the real field", vec![set("/autoScalingConfig/minCapcity", json!(1))])
            .rejects("autoScalingConfig.minCapcity", r#"unknown field "minCapcity"; did you mean "minCapacity"?"#),
        row(
            "typo instead of the real field",
            vec![remove("/autoScalingConfig/minCapacity"), set("/autoScalingConfig/minCapcity", json!(1))],
        )
        .rejects("autoScalingConfig.minCapcity", r#"did you mean "minCapacity"?"#)
        .rejects("autoScalingConfig.minCapacity", "is required"),
        row("top-level typo", vec![set("/streming", json!(true))])
            .rejects("streming", r#"did you mean "streaming"?"#),
        row("no close match", vec![set("/frobnicate", json!(true))]).rejects(
            "frobnicate",
            "unknown field \"frobnicate\"; allowed fields: modelId, modelName, modelType, streaming, modelUrl, \
             inferenceContainer, instanceType, containerConfig, autoScalingConfig, loadBalancerConfig",
        ),
        row("deep unknown field", vec![set("/loadBalancerConfig/healthCheckConfig/port", json!(8080))])
            .rejects("loadBalancerConfig.healthCheckConfig.port", "unknown field \"port\""),
        row("status is a response field", vec![set("/status", json!("InService"))])
            .on(TITAN)
            .rejects("status", "unknown field \"status\""),
        row("legacy image path", vec![set("/containerConfig/image/path", json!("vllm"))]),
        row("modelUrl given", vec![set("/modelUrl", json!("https://example.com/v1"))]),
        row("modelUrl null", vec![set("/modelUrl", Value::Null)]),
    ]);
}

#[test]
fn wrong_json_types() {
    check(vec![
        row(
            "string for a number",
            vec![set("/containerConfig/sharedMemorySize", json!("2048"))],
        )
        .rejects(
            "containerConfig.sharedMemorySize",
            "must be a whole number of at least 1 MiB, found \"2048\"",
        ),
        row(
            "fraction for a whole number",
            vec![set("/autoScalingConfig/cooldown", json!(1.5))],
        )
        .rejects("autoScalingConfig.cooldown", "found 1.5"),
        row(
            "number beyond u64",
            vec![set("/autoScalingConfig/maxCapacity", json!(1e300))],
        )
        .rejects("autoScalingConfig.maxCapacity", "found 1e+300"),
        row(
            "u64::MAX",
            vec![set("/autoScalingConfig/maxCapacity", json!(u64::MAX))],
        )
        .rejects(
            "autoScalingConfig.maxCapacity",
            "found 18446744073709551615",
        ),
        row(
            "just above u32",
            vec![set("/autoScalingConfig/cooldown", json!(4_294_967_296_u64))],
        )
        .rejects("autoScalingConfig.cooldown", "found 4294967296"),
        row("number for a string", vec![set("/modelName", json!(42))])
            .rejects("modelName", "must be a string, found 42"),
        row(
            "array for an object",
            vec![set("/containerConfig", json!([1, 2]))],
        )
        .rejects("containerConfig", "must be an object, found an array"),
        row(
            "string for an object",
            vec![set(
                "/loadBalancerConfig/healthCheckConfig",
                json!("/health"),
            )],
        )
        .rejects(
            "loadBalancerConfig.healthCheckConfig",
            "must be an object, found \"/health\"",
        ),
        row(
            "string for targetValue",
            vec![set(
                "/autoScalingConfig/metricConfig/targetValue",
                json!("30"),
            )],
        )
        .rejects("autoScalingConfig.metricConfig.targetValue", "found \"30\""),
        row(
            "object for an enum",
            vec![set("/inferenceContainer", json!({"name": "vllm"}))],
        )
        .rejects("inferenceContainer", "found an object"),
    ]);
}

#[test]
fn a_payload_that_is_not_an_object() {
    for payload in [json!([]), json!("mistral"), json!(1), Value::Null] {
        let errors = errors_of(&ModelDefinition::from_json_value(&payload));
        assert_eq!(errors.len(), 1, "{payload}: {errors:?}");
        assert_eq!(errors[0].0, "");
        assert!(errors[0].1.starts_with("must be an object"), "{errors:?}");
    }
}

#[test]
fn a_plain_string_command_means_cmd_shell() {
    let payload = edited(
        &model(MISTRAL),
        &[set(
            "/containerConfig/healthCheckConfig/command",
            json!("curl -f http://localhost:8080/health"),
        )],
    );
    let definition = ModelDefinition::from_json_value(&payload).expect("valid");
    let hosting = definition.hosting.expect("hosted");
    assert_eq!(
        hosting.container_config.health_check_config.command,
        ["CMD-SHELL", "curl -f http://localhost:8080/health"]
    );
}

#[test]
fn the_legacy_image_path_is_accepted_and_dropped() {
    let payload = edited(
        &model(MISTRAL),
        &[set(
            "/containerConfig/image/path",
            json!("lib/serve/ecs-model/vllm"),
        )],
    );
    let definition = ModelDefinition::from_json_value(&payload).expect("valid");
    let reserialized = serde_json::to_value(&definition).expect("serializes");
    assert_eq!(reserialized.pointer("/containerConfig/image/path"), None);
    assert_eq!(reserialized, model(MISTRAL));
}

#[test]
fn null_hosting_fields_mean_a_litellm_only_model() {
    // The shape of a LiteLLM-only model in the seed's list response, without the response-only
    // `status` (rejected as unknown, see `unknown_fields`).
    let listed = json!({
        "autoScalingConfig": null,
        "containerConfig": null,
        "loadBalancerConfig": null,
        "instanceType": null,
        "inferenceContainer": null,
        "modelId": "titan-express-v1",
        "modelName": "bedrock/amazon.titan-text-express-v1",
        "modelType": "textgen",
        "modelUrl": null,
        "streaming": true
    });
    let definition = ModelDefinition::from_json_value(&listed).expect("valid");
    assert_eq!(definition.hosting, None);
    assert_eq!(definition.model_url, None);
    assert_eq!(
        definition,
        ModelDefinition::from_json_value(&model(TITAN)).expect("valid")
    );
}

#[test]
fn malformed_text_reports_line_and_column() {
    let text = "{\n  \"modelId\": \"mistral-vllm\",\n  \"modelName\" \"x\"\n}";
    match ModelDefinition::from_json_str(text) {
        Err(DefinitionError::Syntax {
            line,
            column,
            message,
        }) => {
            assert_eq!((line, column), (3, 15), "{message}");
            assert_eq!(message, "expected `:`");
        }
        other => panic!("expected a syntax error, found {other:?}"),
    }
    match ModelDefinition::from_json_str("{\"modelId\": \"m\",") {
        Err(DefinitionError::Syntax {
            line: 1, message, ..
        }) => {
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("expected a syntax error, found {other:?}"),
    }
    // Valid JSON that breaks rules is reported as validation errors, not as a syntax error.
    match ModelDefinition::from_json_str("{\"modelId\": \"M\"}") {
        Err(DefinitionError::Invalid(errors)) => {
            assert!(errors.has_path("modelId") && errors.has_path("modelName"));
        }
        other => panic!("expected validation errors, found {other:?}"),
    }
}

#[test]
fn every_error_of_a_payload_is_reported_together() {
    let payload = edited(
        &model(MISTRAL),
        &[
            set("/modelId", json!("Mistral_")),
            set("/modelType", json!("embedding")),
            set("/instanceType", json!("g5.huge")),
            set("/containerConfig/image/type", json!("ecr")),
            set("/containerConfig/image/baseImage", json!("ghcr.io/x/y")),
            set("/containerConfig/sharedMemorySize", json!(0)),
            set("/containerConfig/environment/bad-key", json!(1)),
            set("/containerConfig/healthCheckConfig/command", json!(["CMD"])),
            set("/containerConfig/healthCheckConfig/retries", json!(0)),
            set("/autoScalingConfig/minCapcity", json!(2)),
            set("/autoScalingConfig/maxCapacity", json!(0)),
            set("/autoScalingConfig/metricConfig/targetValue", json!(-1)),
            set(
                "/autoScalingConfig/metricConfig/albMetricName",
                json!("Cpu"),
            ),
            set(
                "/loadBalancerConfig/healthCheckConfig/path",
                json!("health"),
            ),
            set("/loadBalancerConfig/healthCheckConfig/timeout", json!(90)),
            set(
                "/loadBalancerConfig/healthCheckConfig/unhealthyThresholdCount",
                json!(20),
            ),
        ],
    );
    let mut paths: Vec<String> = errors_of(&ModelDefinition::from_json_value(&payload))
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    paths.sort();
    let mut expected = vec![
        "modelId",
        "streaming",
        "instanceType",
        "containerConfig.image.baseImage",
        "containerConfig.sharedMemorySize",
        // A bad key holding a non-string: both problems, on the same path.
        "containerConfig.environment.bad-key",
        "containerConfig.environment.bad-key",
        "containerConfig.healthCheckConfig.command",
        "containerConfig.healthCheckConfig.retries",
        "autoScalingConfig.minCapcity",
        "autoScalingConfig.maxCapacity",
        "autoScalingConfig.metricConfig.albMetricName",
        "autoScalingConfig.metricConfig.targetValue",
        "loadBalancerConfig.healthCheckConfig.path",
        "loadBalancerConfig.healthCheckConfig.timeout",
        "loadBalancerConfig.healthCheckConfig.unhealthyThresholdCount",
    ];
    expected.sort_unstable();
    assert_eq!(paths, expected);
}

#[test]
fn sizes_are_bounded_where_aws_bounds_them() {
    use lisa_constructs::model::bounds;
    const ENV: &str = "/containerConfig/environment";
    let variables = |count: usize, value_len: usize| -> Value {
        (0..count)
            .map(|i| (format!("VAR_{i}"), json!("v".repeat(value_len))))
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    let name_of = |len: usize| json!(format!("bedrock/{}", "a".repeat(len - "bedrock/".len())));
    let max_name = bounds::MODEL_NAME_MAX_BYTES;
    check(vec![
        row(
            "modelName at the S3 key limit",
            vec![set("/modelName", name_of(max_name))],
        )
        .on(TITAN),
        row(
            "modelName over it",
            vec![set("/modelName", name_of(max_name + 1))],
        )
        .on(TITAN)
        .rejects(
            "modelName",
            format!("must be at most {max_name} bytes long, found 1025 bytes"),
        ),
        row(
            "as many variables as allowed",
            vec![set(ENV, variables(bounds::ENVIRONMENT_MAX_VARIABLES, 1))],
        ),
        row(
            "one variable too many",
            vec![set(
                ENV,
                variables(bounds::ENVIRONMENT_MAX_VARIABLES + 1, 1),
            )],
        )
        .rejects(
            "containerConfig.environment",
            "must have at most 500 variables, found 501",
        ),
        row(
            "too many bytes of environment",
            vec![set(ENV, variables(40, 1000))],
        )
        .rejects(
            "containerConfig.environment",
            "must total at most 32768 bytes",
        ),
        row(
            "a health check path over the load balancer's limit",
            vec![set(
                "/loadBalancerConfig/healthCheckConfig/path",
                json!(format!("/{}", "p".repeat(1024))),
            )],
        )
        .rejects(
            "loadBalancerConfig.healthCheckConfig.path",
            "must be at most 1024 bytes",
        ),
    ]);
}

#[test]
fn whole_numbers_may_be_written_with_a_fraction_of_zero() {
    const SHM: &str = "/containerConfig/sharedMemorySize";
    check(vec![
        row(
            "interval 10.0",
            vec![set(
                "/containerConfig/healthCheckConfig/interval",
                json!(10.0),
            )],
        ),
        row(
            "interval 10.5",
            vec![set(
                "/containerConfig/healthCheckConfig/interval",
                json!(10.5),
            )],
        )
        .rejects(
            "containerConfig.healthCheckConfig.interval",
            "must be a whole number from 5 to 300 s, found 10.5",
        ),
        row(
            "shared memory beyond 32 bits",
            vec![set(SHM, json!(4_294_967_296_u64))],
        )
        .rejects(
            "containerConfig.sharedMemorySize",
            "must be at most 4294967295 MiB, found 4294967296",
        ),
    ]);
}

#[test]
fn a_key_given_twice_is_refused_with_its_path() {
    let text =
        r#"{"modelId": "a", "modelName": "bedrock/x", "modelType": "textgen", "modelId": "b"}"#;
    match ModelDefinition::from_json_str(text) {
        Err(DefinitionError::Syntax { message, .. }) => {
            assert!(
                message.contains("duplicate key \"modelId\" at modelId"),
                "{message}"
            );
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

const FALCON_TGI: &str = "falcon-7b-tgi";
const BGE_TEI: &str = "bge-large-tei";

#[test]
fn server_arguments() {
    const ARGS: &str = "/containerConfig/serverArgs";
    let args = |items: Value| vec![set(ARGS, items)];
    check(vec![
        row(
            "tool calling flags",
            args(json!([
                "--enable-auto-tool-choice",
                "--tool-call-parser",
                "hermes"
            ])),
        ),
        row("empty array", args(json!([]))),
        row(
            "a shell string",
            args(json!("--enable-auto-tool-choice --x")),
        )
        .rejects("containerConfig.serverArgs", "must be an array of strings"),
        row("an empty argument", args(json!(["--x", ""])))
            .rejects("containerConfig.serverArgs[1]", "must not be empty"),
        row("a newline", args(json!(["--x\n--port 9000"])))
            .rejects("containerConfig.serverArgs[0]", "control characters"),
        row("a NUL", args(json!(["a\u{0}b"])))
            .rejects("containerConfig.serverArgs[0]", "control characters"),
        row("not a string", args(json!(["--x", 8])))
            .rejects("containerConfig.serverArgs[1]", "must be a string"),
        row(
            "4096 bytes",
            args(json!([format!(
                "--chat-template={}",
                "x".repeat(4096 - 16)
            )])),
        ),
        row("4097 bytes", args(json!(["x".repeat(4097)]))).rejects(
            "containerConfig.serverArgs[0]",
            "must be at most 4096 bytes long, found 4097 bytes",
        ),
        row("64 arguments", args(json!(vec!["--x"; 64]))),
        row("65 arguments", args(json!(vec!["--x"; 65]))).rejects(
            "containerConfig.serverArgs",
            "at most 64 arguments, found 65",
        ),
        row(
            "three long arguments",
            args(json!(vec!["y".repeat(4000); 3])),
        )
        .rejects(
            "containerConfig.serverArgs",
            "must total at most 8192 bytes",
        ),
        row("the port", args(json!(["--port", "9000"]))).rejects(
            "containerConfig.serverArgs[0]",
            "--port is set by the product on the vllm command line",
        ),
        row("the served name, =", args(json!(["--served-model-name=x"])))
            .rejects("containerConfig.serverArgs[0]", "modelName"),
        row(
            "an abbreviation vLLM takes",
            args(json!(["--tensor-parallel", "2"])),
        )
        .rejects("containerConfig.serverArgs[0]", "GPU count"),
        row(
            "underscores vLLM takes",
            args(json!(["--max_model_len", "8192"])),
        )
        .rejects("containerConfig.serverArgs[0]", "MAX_TOTAL_TOKENS"),
        row(
            "every bad item at once",
            args(json!(["--host", "", "--api-key=k"])),
        )
        .rejects("containerConfig.serverArgs[0]", "is set by the product")
        .rejects("containerConfig.serverArgs[1]", "must not be empty")
        .rejects("containerConfig.serverArgs[2]", "looks like a credential"),
        row("TGI's short port", args(json!(["-p", "9000"])))
            .on(FALCON_TGI)
            .rejects(
                "containerConfig.serverArgs[0]",
                "-p is set by the product on the tgi command line",
            ),
        row(
            "TGI has no abbreviations",
            args(json!(["--max-batch-prefill-tokens", "4096"])),
        )
        .on(FALCON_TGI),
        row("TEI's model id", args(json!(["--model-id", "x"])))
            .on(BGE_TEI)
            .rejects("containerConfig.serverArgs[0]", "/models"),
    ]);
}

#[test]
fn server_metric() {
    const METRIC: &str = "/autoScalingConfig/metricConfig/serverMetric";
    const PATH: &str = "autoScalingConfig.metricConfig.serverMetric";
    let metric = |value: Value| vec![set(METRIC, value)];
    check(vec![
        row(
            "queue depth",
            metric(json!({"name": "queueDepth", "targetValue": 4})),
        ),
        row(
            "running requests on TEI",
            metric(json!({"name": "runningRequests", "targetValue": 32})),
        )
        .on(BGE_TEI),
        row(
            "KV cache at its largest",
            metric(json!({"name": "kvCacheUse", "targetValue": 1})),
        ),
        row(
            "KV cache over 1",
            metric(json!({"name": "kvCacheUse", "targetValue": 1.5})),
        )
        .rejects(format!("{PATH}.targetValue"), "at most 1, found 1.5"),
        row(
            "KV cache on TGI",
            metric(json!({"name": "kvCacheUse", "targetValue": 0.8})),
        )
        .on(FALCON_TGI)
        .rejects(
            format!("{PATH}.name"),
            "\"kvCacheUse\" is not published by \"tgi\"; it publishes \"queueDepth\" and \"runningRequests\"",
        ),
        row(
            "an unknown signal",
            metric(json!({"name": "queue", "targetValue": 4})),
        )
        .rejects(
            format!("{PATH}.name"),
            "must be \"queueDepth\", \"runningRequests\" or \"kvCacheUse\", found \"queue\"",
        ),
        row(
            "a zero target",
            metric(json!({"name": "queueDepth", "targetValue": 0})),
        )
        .rejects(format!("{PATH}.targetValue"), "greater than 0"),
        row("no target", metric(json!({"name": "queueDepth"})))
            .rejects(format!("{PATH}.targetValue"), "is required"),
        row(
            "a typo",
            metric(json!({"name": "queueDepth", "targetValu": 4})),
        )
        .rejects(format!("{PATH}.targetValu"), "did you mean \"targetValue\"")
        .rejects(format!("{PATH}.targetValue"), "is required"),
        row("not an object", metric(json!("queueDepth")))
            .rejects(PATH, "must be an object"),
    ]);
}
