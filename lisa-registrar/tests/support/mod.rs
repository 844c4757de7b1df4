//! Test support: the stand-ins (LiteLLM, a model server, the ResponseURL, Lambda's Invoke API),
//! moto for Secrets Manager and target health, CloudFormation request fixtures, and a registrar
//! wired to all of them. Every test uses its own names, so tests run in parallel on one moto
//! server.
#![allow(dead_code)]

pub mod cloud;
pub mod litellm;
pub mod model_server;
pub mod moto_stack;
pub mod openapi;
pub mod server;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::Credentials;
use lisa_registrar::{Invocation, Pinned, Registrar, Settings, Stacks};
use serde_json::{Value, json};

use server::{Handler, Seen, Server};

pub const REGION: &str = "us-east-1";

/// moto's server, started by scripts/start-moto.sh (scripts/test.sh does it).
pub fn moto_endpoint() -> String {
    std::env::var("LISA_MOTO_ENDPOINT").expect(
        "LISA_MOTO_ENDPOINT is not set: run `source scripts/start-moto.sh` (scripts/test.sh does)",
    )
}

/// A name no other test (or run) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{:x}-{}",
        std::process::id() % 100_000,
        nanos % 0xfffff,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn aws_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "static"))
        .load()
        .await
}

/// Creates a secret holding `key`; returns its ARN.
pub async fn secret(key: &str) -> String {
    let client = aws_sdk_secretsmanager::Client::new(&aws_config(&moto_endpoint()).await);
    let out = client
        .create_secret()
        .name(unique("litellm-key"))
        .secret_string(key)
        .send()
        .await
        .expect("moto creates the secret");
    out.arn().expect("has an ARN").to_owned()
}

/// Creates a target group (empty: no target is ever healthy); returns its ARN.
pub async fn target_group() -> String {
    let client = aws_sdk_elasticloadbalancingv2::Client::new(&aws_config(&moto_endpoint()).await);
    let name: String = unique("tg")
        .chars()
        .rev()
        .take(32)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    let name = name.trim_start_matches('-').to_owned();
    let out = client
        .create_target_group()
        .name(name)
        // moto needs no VPC for a Lambda target group; health is read the same way.
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Lambda)
        .send()
        .await
        .expect("moto creates the target group");
    out.target_groups()[0]
        .target_group_arn()
        .expect("has an ARN")
        .to_owned()
}

/// Registers a target, which moto reports healthy.
pub async fn add_healthy_target(target_group_arn: &str) {
    let client = aws_sdk_elasticloadbalancingv2::Client::new(&aws_config(&moto_endpoint()).await);
    client
        .register_targets()
        .target_group_arn(target_group_arn)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id("arn:aws:lambda:us-east-1:123456789012:function:model-target")
                .build(),
        )
        .send()
        .await
        .expect("moto registers the target");
}

/// Receives the answers PUT to the ResponseURL.
pub struct Answers {
    pub server: Server,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Answers {
    pub async fn start() -> Answers {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&seen);
        let handler: Handler = Arc::new(move |s: Seen| {
            shared.lock().expect("not poisoned").push(s);
            Box::pin(async { (200, Vec::new(), String::new()) })
        });
        Answers {
            server: server::serve(handler).await,
            seen,
        }
    }

    /// The pre-signed URL CloudFormation would give (with a query like S3's).
    pub fn url(&self) -> String {
        format!(
            "{}/cloudformation-custom-resource-response-useast1/arn%3Aaws%3Acloudformation?X-Amz-Signature=abc",
            self.server.url()
        )
    }

    /// The one answer received: checks it was a PUT with an empty Content-Type.
    pub fn only(&self) -> Value {
        let seen = self.seen.lock().expect("not poisoned");
        assert_eq!(seen.len(), 1, "exactly one answer: {seen:?}");
        let s = &seen[0];
        assert_eq!(s.method, "PUT");
        assert_eq!(
            s.headers.get("content-type").map(String::as_str),
            Some(""),
            "empty Content-Type"
        );
        serde_json::from_slice(&s.body).expect("a JSON answer")
    }

    pub fn count(&self) -> usize {
        self.seen.lock().expect("not poisoned").len()
    }
}

/// Lambda's Invoke API, recording the events a function hands on.
pub struct LambdaApi {
    pub server: Server,
    pub invoked: Arc<Mutex<Vec<Seen>>>,
}

impl LambdaApi {
    pub async fn start() -> LambdaApi {
        let invoked = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&invoked);
        let handler: Handler = Arc::new(move |s: Seen| {
            let ok = s.method == "POST"
                && s.path.starts_with("/2015-03-31/functions/")
                && s.path.ends_with("/invocations")
                && s.headers.get("x-amz-invocation-type").map(String::as_str) == Some("Event");
            shared.lock().expect("not poisoned").push(s);
            Box::pin(async move {
                if ok {
                    (202, Vec::new(), String::new())
                } else {
                    (400, Vec::new(), r#"{"message":"bad invoke"}"#.into())
                }
            })
        });
        LambdaApi {
            server: server::serve(handler).await,
            invoked,
        }
    }

    pub fn events(&self) -> Vec<Value> {
        self.invoked
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|s| serde_json::from_slice(&s.body).expect("JSON event"))
            .collect()
    }
}

/// Fast timings for tests.
pub fn fast_settings() -> Settings {
    Settings {
        health_poll: Duration::from_millis(200),
        litellm_timeout: Duration::from_secs(5),
        answer_margin: Duration::from_millis(500),
    }
}

/// The deployment the tests' stacks belong to.
pub const DEPLOYMENT: &str = "lisa";

/// The name of `model`'s stack in [`DEPLOYMENT`].
pub fn stack_name(model: &str) -> String {
    format!(
        "{}{model}",
        lisa_constructs::ecs_model::model_stack_prefix(DEPLOYMENT)
    )
}

/// What a function of [`DEPLOYMENT`] is configured to trust.
pub fn pinned(endpoint: &str, secret_arn: &str) -> Pinned {
    Pinned {
        deployment_name: DEPLOYMENT.to_owned(),
        litellm_endpoint: endpoint.to_owned(),
        master_key_secret_arn: secret_arn.to_owned(),
    }
}

/// A registrar on moto (secrets, target health), the given Lambda API and `stacks` (what
/// CloudFormation says about the requests' stacks), trusting `pinned`.
pub async fn registrar(
    lambda_endpoint: &str,
    settings: Settings,
    pinned: Pinned,
    stacks: Arc<dyn Stacks>,
) -> Arc<Registrar> {
    let moto = aws_config(&moto_endpoint()).await;
    Arc::new(Registrar {
        secrets: aws_sdk_secretsmanager::Client::new(&moto),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&moto),
        lambda: aws_sdk_lambda::Client::new(&aws_config(lambda_endpoint).await),
        stacks,
        http: reqwest::Client::new(),
        settings,
        pinned: Ok(pinned),
    })
}

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:lisa-registrar";

pub fn invocation(seconds: f64) -> Invocation {
    Invocation {
        deadline: Instant::now() + Duration::from_secs_f64(seconds),
        function_arn: FUNCTION_ARN.to_owned(),
    }
}

/// A fixture request (tests/fixtures/NAME.json) with its placeholders filled in.
pub fn fixture(name: &str, fill: &[(&str, &str)]) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).expect("the fixture exists");
    for (placeholder, value) in fill {
        text = text.replace(&format!("@{placeholder}@"), value);
    }
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// Sets or removes one resource property of a request.
pub fn set_property(request: &mut Value, key: &str, value: Option<&str>) {
    let props = request["ResourceProperties"]
        .as_object_mut()
        .expect("properties");
    match value {
        Some(v) => {
            props.insert(key.to_owned(), json!(v));
        }
        None => {
            props.remove(key);
        }
    }
}
