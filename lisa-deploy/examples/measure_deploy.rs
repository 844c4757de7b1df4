//! Measures the deployer against moto's server (`LISA_MOTO_ENDPOINT`; `source
//! scripts/start-moto.sh`): the CloudFormation and DynamoDB calls of one create (the call that
//! starts it, and the wait to InService), and the wall time of deploying a folder of 20 models
//! at concurrency 1 and 8 with the command line's default polling (one describe every 4 s ± 20%).
//!
//! `cargo run -p lisa-deploy --example measure_deploy`

#[path = "../tests/common/mod.rs"]
mod common;

use aws_sdk_cloudformation::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_cloudformation::config::{ConfigBag, Intercept};
use aws_sdk_cloudformation::error::BoxError;
use lisa_deploy::{AppliedItem, PlanItem, apply_fleet};
use lisa_deploy::{Clients, Deployer, DeployerOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "Counter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

#[tokio::main]
async fn main() {
    let setup = common::deployment("measure").await;
    let config = common::sdk_config(&common::endpoint()).await;
    let (cfn_calls, ddb_calls) = (Counter::default(), Counter::default());
    let clients = Clients {
        cloudformation: aws_sdk_cloudformation::Client::from_conf(
            aws_sdk_cloudformation::config::Builder::from(&config)
                .interceptor(cfn_calls.clone())
                .build(),
        ),
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .interceptor(ddb_calls.clone())
                .build(),
        ),
        ..Clients::from_config(&config)
    };
    let deployer = Deployer::connect(clients, common::options(&setup.name))
        .await
        .expect("connect");
    cfn_calls.take();
    ddb_calls.take();
    for (label, definition) in [
        ("hosted", common::hosted("counted-hosted")),
        ("LiteLLM-only", common::litellm_only("counted-litellm")),
    ] {
        let id = definition.model_id.to_string();
        deployer.create(definition).await.expect("create");
        let (start_cfn, start_ddb) = (cfn_calls.take(), ddb_calls.take());
        deployer.wait(&id, &mut |_| {}).await.expect("wait");
        let (wait_cfn, wait_ddb) = (cfn_calls.take(), ddb_calls.take());
        println!(
            "one create ({label}): create() {start_cfn} CloudFormation + {start_ddb} DynamoDB calls; \
             wait to InService {wait_cfn} CloudFormation + {wait_ddb} DynamoDB calls"
        );
    }

    for concurrency in [1usize, 8] {
        let d = common::deployment(&format!("fleet{concurrency}")).await;
        let options = DeployerOptions {
            deployment_name: d.name.clone(),
            ..DeployerOptions::default()
        };
        let deployer = Deployer::connect(d.clients.clone(), options)
            .await
            .expect("connect");
        let plan: Vec<PlanItem> = (0..20)
            .map(|i| PlanItem::Create(common::litellm_only(&format!("model-{i:02}"))))
            .collect();
        let started = Instant::now();
        let results = apply_fleet(&deployer, plan, false, concurrency, &mut |_| {}).await;
        let elapsed = started.elapsed();
        assert_eq!(results.len(), 20);
        assert!(results.iter().all(AppliedItem::succeeded));
        println!(
            "deploy of 20 LiteLLM-only models, concurrency {concurrency}: {:.1} s",
            elapsed.as_secs_f64()
        );
    }
}
