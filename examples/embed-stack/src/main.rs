//! Embeds `lisa-constructs` in your own infrastructure code: builds a model definition in Rust,
//! synthesizes its stack, and composes a stack of your own from the library's parts and a
//! resource type of your own (an SNS topic, for which the library has no struct).
//!
//! Run it with `cargo run -p embed-stack` (writes two templates to standard output, as one JSON
//! object keyed by stack name).

use lisa_constructs::cfn::{Expr, Output, ResourceProperties};
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
        schedule: None,
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
                server_args: None,
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
                    server_metric: None,
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

/// `AWS::SNS::Topic`, a resource type of your own: a serde struct, its references listed field
/// by field (`references_of_fields!` destructures the struct, so a field left out of the list
/// does not compile), and its type name. The stack keeps it typed until the template is
/// rendered, and the validation pass checks its references like the library's own.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Topic {
    topic_name: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<Expr>,
}
lisa_constructs::references_of_fields!(Topic {
    topic_name,
    display_name
});

impl ResourceProperties for Topic {
    fn resource_type(&self) -> &str {
        "AWS::SNS::Topic"
    }
}

/// A stack of your own that registers several Bedrock models with LiteLLM, built from the
/// library's parameter and registration parts, with a topic of your own for the team's alerts.
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
    let alerts = stack.add(
        "Alerts",
        Topic {
            topic_name: Expr::sub("${AWS::StackName}-alerts"),
            display_name: Some(Expr::str("Team A model alerts")),
        },
    )?;
    stack.add_output("AlertsTopicArn", Output::new(alerts.ref_()))?;
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
                .resources_of_type("AWS::ApplicationAutoScaling::ScalingPolicy")
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
        let (_, topic) = template
            .properties_of::<Topic>()
            .next()
            .expect("the alerts topic, typed");
        assert_eq!(topic.topic_name, Expr::sub("${AWS::StackName}-alerts"));
        let json = template.to_json().expect("renders");
        assert_eq!(
            json["Resources"]["Alerts"]["Properties"]["TopicName"],
            serde_json::json!({"Fn::Sub": "${AWS::StackName}-alerts"})
        );
    }

    #[test]
    fn references_of_your_own_resource_type_are_validated() {
        let mut stack = bedrock_catalog_stack().expect("builds");
        stack
            .add(
                "Misnamed",
                Topic {
                    topic_name: Expr::sub("${AlertTopicName}"),
                    display_name: Some(Expr::get_att("Alerts", "TopicName")),
                },
            )
            .expect("added");
        let error = stack.synth().expect_err("a dangling reference");
        let text = error.to_string();
        assert!(
            text.contains("`AlertTopicName` is not a resource"),
            "{text}"
        );
        assert_eq!(error.problems.len(), 1, "{text}");
    }
}
