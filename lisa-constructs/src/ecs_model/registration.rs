//! The model's LiteLLM registration: a custom resource whose handler adds, updates and removes
//! the model in the LiteLLM proxy, so the stack's lifecycle is the registration's.

use super::parameters::LiteLlm;
use crate::cfn::resources::custom::CustomResource;
use crate::cfn::{Expr, Output};
use crate::construct::{ConstructError, ResourceHandle, Scope, Stack};
use crate::model::{InferenceContainer, ModelDefinition, ModelType};

/// The custom resource type.
pub const RESOURCE_TYPE: &str = "Custom::LiteLLMModel";
/// How long CloudFormation waits for the handler, in seconds.
pub const SERVICE_TIMEOUT_SECONDS: u32 = 300;
/// The `Data` attribute holding LiteLLM's id of the model.
pub const MODEL_ID_ATTRIBUTE: &str = "LiteLlmModelId";

/// What the registration needs.
#[derive(Debug)]
pub struct RegistrationProps<'a> {
    /// The model.
    pub definition: &'a ModelDefinition,
    /// How to reach LiteLLM.
    pub litellm: &'a LiteLlm,
    /// The hosted model's OpenAI-compatible base URL; `None` for LiteLLM-only models.
    pub api_base: Option<Expr>,
    /// `false` keeps the resource but removes the model from LiteLLM (a stopped model).
    pub enabled: bool,
    /// The logical id the registration waits for (the ECS service).
    pub after: Option<String>,
}

/// The model string LiteLLM routes to: vLLM's own provider for vLLM, the OpenAI-compatible
/// provider for TGI and TEI, and the model name as given for LiteLLM-only models.
pub fn litellm_model(definition: &ModelDefinition) -> String {
    match definition.hosting.as_ref().map(|h| h.inference_container) {
        Some(InferenceContainer::Vllm) => format!("hosted_vllm/{}", definition.model_name),
        Some(InferenceContainer::Tgi | InferenceContainer::Tei) => {
            format!("openai/{}", definition.model_name)
        }
        None => definition.model_name.clone(),
    }
}

/// LiteLLM's mode for the model type.
pub fn litellm_mode(model_type: ModelType) -> &'static str {
    match model_type {
        ModelType::TextGen => "chat",
        ModelType::Embedding => "embedding",
        ModelType::ImageGen => "image_generation",
        ModelType::VideoGen => "video_generation",
    }
}

/// Adds the registration.
pub fn registration(
    scope: &mut Scope<'_>,
    props: &RegistrationProps<'_>,
) -> Result<ResourceHandle, ConstructError> {
    let definition = props.definition;
    let mut custom = CustomResource::new(RESOURCE_TYPE, props.litellm.function_arn.clone())
        .map_err(|source| ConstructError::Render {
            path: scope.child_path("Registration"),
            source,
        })?
        .service_timeout(SERVICE_TIMEOUT_SECONDS)
        .property("ModelId", Expr::str(definition.model_id.as_str()))
        .property("LiteLlmModel", Expr::str(litellm_model(definition)))
        .property("Mode", Expr::str(litellm_mode(definition.model_type)))
        .property("Streaming", Expr::str(definition.streaming().to_string()))
        .property("Enabled", Expr::str(props.enabled.to_string()))
        .property("LiteLlmEndpoint", props.litellm.endpoint.clone())
        .property(
            "MasterKeySecretArn",
            props.litellm.master_key_secret_arn.clone(),
        );
    if let Some(api_base) = &props.api_base {
        custom = custom.property("ApiBase", api_base.clone());
    }
    scope.add_with("Registration", custom, |r| match &props.after {
        Some(after) => r.depends_on(after.as_str()),
        None => r,
    })
}

/// Adds the output carrying LiteLLM's id of the model.
pub fn outputs(stack: &mut Stack, registration: &ResourceHandle) -> Result<(), ConstructError> {
    stack.add_output(
        super::stack_io::output::LITELLM_MODEL_ID,
        Output::new(registration.get_att(MODEL_ID_ATTRIBUTE))
            .description("LiteLLM's id of the model registration"),
    )
}
