//! Embeds `lisa-constructs` in your own infrastructure code: builds a model definition in Rust,
//! synthesizes its stack, and composes a stack of your own from the library's parts.
//!
//! Run it with `cargo run -p embed-stack` (writes two templates to standard output, as one JSON
//! object keyed by stack name).

use lisa_constructs::cfn::Output;
use lisa_constructs::construct::{Stack, StackName};
use lisa_constructs::ecs_model::{self, StackOptions, parameters::Parameters, registration};
use lisa_constructs::model::{
    AlbMetricName, AutoScalingConfig, ContainerConfig, ContainerHealthCheck, Hosting, ImageConfig,
    ImageType, InferenceContainer, LoadBalancerConfig, MetricConfig, ModelDefinition, ModelId,
    ModelType, TargetHealthCheck,
};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// An embedding model served by TEI on a CPU instance, written as typed Rust instead of JSON.
fn embedding_model() -> Result<ModelDefinition, String> {
    Ok(ModelDefinition {
        model_id: ModelId::parse("e5-small-tei")?,
        model_name: "intfloat/e5-small-v2".into(),
        model_type: ModelType::Embedding,
        streaming: Some(false),
        model_url: None,
        hosting: Some(Hosting {
            inference_container: InferenceContainer::Tei,
            instance_type: "m5.xlarge".into(),
            container_config: ContainerConfig {
                image: ImageConfig {
                    base_image: "ghcr.io/huggingface/text-embeddings-inference:cpu-1.5".into(),
                    image_type: ImageType::External,
                },
                shared_memory_size: 1024,
                environment: BTreeMap::from([("MAX_BATCH_TOKENS".into(), "16384".into())]),
                health_check_config: ContainerHealthCheck {
                    command: vec![
                        "CMD-SHELL".into(),
                        "curl -f http://localhost:8080/health || exit 1".into(),
                    ],
                    interval: None,
                    start_period: Some(60),
                    timeout: None,
                    retries: None,
                },
            },
            auto_scaling_config: AutoScalingConfig {
                min_capacity: 1,
                max_capacity: 3,
                desired_capacity: None,
                cooldown: 300,
                default_instance_warmup: 120,
                block_device_volume_size: None,
                metric_config: MetricConfig {
                    alb_metric_name: AlbMetricName::RequestCountPerTarget,
                    target_value: 600.0,
                    duration: 60,
                    estimated_instance_warmup: 120,
                },
            },
            load_balancer_config: LoadBalancerConfig {
                health_check_config: TargetHealthCheck {
                    path: "/health".into(),
                    interval: 30,
                    timeout: 5,
                    healthy_threshold_count: 2,
                    unhealthy_threshold_count: 3,
                },
            },
        }),
    })
}

/// A stack of your own that registers several Bedrock models with LiteLLM, built from the
/// library's parameter and registration parts.
fn bedrock_catalog_stack() -> Result<Stack, Box<dyn std::error::Error>> {
    let mut stack = Stack::new(StackName::new("team-a-bedrock-models")?);
    stack.set_description("Bedrock models for team A, registered with LiteLLM");
    let params = Parameters::litellm(&mut stack)?;
    for (id, name) in [
        (
            "claude-haiku",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        ("titan-embed", "bedrock/amazon.titan-embed-text-v2:0"),
    ] {
        let model_type = if id.contains("embed") {
            "embedding"
        } else {
            "textgen"
        };
        let definition = ModelDefinition::from_json_value(&serde_json::json!({
            "modelId": id, "modelName": name, "modelType": model_type,
        }))?;
        let mut scope = stack.scope(id);
        let handle = registration::registration(
            &mut scope,
            &registration::RegistrationProps {
                definition: &definition,
                litellm: &params.litellm,
                api_base: None,
                enabled: true,
                after: None,
                readiness: None,
            },
        )?;
        let output_name: String = id.split('-').map(capitalize).collect();
        stack.add_output(
            &format!("{output_name}LiteLlmId"),
            Output::new(handle.get_att(registration::MODEL_ID_ATTRIBUTE)),
        )?;
    }
    Ok(stack)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let definition = embedding_model()?;
    // Definitions built in code are checked against the same rules as JSON payloads.
    definition.validate()?;
    let model = ecs_model::synthesize(&definition, &StackOptions::default())?;

    let custom = bedrock_catalog_stack()?;
    let custom_template = custom.synth()?;

    let both = serde_json::json!({
        model.name.as_str(): model.template.to_json()?,
        custom.name().as_str(): custom_template.to_json()?,
    });
    println!("{}", serde_json::to_string_pretty(&both)?);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("embed-stack: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_definition_synthesizes_a_hosted_stack() {
        let definition = embedding_model().expect("valid id");
        let model =
            ecs_model::synthesize(&definition, &StackOptions::default()).expect("synthesizes");
        assert_eq!(model.name.as_str(), "lisa-e5-small-tei");
        assert_eq!(
            model
                .template
                .resources_of_type("AWS::AutoScaling::ScalingPolicy")
                .count(),
            1
        );
        assert_eq!(
            model
                .template
                .resources_of_type("AWS::ECS::Service")
                .count(),
            1
        );
    }

    #[test]
    fn the_composed_stack_registers_each_bedrock_model() {
        let template = bedrock_catalog_stack()
            .expect("builds")
            .synth()
            .expect("valid");
        let registrations: Vec<&str> = template
            .resources_of_type("Custom::LiteLLMModel")
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(registrations.len(), 2, "{registrations:?}");
        assert!(template.outputs.contains_key("ClaudeHaikuLiteLlmId"));
        assert!(template.parameters.contains_key("RegistrationFunctionArn"));
    }
}
