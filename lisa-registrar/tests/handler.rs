//! The handler end to end: CloudFormation's requests (fixtures in its shapes) against a LiteLLM
//! stand-in that checks every call against LiteLLM's OpenAPI description, moto for the master
//! key's secret and the target health, a real HTTP server receiving the ResponseURL PUT, and a
//! stand-in of Lambda's Invoke API for handing a request on.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lisa_constructs::ecs_model::model_stack_prefix;
use lisa_constructs::ecs_model::registration::{
    MODEL_ID_ATTRIBUTE, RESOURCE_TYPE, registration_id,
};
use lisa_registrar::{Handled, Pinned, Registrar, Settings, Step};
use serde_json::{Value, json};
use support::cloud::Cloud;
use support::litellm::{LiteLlm, Mode};
use support::*;

const KEY: &str = "sk-master-0d9f8e7c";

/// The model the fixtures register.
const MODEL: &str = "mistral-vllm";
/// The fixtures' ApiBase: the stack's load balancer.
const LB_DNS: &str = "internal-lisa-mistral-1234567890.us-east-1.elb.amazonaws.com";
const LB_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lisa-mistral/50dc6c495c0c9188";

fn stack_id_of(stack: &str) -> String {
    format!(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/5b6a8f40-cb7e-11ef-9a6b-0affd1b2c3d4"
    )
}

/// One test's world.
struct World {
    litellm: LiteLlm,
    answers: Answers,
    lambda: LambdaApi,
    secret: String,
    stack: String,
    target_group: String,
    /// What CloudFormation says about the stacks.
    cloud: Cloud,
}

impl World {
    async fn new(mode: Mode) -> World {
        Self::with_entries(mode, Vec::new()).await
    }

    async fn with_entries(mode: Mode, entries: Vec<Value>) -> World {
        let w = World {
            litellm: LiteLlm::start_with(KEY, mode, entries).await,
            answers: Answers::start().await,
            lambda: LambdaApi::start().await,
            secret: secret(KEY).await,
            stack: stack_name(MODEL),
            target_group: target_group().await,
            cloud: Cloud::default(),
        };
        // The hosted model's stack: its registration, load balancer and target group.
        let stack_id = w.stack_id();
        w.cloud.set_resource(
            &stack_id,
            "Registration",
            RESOURCE_TYPE,
            None,
            "CREATE_IN_PROGRESS",
        );
        w.cloud
            .set_load_balancer(&stack_id, "LoadBalancer", LB_ARN, LB_DNS);
        w.cloud.set_resource(
            &stack_id,
            "LoadBalancerTargetGroup",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            Some(&w.target_group),
            "CREATE_COMPLETE",
        );
        w
    }

    fn stack_id(&self) -> String {
        stack_id_of(&self.stack)
    }

    fn id(&self) -> String {
        registration_id(&self.stack_id(), MODEL)
    }

    fn request(&self, name: &str, extra: &[(&str, &str)]) -> Value {
        let url = self.answers.url();
        let endpoint = self.litellm.server.url();
        let id = self.id();
        let mut fill = vec![
            ("RESPONSE_URL", url.as_str()),
            ("STACK", self.stack.as_str()),
            ("ENDPOINT", endpoint.as_str()),
            ("SECRET", self.secret.as_str()),
            ("TARGET_GROUP", self.target_group.as_str()),
            ("BUDGET", "30"),
            ("PHYSICAL_ID", id.as_str()),
            ("ENABLED", "true"),
            ("OLD_ENABLED", "true"),
        ];
        for (k, v) in extra {
            fill.retain(|(key, _)| key != k);
            fill.push((k, v));
        }
        fixture(name, &fill)
    }

    /// A LiteLLM-only model's request: no target group, no budget, no api_base; the stack has
    /// no load balancer from then on.
    fn litellm_only(&self, name: &str) -> Value {
        for logical_id in ["LoadBalancer", "LoadBalancerTargetGroup"] {
            self.cloud.remove_resource(&self.stack_id(), logical_id);
        }
        let mut r = self.request(name, &[]);
        for key in ["TargetGroupArn", "LoadBudgetSeconds", "ApiBase"] {
            set_property(&mut r, key, None);
        }
        set_property(
            &mut r,
            "LiteLlmModel",
            Some("bedrock/amazon.titan-text-express-v1"),
        );
        r
    }

    /// Runs a request CloudFormation makes: its resource is in progress as the request says.
    async fn run(&self, request: Value) -> Handled {
        self.run_with(request, fast_settings(), 30.0).await
    }

    /// Runs a request whatever CloudFormation says about its stack (a crafted one).
    async fn run_crafted(&self, request: Value) -> Handled {
        self.run_trusting(request, fast_settings(), 30.0, self.pinned(), false)
            .await
    }

    /// Marks the request's resource as CloudFormation does while it makes the request.
    fn in_progress(&self, request: &Value) {
        let inner = request.get("request").unwrap_or(request);
        let (Some(kind), Some(stack_id), Some(logical_id)) = (
            inner["RequestType"].as_str(),
            inner["StackId"].as_str(),
            inner["LogicalResourceId"].as_str(),
        ) else {
            return;
        };
        self.cloud.set_resource(
            stack_id,
            logical_id,
            RESOURCE_TYPE,
            None,
            &format!("{}_IN_PROGRESS", kind.to_uppercase()),
        );
    }

    /// What this world's function trusts: its LiteLLM stand-in and its secret.
    fn pinned(&self) -> Pinned {
        pinned(&self.litellm.server.url(), &self.secret)
    }

    async fn run_with(&self, request: Value, settings: Settings, seconds: f64) -> Handled {
        self.run_trusting(request, settings, seconds, self.pinned(), true)
            .await
    }

    async fn run_trusting(
        &self,
        request: Value,
        settings: Settings,
        seconds: f64,
        pinned: Pinned,
        from_cloudformation: bool,
    ) -> Handled {
        if from_cloudformation {
            self.in_progress(&request);
        }
        self.registrar(settings, pinned)
            .await
            .run(request, invocation(seconds))
            .await
            .expect("answered")
    }

    async fn registrar(&self, settings: Settings, pinned: Pinned) -> Arc<Registrar> {
        registrar(
            &self.lambda.server.url(),
            settings,
            pinned,
            Arc::new(self.cloud.clone()),
        )
        .await
    }

    fn ids(&self) -> Vec<String> {
        self.litellm
            .entries()
            .iter()
            .map(|e| {
                e["model_info"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// The one answer PUT to the ResponseURL, after checking LiteLLM saw only valid calls.
    fn answer(&self) -> Value {
        assert_eq!(
            self.litellm.violations(),
            Vec::<String>::new(),
            "calls break LiteLLM's API"
        );
        self.answers.only()
    }
}

fn assert_success(answer: &Value, id: &str) {
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(answer["Data"][MODEL_ID_ATTRIBUTE], id);
    assert_eq!(answer["LogicalResourceId"], "Registration");
    assert_eq!(answer["RequestId"].as_str().map(str::len), Some(36));
}

/// A refused delete: SUCCESS, so CloudFormation finishes deleting the stack, with the
/// request's own physical id, no attributes and the reason nothing was removed.
fn assert_declined(answer: &Value, physical_id: &str, words: &[&str]) {
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], physical_id);
    assert!(answer["Data"].get(MODEL_ID_ATTRIBUTE).is_none(), "{answer}");
    let reason = answer["Reason"].as_str().expect("a reason");
    for w in words.iter().chain(&["nothing was removed"]) {
        assert!(reason.contains(w), "reason {reason:?} lacks {w:?}");
    }
}

fn assert_failed(answer: &Value, words: &[&str]) -> String {
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().expect("a reason").to_owned();
    for w in words {
        assert!(reason.contains(w), "reason {reason:?} lacks {w:?}");
    }
    assert!(
        !reason.contains(KEY),
        "the reason leaks the master key: {reason}"
    );
    reason
}

// ---------------------------------------------------------------------------------------------
// Create

#[tokio::test]
async fn create_of_a_litellm_only_model_registers_it_under_a_stable_id() {
    let w = World::new(Mode::Normal).await;
    let outcome = w.run(w.litellm_only("create")).await;
    let answer = w.answer();
    assert_success(&answer, &w.id());
    assert!(matches!(outcome, Handled::Answered(_)));
    let entries = w.litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["model_name"], "mistral-vllm");
    assert_eq!(
        entries[0]["litellm_params"],
        json!({"model": "bedrock/amazon.titan-text-express-v1"})
    );
    assert_eq!(
        entries[0]["model_info"],
        json!({"id": w.id(), "mode": "chat"})
    );
    let calls = w.litellm.calls();
    assert_eq!(
        calls.last().map(String::as_str),
        Some(format!("GET /model/info?litellm_model_id={}", w.id()).as_str()),
        "read back after the write: {calls:?}"
    );
}

#[tokio::test]
async fn create_retried_reuses_the_registration() {
    let w = World::new(Mode::Normal).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    w.run(w.litellm_only("create")).await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(w.ids(), vec![w.id()]);
    let adds = w
        .litellm
        .calls()
        .iter()
        .filter(|c| *c == "POST /model/new")
        .count();
    assert_eq!(adds, 1, "the retry adds nothing");
}

#[tokio::test]
async fn create_of_a_hosted_model_registers_once_a_target_is_healthy() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("create", &[])).await;
    assert_success(&w.answer(), &w.id());
    let entries = w.litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["litellm_params"]["api_base"],
        "http://internal-lisa-mistral-1234567890.us-east-1.elb.amazonaws.com/v1"
    );
}

/// After an odd number of blue/green deployments the serving tasks are in the alternate target
/// group and the first one is empty: a registration (a start, a metadata update) must count
/// them there, or it fails a model that serves.
#[tokio::test]
async fn a_model_serving_from_its_alternate_target_group_is_ready() {
    let w = World::new(Mode::Normal).await;
    let green = target_group().await;
    w.cloud.set_resource(
        &w.stack_id(),
        "Green",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        Some(&green),
        "CREATE_COMPLETE",
    );
    add_healthy_target(&green).await;
    let mut request = w.request("create", &[("BUDGET", "1")]);
    set_property(&mut request, "AlternateTargetGroupArn", Some(&green));
    w.run(request).await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(w.litellm.entries().len(), 1);

    // Neither group serving: the failure names both and what each holds.
    let w = World::new(Mode::Normal).await;
    let green = target_group().await;
    w.cloud.set_resource(
        &w.stack_id(),
        "Green",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        Some(&green),
        "CREATE_COMPLETE",
    );
    let mut request = w.request("create", &[("BUDGET", "1")]);
    set_property(&mut request, "AlternateTargetGroupArn", Some(&green));
    w.run(request).await;
    assert_failed(
        &w.answer(),
        &["did not become healthy", &w.target_group, &green],
    );
    assert!(w.litellm.entries().is_empty());
}

#[tokio::test]
async fn create_of_a_tgi_model_sends_a_placeholder_api_key() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    let mut r = w.request("create", &[]);
    set_property(
        &mut r,
        "LiteLlmModel",
        Some("openai/tiiuae/falcon-7b-instruct"),
    );
    w.run(r).await;
    assert_success(&w.answer(), &w.id());
    assert!(w.litellm.entries()[0]["litellm_params"]["api_key"].is_string());
}

#[tokio::test]
async fn create_of_a_stopped_model_registers_nothing_but_returns_the_id() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.request("create", &[]);
    set_property(&mut r, "Enabled", Some("false"));
    w.run(r).await;
    assert_success(&w.answer(), &w.id());
    assert!(w.litellm.entries().is_empty());
}

#[tokio::test]
async fn a_model_that_never_becomes_healthy_fails_within_its_budget_and_stays_unregistered() {
    let w = World::new(Mode::Normal).await;
    w.run(w.request("create", &[("BUDGET", "1")])).await;
    let answer = w.answer();
    assert_failed(
        &answer,
        &[
            "did not become healthy",
            "1 s",
            &w.target_group,
            "no targets registered",
        ],
    );
    assert_eq!(
        answer["PhysicalResourceId"],
        w.id(),
        "the rollback's delete finds nothing to remove"
    );
    assert!(w.litellm.entries().is_empty());
    assert!(
        w.litellm.calls().is_empty(),
        "LiteLLM is not touched: {:?}",
        w.litellm.calls()
    );
}

#[tokio::test]
async fn a_slow_load_is_handed_on_to_a_fresh_invocation_that_registers_it() {
    let w = World::new(Mode::Normal).await;
    let settings = Settings {
        litellm_timeout: Duration::from_secs(1),
        ..fast_settings()
    };
    // 4.5 s of this invocation are kept for the registration: it can wait only briefly.
    let outcome = w
        .run_with(
            w.request("create", &[("BUDGET", "120")]),
            settings.clone(),
            5.0,
        )
        .await;
    let Handled::HandedOn(relayed) = outcome else {
        panic!("handed on: {outcome:?}")
    };
    assert_eq!(w.answers.count(), 0, "no answer yet");
    let events = w.lambda.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["hop"], 1);
    assert_eq!(
        events[0]["request"],
        w.request("create", &[("BUDGET", "120")])
    );
    assert_eq!(serde_json::to_value(&relayed).expect("json"), events[0]);
    let path = w.lambda.invoked.lock().expect("not poisoned")[0]
        .path
        .clone();
    assert!(path.contains("lisa-registrar"), "invokes itself: {path}");

    add_healthy_target(&w.target_group).await;
    w.run_with(events[0].clone(), settings, 30.0).await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(w.ids(), vec![w.id()]);
}

#[tokio::test]
async fn a_hand_on_that_fails_is_answered() {
    let w = World::new(Mode::Normal).await;
    let settings = Settings {
        litellm_timeout: Duration::from_secs(1),
        ..fast_settings()
    };
    let nowhere = format!("http://127.0.0.1:{}", server::closed_port());
    registrar(&nowhere, settings, w.pinned(), Arc::new(w.cloud.clone()))
        .await
        .run(w.request("create", &[("BUDGET", "120")]), invocation(6.0))
        .await
        .expect("answered");
    let answer = w.answers.only();
    assert_failed(
        &answer,
        &[
            "cannot hand the request on",
            FUNCTION_ARN,
            "lambda:InvokeFunction",
        ],
    );
    assert_eq!(answer["PhysicalResourceId"], w.id());
}

#[tokio::test]
async fn the_budget_counts_from_the_first_invocation() {
    let w = World::new(Mode::Normal).await;
    let relayed = json!({
        "lisaRelay": 1,
        "firstSeenMs": 1_000u64,
        "hop": 3,
        "request": w.request("create", &[("BUDGET", "600")]),
    });
    w.run(relayed).await;
    assert_failed(&w.answer(), &["did not become healthy", "600 s"]);
}

// ---------------------------------------------------------------------------------------------
// Update

#[tokio::test]
async fn stopping_removes_the_registration_and_keeps_the_id() {
    let w = World::new(Mode::Normal).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    let mut r = w.litellm_only("update");
    set_property(&mut r, "Enabled", Some("false"));
    w.run(r).await;
    assert_success(&w.answer(), &w.id());
    assert!(w.litellm.entries().is_empty());
}

#[tokio::test]
async fn starting_registers_again_once_healthy() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("update", &[("OLD_ENABLED", "false")]))
        .await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(w.ids(), vec![w.id()]);
}

#[tokio::test]
async fn starting_a_model_that_never_becomes_healthy_fails() {
    let w = World::new(Mode::Normal).await;
    w.run(w.request("update", &[("OLD_ENABLED", "false"), ("BUDGET", "1")]))
        .await;
    assert_failed(&w.answer(), &["did not become healthy"]);
    assert!(w.litellm.entries().is_empty());
}

#[tokio::test]
async fn changed_parameters_replace_the_registration() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("create", &[])).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    // The update replaced the load balancer.
    w.cloud.set_load_balancer(
        &w.stack_id(),
        "LoadBalancer",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1",
        "internal-other.us-east-1.elb.amazonaws.com",
    );
    let mut r = w.request("update", &[]);
    set_property(&mut r, "Mode", Some("embedding"));
    set_property(
        &mut r,
        "ApiBase",
        Some("http://internal-other.us-east-1.elb.amazonaws.com/v1"),
    );
    w.run(r).await;
    assert_success(&w.answer(), &w.id());
    let entries = w.litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["model_info"]["mode"], "embedding");
    assert_eq!(
        entries[0]["litellm_params"]["api_base"],
        "http://internal-other.us-east-1.elb.amazonaws.com/v1"
    );
}

#[tokio::test]
async fn an_update_that_changes_nothing_for_litellm_writes_nothing() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("create", &[])).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    w.run(w.request("update", &[("BUDGET", "900")])).await;
    assert_success(&w.answer(), &w.id());
    let writes = w
        .litellm
        .calls()
        .iter()
        .filter(|c| c.starts_with("POST"))
        .count();
    assert_eq!(writes, 1, "only the create wrote: {:?}", w.litellm.calls());
}

// ---------------------------------------------------------------------------------------------
// Delete

#[tokio::test]
async fn delete_removes_the_registration() {
    let w = World::new(Mode::Normal).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    w.run(w.request("delete", &[])).await;
    assert_success(&w.answer(), &w.id());
    assert!(w.litellm.entries().is_empty());
}

#[tokio::test]
async fn delete_of_an_unknown_id_succeeds() {
    let w = World::new(Mode::Normal).await;
    w.run(w.request("delete", &[("PHYSICAL_ID", "Registration-unregistered")]))
        .await;
    let answer = w.answer();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], "Registration-unregistered");
    assert!(!w.litellm.calls().iter().any(|c| c.starts_with("POST")));
}

#[tokio::test]
async fn delete_leaves_other_entries_alone() {
    let other = json!({"model_name": "other", "litellm_params": {"model": "bedrock/x"}, "model_info": {"id": "other-1"}});
    let w = World::with_entries(Mode::Normal, vec![other.clone()]).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    w.run(w.request("delete", &[])).await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(w.litellm.entries(), vec![other]);
}

// ---------------------------------------------------------------------------------------------
// Failures: every one is answered, with a reason an operator can act on and no secret

#[tokio::test]
async fn litellm_down_fails_with_the_endpoint() {
    let w = World::new(Mode::Normal).await;
    let down = format!("http://127.0.0.1:{}", server::closed_port());
    let mut r = w.litellm_only("create");
    set_property(&mut r, "LiteLlmEndpoint", Some(&down));
    let trusted = pinned(&down, &w.secret);
    w.run_trusting(r, fast_settings(), 30.0, trusted, true)
        .await;
    assert_failed(
        &w.answers.only(),
        &["cannot reach LiteLLM at", &down, "LiteLlmEndpoint"],
    );
}

#[tokio::test]
async fn litellm_slow_past_the_deadline_is_answered_before_the_deadline() {
    let w = World::new(Mode::Slow(Duration::from_secs(30))).await;
    // The answer is due 1.5 s before the 4 s deadline: the check has that much slack.
    let settings = Settings {
        answer_margin: Duration::from_millis(1500),
        ..fast_settings()
    };
    let started = Instant::now();
    w.run_with(w.litellm_only("create"), settings, 4.0).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered before the deadline"
    );
    let answer = w.answers.only();
    let reason = assert_failed(
        &answer,
        &["deadline", "waiting for LiteLLM at", "GET /model/info"],
    );
    assert!(reason.contains(&w.litellm.server.url()), "{reason}");
    assert_eq!(
        answer["PhysicalResourceId"],
        w.id(),
        "a rollback's delete removes whatever the cut-short create added"
    );
}

#[tokio::test]
async fn an_update_cut_short_keeps_its_physical_id() {
    let w = World::new(Mode::Slow(Duration::from_secs(30))).await;
    let mut r = w.request("update", &[("PHYSICAL_ID", "mistral-vllm-feedfacecafe")]);
    set_property(&mut r, "TargetGroupArn", None);
    w.run_with(r, fast_settings(), 2.0).await;
    let answer = w.answers.only();
    assert_failed(&answer, &["deadline"]);
    assert_eq!(answer["PhysicalResourceId"], "mistral-vllm-feedfacecafe");
}

#[tokio::test]
async fn a_refusal_from_litellm_fails_with_its_detail_and_no_key() {
    let w = World::new(Mode::RejectWrites(400)).await;
    w.run(w.litellm_only("create")).await;
    let reason = assert_failed(
        &w.answer(),
        &["answered 400 to POST /model/new", "Invalid model params"],
    );
    assert!(
        reason.contains("[redacted]"),
        "the key LiteLLM echoed is redacted: {reason}"
    );
}

#[tokio::test]
async fn a_wrong_master_key_says_to_check_the_secret() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.litellm_only("create");
    let wrong = secret("sk-not-the-key").await;
    set_property(&mut r, "MasterKeySecretArn", Some(&wrong));
    let trusted = pinned(&w.litellm.server.url(), &wrong);
    w.run_trusting(r, fast_settings(), 30.0, trusted, true)
        .await;
    let reason = assert_failed(&w.answers.only(), &["401", "master key"]);
    assert!(!reason.contains("sk-not-the-key"), "{reason}");
}

#[tokio::test]
async fn a_missing_secret_names_the_secret_and_the_permission() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.litellm_only("create");
    let missing = format!(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}",
        unique("gone")
    );
    set_property(&mut r, "MasterKeySecretArn", Some(&missing));
    let trusted = pinned(&w.litellm.server.url(), &missing);
    w.run_trusting(r, fast_settings(), 30.0, trusted, true)
        .await;
    assert_failed(
        &w.answers.only(),
        &[
            "cannot read the LiteLLM master key",
            &missing,
            "secretsmanager:GetSecretValue",
        ],
    );
}

#[tokio::test]
async fn a_duplicate_model_name_is_refused() {
    let theirs = json!({"model_name": "mistral-vllm", "litellm_params": {"model": "bedrock/x"}, "model_info": {"id": "hand-made-1"}});
    let w = World::with_entries(Mode::Normal, vec![theirs.clone()]).await;
    w.run(w.litellm_only("create")).await;
    assert_failed(
        &w.answer(),
        &[
            "already serves a model named \"mistral-vllm\"",
            "hand-made-1",
        ],
    );
    assert_eq!(w.litellm.entries(), vec![theirs], "nothing added");
}

#[tokio::test]
async fn a_write_litellm_does_not_keep_fails() {
    let w = World::new(Mode::ForgetWrites).await;
    w.run(w.litellm_only("create")).await;
    assert_failed(&w.answer(), &["does not list it", "database"]);
}

#[tokio::test]
async fn malformed_properties_fail_and_their_delete_succeeds() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.litellm_only("create");
    set_property(&mut r, "Enabled", Some("maybe"));
    w.run(r).await;
    let answer = w.answers.only();
    assert_failed(&answer, &["properties are invalid", "maybe"]);
    let physical = answer["PhysicalResourceId"]
        .as_str()
        .expect("an id")
        .to_owned();
    w.answers.seen.lock().expect("not poisoned").clear();
    let mut d = w.request("delete", &[("PHYSICAL_ID", &physical)]);
    set_property(&mut d, "Enabled", Some("maybe"));
    w.run(d).await;
    assert_eq!(w.answers.only()["Status"], "SUCCESS");
}

#[tokio::test]
async fn a_panic_is_answered() {
    let w = World::new(Mode::Normal).await;
    let registrar = w.registrar(fast_settings(), w.pinned()).await;
    let outcome = registrar
        .run_with(
            w.litellm_only("create"),
            invocation(10.0),
            |_event, progress| async move {
                progress.stage("adding the model to LiteLLM");
                progress.secret(KEY);
                if progress.current().is_empty() {
                    return Step::HandOn(serde_json::from_value(json!({})).expect("never"));
                }
                panic!("index out of bounds with key {KEY}")
            },
        )
        .await
        .expect("answered");
    assert!(matches!(outcome, Handled::Answered(_)));
    assert_failed(
        &w.answers.only(),
        &[
            "failed unexpectedly",
            "adding the model to LiteLLM",
            "index out of bounds",
        ],
    );
}

#[tokio::test]
async fn an_event_without_a_response_url_is_an_error_not_an_answer() {
    let w = World::new(Mode::Normal).await;
    let registrar = w.registrar(fast_settings(), w.pinned()).await;
    let result = registrar
        .run(json!({"hello": "world"}), invocation(10.0))
        .await;
    assert!(result.is_err());
    assert_eq!(w.answers.count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Trust: the function serves its own deployment, with its own endpoint and secret

/// A host that records whatever reaches it (it should never be reached).
async fn attacker() -> (
    server::Server,
    std::sync::Arc<std::sync::Mutex<Vec<server::Seen>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let shared = std::sync::Arc::clone(&seen);
    let handler: server::Handler = std::sync::Arc::new(move |s: server::Seen| {
        shared.lock().expect("not poisoned").push(s);
        Box::pin(async { (200, Vec::new(), r#"{"data": []}"#.to_owned()) })
    });
    (server::serve(handler).await, seen)
}

#[tokio::test]
async fn a_request_naming_another_endpoint_is_refused_before_the_key_is_read() {
    let w = World::new(Mode::Normal).await;
    let (host, seen) = attacker().await;
    for kind in ["create", "update", "delete"] {
        w.answers.seen.lock().expect("not poisoned").clear();
        let mut r = w.litellm_only(kind);
        set_property(&mut r, "LiteLlmEndpoint", Some(&host.url()));
        w.run(r).await;
        let answer = w.answers.only();
        let words = ["refused", "LiteLlmEndpoint", &host.url()];
        match kind {
            // A refused delete lets the stack's delete finish (see below).
            "delete" => assert_declined(&answer, &w.id(), &words),
            _ => {
                assert_failed(&answer, &words);
            }
        }
        if kind != "create" {
            assert_eq!(answer["PhysicalResourceId"], w.id(), "{kind} keeps its id");
        }
    }
    assert!(
        seen.lock().expect("not poisoned").is_empty(),
        "the host was reached"
    );
    assert!(w.litellm.calls().is_empty(), "{:?}", w.litellm.calls());
}

#[tokio::test]
async fn a_request_naming_another_secret_is_refused() {
    let w = World::new(Mode::Normal).await;
    let theirs = secret("sk-someone-elses").await;
    let mut r = w.litellm_only("create");
    set_property(&mut r, "MasterKeySecretArn", Some(&theirs));
    w.run(r).await;
    assert_failed(
        &w.answers.only(),
        &["refused", "MasterKeySecretArn", &theirs],
    );
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn a_stack_outside_the_deployment_is_refused() {
    let w = World::new(Mode::Normal).await;
    let outside = format!("does not start with {:?}", model_stack_prefix(DEPLOYMENT));
    let outsiders = [
        (
            stack_id_of(&format!("{}{MODEL}", model_stack_prefix("other"))),
            outside.clone(),
        ),
        (
            // A deployment whose name starts with this one's.
            stack_id_of(&format!("{}{MODEL}", model_stack_prefix("lisaprod"))),
            outside,
        ),
        (
            w.stack_id().replace(":123456789012:", ":210987654321:"),
            "account 210987654321".to_owned(),
        ),
        (
            w.stack_id().replace(":us-east-1:", ":eu-west-1:"),
            "region eu-west-1".to_owned(),
        ),
    ];
    for (stack_id, why) in outsiders {
        w.answers.seen.lock().expect("not poisoned").clear();
        let mut r = w.litellm_only("create");
        r["StackId"] = json!(stack_id);
        w.run(r).await;
        assert_failed(&w.answers.only(), &["refused", &stack_id, &why]);
    }
    assert!(w.litellm.calls().is_empty(), "{:?}", w.litellm.calls());
}

#[tokio::test]
async fn the_rollback_of_a_refused_create_succeeds_without_a_call() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.litellm_only("create");
    r["StackId"] = json!(stack_id_of(&format!(
        "{}{MODEL}",
        model_stack_prefix("other")
    )));
    w.run(r.clone()).await;
    let answer = w.answers.only();
    let physical = answer["PhysicalResourceId"]
        .as_str()
        .expect("an id")
        .to_owned();
    w.answers.seen.lock().expect("not poisoned").clear();
    let mut d = w.litellm_only("delete");
    d["StackId"] = r["StackId"].clone();
    d["PhysicalResourceId"] = json!(physical);
    w.run(d).await;
    assert_eq!(w.answers.only()["Status"], "SUCCESS");
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn a_function_without_its_pinned_settings_refuses_every_request() {
    let w = World::new(Mode::Normal).await;
    let mut registrar = (*w.registrar(fast_settings(), w.pinned()).await).clone();
    registrar.pinned =
        Err(lisa_constructs::ecs_model::registration::function::ENV_LITELLM_ENDPOINT);
    std::sync::Arc::new(registrar)
        .run(w.litellm_only("create"), invocation(10.0))
        .await
        .expect("answered");
    assert_failed(
        &w.answers.only(),
        &["not configured", "LISA_LITELLM_ENDPOINT"],
    );
    assert!(w.litellm.calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Trust: a request is checked against the stack it claims to come from

/// Another model's registration, in another stack of the deployment.
fn victim() -> (String, Value) {
    let stack_id = stack_id_of(&stack_name("victim"));
    let id = registration_id(&stack_id, "victim");
    let entry = json!({
        "model_name": "victim",
        "litellm_params": {"model": "hosted_vllm/victim", "api_base": "http://internal-victim.us-east-1.elb.amazonaws.com/v1"},
        "model_info": {"id": id, "mode": "chat"},
    });
    (stack_id, entry)
}

fn removals(w: &World) -> Vec<String> {
    w.litellm
        .calls()
        .into_iter()
        .filter(|c| c == "POST /model/delete")
        .collect()
}

#[tokio::test]
async fn a_delete_naming_another_models_id_removes_nothing() {
    let (_, entry) = victim();
    let w = World::with_entries(Mode::Normal, vec![entry.clone()]).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    let theirs = entry["model_info"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // CloudFormation is deleting this stack, but the request names the victim's entry.
    w.run(w.request("delete", &[("PHYSICAL_ID", &theirs)]))
        .await;
    assert_declined(
        &w.answer(),
        &theirs,
        &["refused", &theirs, &w.id(), "not the registration id"],
    );
    assert_eq!(removals(&w), Vec::<String>::new());
    assert_eq!(w.ids(), vec![theirs, w.id()], "both entries are kept");
}

#[tokio::test]
async fn a_delete_any_id_not_derived_from_its_stack_and_model_removes_nothing() {
    let w = World::new(Mode::Normal).await;
    w.run(w.litellm_only("create")).await;
    for (physical, model) in [
        ("mistral-vllm-000000000000", MODEL),
        ("Registration", MODEL),
        // The id is derived from the stack's own model, not the ModelId the request gives.
        (&registration_id(&w.stack_id(), "other") as &str, "other"),
    ] {
        w.answers.seen.lock().expect("not poisoned").clear();
        let mut d = w.request("delete", &[("PHYSICAL_ID", physical)]);
        set_property(&mut d, "ModelId", Some(model));
        w.run(d).await;
        assert_declined(&w.answer(), physical, &["refused"]);
    }
    assert_eq!(removals(&w), Vec::<String>::new());
    assert_eq!(w.ids(), vec![w.id()]);
}

#[tokio::test]
async fn a_delete_of_a_stack_cloudformation_is_not_deleting_removes_nothing() {
    let (victim_stack, entry) = victim();
    let w = World::with_entries(Mode::Normal, vec![entry.clone()]).await;
    let theirs = entry["model_info"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let stack = stack_name("victim");
    let crafted = |w: &World| {
        let mut d = w.request("delete", &[("PHYSICAL_ID", &theirs), ("STACK", &stack)]);
        set_property(&mut d, "ModelId", Some("victim"));
        d
    };
    // The victim's stack is unknown to CloudFormation, then complete (serving), then being
    // updated: the request names its stack, model and id correctly, but no delete is under way.
    w.run_crafted(crafted(&w)).await;
    assert_declined(&w.answer(), &theirs, &["refused", &stack, "no such stack"]);
    for status in ["CREATE_COMPLETE", "UPDATE_IN_PROGRESS"] {
        w.cloud.set_resource(
            &victim_stack,
            "Registration",
            RESOURCE_TYPE,
            Some(&theirs),
            status,
        );
        w.answers.seen.lock().expect("not poisoned").clear();
        w.run_crafted(crafted(&w)).await;
        assert_declined(
            &w.answer(),
            &theirs,
            &["refused", status, "DELETE_IN_PROGRESS"],
        );
    }
    assert_eq!(removals(&w), Vec::<String>::new());
    assert_eq!(w.litellm.entries(), vec![entry]);
}

#[tokio::test]
async fn a_delete_that_cannot_be_checked_fails_and_removes_nothing() {
    let w = World::new(Mode::Normal).await;
    w.run(w.litellm_only("create")).await;
    w.answers.seen.lock().expect("not poisoned").clear();
    w.cloud
        .fail("AccessDenied: not authorized to perform cloudformation:DescribeStackResources");
    w.run(w.request("delete", &[])).await;
    let answer = w.answer();
    assert_failed(
        &answer,
        &[
            "cannot check",
            &w.stack_id(),
            "AccessDenied",
            "cloudformation:DescribeStackResources",
        ],
    );
    assert_eq!(answer["PhysicalResourceId"], w.id());
    assert_eq!(w.ids(), vec![w.id()]);
}

#[tokio::test]
async fn a_create_from_a_stack_cloudformation_does_not_know_is_refused() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    let ghost = stack_name("ghost");
    let mut r = w.request("create", &[("STACK", &ghost)]);
    set_property(&mut r, "ModelId", Some("ghost"));
    w.run_crafted(r).await;
    let answer = w.answer();
    assert_failed(&answer, &["refused", &ghost, "no such stack"]);
    assert_eq!(answer["PhysicalResourceId"], "Registration-unregistered");
    assert!(w.litellm.calls().is_empty(), "{:?}", w.litellm.calls());
}

#[tokio::test]
async fn a_create_or_update_whose_resource_is_not_in_progress_is_refused() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("create", &[])).await;
    let before = w.litellm.entries();
    // The stack is serving: a replayed create, or an update that would stop the model.
    let stack_id = w.stack_id();
    for (request, status) in [
        (w.request("create", &[]), "CREATE_COMPLETE"),
        (
            w.request("update", &[("ENABLED", "false")]),
            "UPDATE_COMPLETE",
        ),
        (
            w.request("update", &[("ENABLED", "false")]),
            "CREATE_IN_PROGRESS",
        ),
        (w.request("create", &[]), "DELETE_IN_PROGRESS"),
    ] {
        w.cloud.set_status(&stack_id, "Registration", status);
        w.answers.seen.lock().expect("not poisoned").clear();
        w.run_crafted(request).await;
        assert_failed(&w.answer(), &["refused", "Registration", status]);
    }
    assert_eq!(w.litellm.entries(), before, "the entry is untouched");
    assert_eq!(removals(&w), Vec::<String>::new());
}

#[tokio::test]
async fn a_create_naming_a_resource_that_is_not_a_registration_is_refused() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    let mut r = w.request("create", &[]);
    r["LogicalResourceId"] = json!("Service");
    w.cloud.set_resource(
        &w.stack_id(),
        "Service",
        "AWS::ECS::Service",
        None,
        "CREATE_IN_PROGRESS",
    );
    w.run_crafted(r).await;
    assert_failed(&w.answer(), &["refused", "Service", "AWS::ECS::Service"]);
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn a_model_name_other_than_the_stacks_model_is_refused() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    let mut r = w.request("create", &[]);
    set_property(&mut r, "ModelId", Some("gpt-4o"));
    w.run(r).await;
    assert_failed(&w.answer(), &["refused", "gpt-4o", "mistral-vllm"]);
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn a_create_whose_api_base_is_not_the_stacks_load_balancer_is_refused() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    let (host, seen) = attacker().await;
    for api_base in [
        format!("{}/v1", host.url()),
        "http://internal-victim.us-east-1.elb.amazonaws.com/v1".to_owned(),
        format!("http://{LB_DNS}.evil.example/v1"),
        format!("http://{LB_DNS}@evil.example/v1"),
        format!("http://{LB_DNS}:8080/v1"),
        format!("http://{LB_DNS}/v1/../evil"),
    ] {
        w.answers.seen.lock().expect("not poisoned").clear();
        let mut r = w.request("create", &[]);
        set_property(&mut r, "ApiBase", Some(&api_base));
        w.run(r).await;
        assert_failed(&w.answer(), &["refused", "ApiBase", &api_base, LB_DNS]);
    }
    assert!(w.litellm.calls().is_empty(), "{:?}", w.litellm.calls());
    assert!(seen.lock().expect("not poisoned").is_empty());
}

#[tokio::test]
async fn an_update_moving_the_model_to_another_host_is_refused_and_keeps_the_entry() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.run(w.request("create", &[])).await;
    let before = w.litellm.entries();
    w.answers.seen.lock().expect("not poisoned").clear();
    let mut r = w.request("update", &[]);
    set_property(&mut r, "ApiBase", Some("https://prompts.evil.example/v1"));
    w.run(r).await;
    let answer = w.answer();
    assert_failed(&answer, &["refused", "prompts.evil.example"]);
    assert_eq!(answer["PhysicalResourceId"], w.id());
    assert_eq!(w.litellm.entries(), before);
}

#[tokio::test]
async fn a_hosted_stacks_registration_without_api_base_is_refused() {
    let w = World::new(Mode::Normal).await;
    let mut r = w.request("create", &[]);
    for key in ["ApiBase", "TargetGroupArn", "LoadBudgetSeconds"] {
        set_property(&mut r, key, None);
    }
    w.run(r).await;
    assert_failed(&w.answer(), &["refused", "no ApiBase", LB_DNS]);
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn an_api_base_on_a_stack_without_a_load_balancer_is_refused() {
    let w = World::new(Mode::Normal).await;
    // A LiteLLM-only model's stack holds only its registration.
    let stack = &stack_name("titan");
    w.cloud.set_resource(
        &stack_id_of(stack),
        "Registration",
        RESOURCE_TYPE,
        None,
        "CREATE_IN_PROGRESS",
    );
    let mut r = w.litellm_only("create");
    r["StackId"] = json!(stack_id_of(stack));
    set_property(&mut r, "ModelId", Some("titan"));
    set_property(&mut r, "ApiBase", Some("http://llm.evil.example/v1"));
    w.run(r).await;
    assert_failed(
        &w.answer(),
        &["refused", "llm.evil.example", "no load balancer"],
    );
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn a_target_group_of_another_stack_is_refused() {
    let w = World::new(Mode::Normal).await;
    let theirs = target_group().await;
    add_healthy_target(&theirs).await;
    w.run(w.request("create", &[("TARGET_GROUP", &theirs)]))
        .await;
    assert_failed(&w.answer(), &["refused", "TargetGroupArn", &theirs]);
    w.answers.seen.lock().expect("not poisoned").clear();
    let mut r = w.request("create", &[]);
    set_property(&mut r, "AlternateTargetGroupArn", Some(&theirs));
    w.run(r).await;
    assert_failed(
        &w.answer(),
        &["refused", "AlternateTargetGroupArn", &theirs],
    );
    assert!(w.litellm.calls().is_empty());
}

#[tokio::test]
async fn the_stacks_domain_name_is_its_load_balancers_name() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.cloud
        .set_parameter(&w.stack_id(), "DomainName", "llm.example.com");
    let mut r = w.request("create", &[]);
    set_property(&mut r, "ApiBase", Some("https://llm.example.com/v1"));
    w.run(r).await;
    assert_success(&w.answer(), &w.id());
    assert_eq!(
        w.litellm.entries()[0]["litellm_params"]["api_base"],
        "https://llm.example.com/v1"
    );
}

#[tokio::test]
async fn a_request_that_cannot_be_checked_fails_and_writes_nothing() {
    let w = World::new(Mode::Normal).await;
    add_healthy_target(&w.target_group).await;
    w.cloud.fail("Throttling: Rate exceeded");
    w.run(w.request("create", &[])).await;
    assert_failed(
        &w.answer(),
        &[
            "cannot check",
            "Throttling",
            "cloudformation:DescribeStackResources",
        ],
    );
    assert!(w.litellm.calls().is_empty());
}
