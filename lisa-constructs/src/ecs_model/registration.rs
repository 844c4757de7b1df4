//! The model's LiteLLM registration: a custom resource whose handler adds, updates and removes
//! the model in the LiteLLM proxy, so the stack's lifecycle is the registration's.
//!
//! [`RegistrationProperties`] is the one contract between this crate, which renders the
//! resource's properties into the template, and the registration function (`lisa-registrar`),
//! which reads them back from CloudFormation's request. CloudFormation hands every scalar to the
//! function as a string, so booleans and numbers are rendered as strings here and read from
//! strings there. [`function`] holds the facts the environment's bootstrap stack needs to deploy
//! that function.

use serde::{Deserialize, Serialize};

use super::parameters::LiteLlm;
use crate::cfn::resources::custom::CustomResource;
use crate::cfn::{Expr, Output};
use crate::construct::{ConstructError, ResourceHandle, Scope, Stack};
use crate::model::{InferenceContainer, ModelDefinition, ModelType};

/// The custom resource type.
pub const RESOURCE_TYPE: &str = "Custom::LiteLLMModel";
/// How long CloudFormation waits for the handler of a LiteLLM-only model, in seconds.
pub const SERVICE_TIMEOUT_SECONDS: u32 = 300;
/// The longest `ServiceTimeout` CloudFormation accepts, in seconds.
pub const MAX_SERVICE_TIMEOUT_SECONDS: u32 = 3600;
/// What a hosted model's `ServiceTimeout` keeps beyond its load budget: the LiteLLM calls and the
/// answer after the first healthy target, and the hand-over between invocations.
pub const SERVICE_TIMEOUT_MARGIN_SECONDS: u32 = 300;
/// The longest load budget: with the margin it still fits the longest `ServiceTimeout`.
pub const MAX_LOAD_BUDGET_SECONDS: u32 =
    MAX_SERVICE_TIMEOUT_SECONDS - SERVICE_TIMEOUT_MARGIN_SECONDS;
/// The `Data` attribute holding LiteLLM's id of the model.
pub const MODEL_ID_ATTRIBUTE: &str = "LiteLlmModelId";

/// The custom resource's properties (without `ServiceToken` and `ServiceTimeout`, which every
/// custom resource has). `S` is how a string-valued setting is given: [`Expr`] when rendering
/// (a `Ref` to a parameter, say), `String` when the function reads CloudFormation's request.
/// Renaming a field renames the property on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", bound(deserialize = "S: Deserialize<'de>"))]
pub struct RegistrationProperties<S = String> {
    /// The model's id in LISA, LiteLLM's `model_name` (what clients ask for).
    pub model_id: String,
    /// LiteLLM's `litellm_params.model`: the provider route (see [`litellm_model`]).
    pub lite_llm_model: String,
    /// LiteLLM's `model_info.mode` (see [`litellm_mode`]).
    pub mode: String,
    /// Whether the model streams.
    #[serde(with = "string_scalar")]
    pub streaming: bool,
    /// `false` keeps the resource but removes the model from LiteLLM (a stopped model).
    #[serde(with = "string_scalar")]
    pub enabled: bool,
    /// The LiteLLM proxy's base URL.
    pub lite_llm_endpoint: S,
    /// The Secrets Manager secret holding the proxy's master key (never the key itself:
    /// properties appear in stack events).
    pub master_key_secret_arn: S,
    /// A hosted model's OpenAI-compatible base URL; absent for LiteLLM-only models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<S>,
    /// A hosted model's target group: it is registered only once a target there (or in the
    /// alternate target group) is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<S>,
    /// A hosted model's second target group: blue/green deployments move the serving tasks
    /// from one group to the other, so after a deployment the healthy targets may be here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<S>,
    /// How long a hosted model may take to get a healthy target, in seconds, counted from the
    /// first time the function sees the request.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "string_scalar::option"
    )]
    pub load_budget_seconds: Option<u32>,
}

/// Serde helpers that write a scalar as a string and read it from a string or a native value,
/// because CloudFormation passes every custom-resource property to the function as a string.
pub mod string_scalar {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar<T> {
        Text(String),
        Native(T),
    }

    /// Writes the value's text.
    pub fn serialize<T: Display, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads the value from its text (or from a native JSON value).
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr + DeserializeOwned,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        match Scalar::<T>::deserialize(deserializer)? {
            Scalar::Text(text) => text
                .trim()
                .parse()
                .map_err(|e| D::Error::custom(format!("{text:?}: {e}"))),
            Scalar::Native(value) => Ok(value),
        }
    }

    /// The same for an optional value (absent or `null` is `None`).
    pub mod option {
        use super::*;

        /// Writes the value's text (call only on `Some`, with `skip_serializing_if`).
        pub fn serialize<T: Display, S: Serializer>(
            value: &Option<T>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(value) => serializer.collect_str(value),
                None => serializer.serialize_none(),
            }
        }

        /// Reads the value from its text (or from a native JSON value).
        pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
        where
            T: FromStr + DeserializeOwned,
            T::Err: Display,
            D: Deserializer<'de>,
        {
            match Option::<Scalar<T>>::deserialize(deserializer)? {
                None => Ok(None),
                Some(Scalar::Text(text)) => text
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|e| D::Error::custom(format!("{text:?}: {e}"))),
                Some(Scalar::Native(value)) => Ok(Some(value)),
            }
        }
    }
}

/// The id of a registration in LiteLLM (`model_info.id`), derived from the stack and the model so
/// every retry, update and delete finds exactly its own entry. `stack_id` is the stack's ARN as
/// CloudFormation sends it; its trailing unique suffix is left out, so a stack deleted and created
/// again under the same name finds (and reuses) the registration it left behind.
pub fn registration_id(stack_id: &str, model_id: &str) -> String {
    use md5::{Digest, Md5};
    let stack = match stack_id.rsplit_once('/') {
        Some((named, _suffix)) if named.contains(":stack/") => named,
        _ => stack_id,
    };
    let digest = Md5::digest(format!("{stack}\n{model_id}").as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{model_id}-{hex}")
}

/// The facts the environment's bootstrap stack needs to deploy the registration function.
pub mod function {
    /// The Lambda runtime: a custom runtime running the `bootstrap` executable.
    pub const RUNTIME: &str = "provided.al2023";
    /// The handler name (a custom runtime ignores it; `bootstrap` by convention).
    pub const HANDLER: &str = "bootstrap";
    /// The instruction set the package is built for.
    pub const ARCHITECTURE: &str = "x86_64";
    /// The package's file name, as `scripts/package-functions OUT_DIR` writes it.
    pub const PACKAGE_FILE: &str = "lisa-registrar.zip";
    /// The function's timeout in seconds (Lambda's longest). A hosted model whose load takes longer
    /// is handed on to a fresh invocation of the function.
    pub const TIMEOUT_SECONDS: u32 = 900;
    /// The function's memory in MiB.
    pub const MEMORY_MIB: u32 = 256;
    /// How many seconds before its deadline an invocation answers CloudFormation (or hands the
    /// request on) at the latest.
    pub const ANSWER_MARGIN_SECONDS: u32 = 20;
    /// Environment variable: seconds between two looks at a target group's health.
    pub const ENV_HEALTH_POLL_SECONDS: &str = "LISA_HEALTH_POLL_SECONDS";
    /// Environment variable: timeout of one call to LiteLLM, in seconds.
    pub const ENV_LITELLM_TIMEOUT_SECONDS: &str = "LISA_LITELLM_TIMEOUT_SECONDS";
    /// Environment variable, set by the bootstrap stack: the deployment whose stacks the
    /// function serves. It refuses a request from any stack whose name does not start with
    /// `<deployment>-`, or that lives in another account or region than the function.
    pub const ENV_DEPLOYMENT_NAME: &str = "LISA_DEPLOYMENT_NAME";
    /// Environment variable, set by the bootstrap stack: the only LiteLLM endpoint the function
    /// sends the master key to. A request naming another endpoint is refused.
    pub const ENV_LITELLM_ENDPOINT: &str = "LISA_LITELLM_ENDPOINT";
    /// Environment variable, set by the bootstrap stack: the only secret the function reads the
    /// master key from. A request naming another secret is refused.
    pub const ENV_MASTER_KEY_SECRET_ARN: &str = "LISA_LITELLM_MASTER_KEY_SECRET_ARN";
    /// The default of [`ENV_HEALTH_POLL_SECONDS`].
    pub const DEFAULT_HEALTH_POLL_SECONDS: u32 = 15;
    /// The default of [`ENV_LITELLM_TIMEOUT_SECONDS`].
    pub const DEFAULT_LITELLM_TIMEOUT_SECONDS: u32 = 10;
    /// The IAM actions of the function's role, besides the logs actions: reading the LiteLLM master
    /// key (on the environment's one secret; add `kms:Decrypt` on its key when that is a
    /// customer-managed KMS key), reading target health (`Resource: *`, the action has no
    /// resource-level permissions), and invoking itself to hand a request on. A function placed in
    /// a VPC (to reach an internal proxy) also needs the usual network-interface permissions and a
    /// route to the Secrets Manager, Elastic Load Balancing and Lambda APIs.
    pub const SECRET_ACTIONS: [&str; 1] = ["secretsmanager:GetSecretValue"];
    /// See [`SECRET_ACTIONS`].
    pub const TARGET_HEALTH_ACTIONS: [&str; 1] = ["elasticloadbalancing:DescribeTargetHealth"];
    /// See [`SECRET_ACTIONS`] (on the function's own ARN).
    pub const SELF_INVOKE_ACTIONS: [&str; 1] = ["lambda:InvokeFunction"];
    /// See [`SECRET_ACTIONS`] (on the function's log group).
    pub const LOG_ACTIONS: [&str; 3] = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ];
}

/// What a hosted model's registration waits for.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The model's target group (its `Ref`, the ARN).
    pub target_group_arn: Expr,
    /// The model's alternate target group (its `Ref`, the ARN).
    pub alternate_target_group_arn: Expr,
    /// How long the model may take to get a healthy target, in seconds; at most
    /// [`MAX_LOAD_BUDGET_SECONDS`].
    pub load_budget_seconds: u32,
}

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
    /// A hosted model's readiness check; `None` registers without waiting.
    pub readiness: Option<Readiness>,
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

/// The properties the registration renders.
pub fn properties(props: &RegistrationProps<'_>) -> RegistrationProperties<Expr> {
    let definition = props.definition;
    RegistrationProperties {
        model_id: definition.model_id.as_str().to_owned(),
        lite_llm_model: litellm_model(definition),
        mode: litellm_mode(definition.model_type).to_owned(),
        streaming: definition.streaming(),
        enabled: props.enabled,
        lite_llm_endpoint: props.litellm.endpoint.clone(),
        master_key_secret_arn: props.litellm.master_key_secret_arn.clone(),
        api_base: props.api_base.clone(),
        target_group_arn: props.readiness.as_ref().map(|r| r.target_group_arn.clone()),
        alternate_target_group_arn: props
            .readiness
            .as_ref()
            .map(|r| r.alternate_target_group_arn.clone()),
        load_budget_seconds: props
            .readiness
            .as_ref()
            .map(|r| r.load_budget_seconds.min(MAX_LOAD_BUDGET_SECONDS)),
    }
}

/// The `ServiceTimeout` of a registration with these properties: a hosted model's covers its
/// load budget and the margin.
pub fn service_timeout(properties: &RegistrationProperties<Expr>) -> u32 {
    match properties.load_budget_seconds {
        Some(budget) => (budget + SERVICE_TIMEOUT_MARGIN_SECONDS)
            .clamp(SERVICE_TIMEOUT_SECONDS, MAX_SERVICE_TIMEOUT_SECONDS),
        None => SERVICE_TIMEOUT_SECONDS,
    }
}

/// Adds the registration.
pub fn registration(
    scope: &mut Scope<'_>,
    props: &RegistrationProps<'_>,
) -> Result<ResourceHandle, ConstructError> {
    let properties = properties(props);
    let render_error = |scope: &Scope<'_>, source| ConstructError::Render {
        path: scope.child_path("Registration"),
        source,
    };
    let custom = CustomResource::new(RESOURCE_TYPE, props.litellm.function_arn.clone())
        .and_then(|c| c.properties_of(&properties))
        .map_err(|source| render_error(scope, source))?
        .service_timeout(service_timeout(&properties));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_read_from_cloudformation_strings() {
        let request = json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "ServiceTimeout": "3600",
            "ModelId": "m", "LiteLlmModel": "hosted_vllm/x", "Mode": "chat",
            "Streaming": "true", "Enabled": "false",
            "LiteLlmEndpoint": "http://l", "MasterKeySecretArn": "arn:s",
            "ApiBase": "http://a/v1", "TargetGroupArn": "arn:tg", "LoadBudgetSeconds": "1800"
        });
        let p: RegistrationProperties = serde_json::from_value(request).expect("reads");
        assert!(p.streaming);
        assert!(!p.enabled);
        assert_eq!(p.load_budget_seconds, Some(1800));
        assert_eq!(p.target_group_arn.as_deref(), Some("arn:tg"));
    }

    #[test]
    fn malformed_scalars_are_refused() {
        let mut request = json!({
            "ModelId": "m", "LiteLlmModel": "x", "Mode": "chat", "Streaming": "yes",
            "Enabled": "true", "LiteLlmEndpoint": "http://l", "MasterKeySecretArn": "arn:s"
        });
        assert!(serde_json::from_value::<RegistrationProperties>(request.clone()).is_err());
        request["Streaming"] = json!("false");
        request["LoadBudgetSeconds"] = json!("-5");
        assert!(serde_json::from_value::<RegistrationProperties>(request).is_err());
    }

    #[test]
    fn rendered_properties_read_back_as_the_same_values() {
        let rendered = RegistrationProperties::<String> {
            model_id: "m".into(),
            lite_llm_model: "openai/x".into(),
            mode: "embedding".into(),
            streaming: false,
            enabled: true,
            lite_llm_endpoint: "http://l".into(),
            master_key_secret_arn: "arn:s".into(),
            api_base: Some("http://a/v1".into()),
            target_group_arn: Some("arn:tg".into()),
            alternate_target_group_arn: Some("arn:tg2".into()),
            load_budget_seconds: Some(600),
        };
        let json = serde_json::to_value(&rendered).expect("renders");
        assert_eq!(json["Streaming"], "false");
        assert_eq!(json["LoadBudgetSeconds"], "600");
        assert_eq!(
            serde_json::from_value::<RegistrationProperties>(json).expect("reads"),
            rendered
        );
    }

    #[test]
    fn registration_ids_depend_on_stack_name_and_model_only() {
        let a = "arn:aws:cloudformation:us-east-1:123456789012:stack/lisa-m/11111111-aaaa";
        let b = "arn:aws:cloudformation:us-east-1:123456789012:stack/lisa-m/22222222-bbbb";
        let other = "arn:aws:cloudformation:us-east-1:123456789012:stack/prod-m/11111111-aaaa";
        assert_eq!(registration_id(a, "m"), registration_id(b, "m"));
        assert_ne!(registration_id(a, "m"), registration_id(other, "m"));
        assert_ne!(registration_id(a, "m"), registration_id(a, "n"));
        assert!(registration_id(a, "m").starts_with("m-"));
        assert_eq!(registration_id(a, "m").len(), "m-".len() + 12);
    }
}
