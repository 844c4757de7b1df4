//! The checks against CloudFormation and Elastic Load Balancing as they really read: moto's stacks
//! (scripts/moto-server.py keeps a stack in CREATE_IN_PROGRESS until its registration is
//! answered, and hands over the Create event CloudFormation would send), read through
//! [`AwsStacks`], the SDK the function runs with.

mod support;

use std::sync::Arc;

use lisa_constructs::ecs_model::registration::RESOURCE_TYPE;
use lisa_registrar::{AwsStacks, Stacks};
use serde_json::{Value, json};
use support::litellm::{LiteLlm, Mode};
use support::moto_stack::{self, Model, MotoStack};
use support::*;

async fn aws_stacks() -> AwsStacks {
    AwsStacks::new(&aws_config(&moto_endpoint()).await)
}

/// One test's world: LiteLLM, the answers, and a hosted model's stack being created in moto.
struct World {
    litellm: LiteLlm,
    answers: Answers,
    lambda: LambdaApi,
    secret: String,
    model: Model,
    stack: MotoStack,
}

const KEY: &str = "sk-cloudformation-test";

impl World {
    async fn hosted(domain_name: Option<&str>) -> World {
        let litellm = LiteLlm::start(KEY, Mode::Normal).await;
        let secret = secret(KEY).await;
        let model = Model {
            model_id: unique("cfn"),
            endpoint: litellm.server.url(),
            secret_arn: secret.clone(),
            hosted: true,
        };
        let stack = moto_stack::create(&model, domain_name).await;
        add_healthy_target(
            &moto_stack::physical_id(&stack.stack_id, moto_stack::TARGET_GROUP).await,
        )
        .await;
        World {
            litellm,
            answers: Answers::start().await,
            lambda: LambdaApi::start().await,
            secret,
            model,
            stack,
        }
    }

    /// moto's Create event, answered to this world's ResponseURL.
    fn event(&self) -> Value {
        let mut event = self.stack.event.clone();
        event["ResponseURL"] = json!(self.answers.url());
        event
    }

    async fn run(&self, event: Value) -> Value {
        self.answers.seen.lock().expect("not poisoned").clear();
        registrar(
            &self.lambda.server.url(),
            fast_settings(),
            pinned(&self.litellm.server.url(), &self.secret),
            Arc::new(aws_stacks().await),
        )
        .await
        .run(event, invocation(30.0))
        .await
        .expect("answered");
        self.answers.only()
    }
}

fn reason(answer: &Value) -> &str {
    answer["Reason"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_stack_being_created_is_read_with_its_registration_in_progress() {
    let w = World::hosted(Some("llm.example.com")).await;
    let stacks = aws_stacks().await;
    let resources = stacks
        .resources(&w.stack.stack_id)
        .await
        .expect("read")
        .expect("a known stack");
    let registration = resources
        .iter()
        .find(|r| r.logical_id == moto_stack::REGISTRATION)
        .expect("the registration is listed");
    assert_eq!(registration.resource_type, RESOURCE_TYPE);
    assert_eq!(registration.status, "CREATE_IN_PROGRESS");
    let lb_arn = moto_stack::physical_id(&w.stack.stack_id, moto_stack::LOAD_BALANCER).await;
    let dns_names = stacks
        .load_balancer_dns_names(std::slice::from_ref(&lb_arn))
        .await
        .expect("read");
    assert_eq!(dns_names.len(), 1);
    assert_eq!(
        w.stack.event["ResourceProperties"]["ApiBase"],
        format!("http://{}/v1", dns_names[0]),
        "moto resolves ApiBase to the load balancer's DNS name"
    );
    assert_eq!(
        stacks
            .parameter(&w.stack.stack_id, "DomainName")
            .await
            .expect("read")
            .as_deref(),
        Some("llm.example.com")
    );
    assert_eq!(
        stacks
            .parameter(&w.stack.stack_id, "NoSuchParameter")
            .await
            .expect("read"),
        None
    );
}

#[tokio::test]
async fn an_unknown_stack_reads_as_none() {
    let stacks = aws_stacks().await;
    let ghost = format!(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/0c5ad1e0-cb80-11ef-8d2b-0e1f2a3b4c5d",
        stack_name(&unique("ghost"))
    );
    assert_eq!(stacks.resources(&ghost).await.expect("read"), None);
    assert_eq!(
        stacks.parameter(&ghost, "DomainName").await.expect("read"),
        None
    );
}

#[tokio::test]
async fn the_create_event_of_a_stack_being_created_registers_the_model() {
    let w = World::hosted(None).await;
    let answer = w.run(w.event()).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let entries = w.litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["model_name"], w.model.model_id);
    assert_eq!(
        entries[0]["litellm_params"]["api_base"],
        w.stack.event["ResourceProperties"]["ApiBase"]
    );
}

#[tokio::test]
async fn the_stacks_domain_name_is_accepted_as_its_api_base() {
    let w = World::hosted(Some("llm.example.com")).await;
    let mut event = w.event();
    event["ResourceProperties"]["ApiBase"] = json!("https://llm.example.com/v1");
    let answer = w.run(event).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
}

#[tokio::test]
async fn the_create_event_pointing_at_another_host_is_refused() {
    let w = World::hosted(None).await;
    let mut event = w.event();
    event["ResourceProperties"]["ApiBase"] = json!("https://llm.example.com/v1");
    let answer = w.run(event).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        reason(&answer).contains("refused") && reason(&answer).contains("llm.example.com"),
        "{answer}"
    );
    assert!(w.litellm.calls().is_empty(), "{:?}", w.litellm.calls());
}

#[tokio::test]
async fn the_create_event_replayed_after_the_stack_is_created_is_refused() {
    let w = World::hosted(None).await;
    // Answering moto's own ResponseURL completes the stack's creation.
    let answer = w.run(w.event()).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let http = reqwest::Client::new();
    let put = http
        .put(w.stack.event["ResponseURL"].as_str().expect("a URL"))
        .header("content-type", "")
        .body(answer.to_string())
        .send()
        .await
        .expect("moto answers");
    assert!(put.status().is_success());
    let status = moto_stack::cloudformation()
        .await
        .describe_stacks()
        .stack_name(&w.stack.stack_id)
        .send()
        .await
        .expect("described")
        .stacks()[0]
        .stack_status()
        .map(|s| s.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("CREATE_COMPLETE"));

    let replayed = w.run(w.event()).await;
    assert_eq!(replayed["Status"], "FAILED", "{replayed}");
    assert!(reason(&replayed).contains("CREATE_COMPLETE"), "{replayed}");
}

#[tokio::test]
async fn a_create_naming_a_stack_cloudformation_does_not_know_is_refused() {
    let w = World::hosted(None).await;
    let mut event = w.event();
    let ghost = unique("ghost");
    event["StackId"] = json!(
        w.stack
            .stack_id
            .replace(&w.model.stack_name(), &stack_name(&ghost))
    );
    event["ResourceProperties"]["ModelId"] = json!(ghost);
    let answer = w.run(event).await;
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(reason(&answer).contains("no such stack"), "{answer}");
    assert!(w.litellm.calls().is_empty());
}
