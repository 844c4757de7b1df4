//! The closed vocabularies of the Admin API. Wire values are exact.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a wire enum: its variants, their exact wire strings, and the lookup from a string.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact wire value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Parses an exact wire value.
            pub fn from_wire(value: &str) -> Option<Self> {
                match value {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Where a model is in its lifecycle (domain §5).
    ModelStatus {
        /// The stack is being created.
        Creating = "Creating",
        /// Serving requests.
        InService = "InService",
        /// A change is being applied.
        Updating = "Updating",
        /// Scaling down to no instances and leaving LiteLLM.
        Stopping = "Stopping",
        /// No instances, not registered with LiteLLM.
        Stopped = "Stopped",
        /// Scaling up and registering again.
        Starting = "Starting",
        /// The stack is being deleted.
        Deleting = "Deleting",
        /// An operation failed; only deletion is allowed.
        Failed = "Failed",
    }
}

wire_enum! {
    /// What a model produces.
    ModelType {
        /// Text generation (chat and completions).
        TextGen = "textgen",
        /// Embeddings.
        Embedding = "embedding",
        /// Image generation.
        ImageGen = "imagegen",
        /// Video generation.
        VideoGen = "videogen",
    }
}

wire_enum! {
    /// The inference server a LISA-hosted model runs.
    InferenceContainer {
        /// vLLM's OpenAI-compatible server: text generation or embeddings.
        Vllm = "vllm",
        /// Hugging Face Text Generation Inference: text generation only.
        Tgi = "tgi",
        /// Hugging Face Text Embeddings Inference: embeddings only.
        Tei = "tei",
    }
}

wire_enum! {
    /// How `containerConfig.image.baseImage` is resolved.
    ImageType {
        /// The image reference is used as given.
        Asset = "asset",
        /// A repository in the deploying account and region, `repo[:tag]`.
        Ecr = "ecr",
        /// The image reference is used as given.
        External = "external",
    }
}

wire_enum! {
    /// The load balancer metric the scaling policy tracks.
    AlbMetricName {
        /// Requests per target per minute.
        RequestCountPerTarget = "RequestCountPerTarget",
        /// Average response time in seconds.
        TargetResponseTime = "TargetResponseTime",
    }
}

wire_enum! {
    /// A saturation signal the model server itself publishes, which service auto scaling can
    /// track instead of the load balancer's metric.
    ServerMetricName {
        /// Requests waiting for a place in the running batch, averaged over the tasks.
        QueueDepth = "queueDepth",
        /// Requests in the running batch, averaged over the tasks.
        RunningRequests = "runningRequests",
        /// The share of the KV cache in use, 0 to 1, averaged over the tasks (vLLM only).
        KvCacheUse = "kvCacheUse",
    }
}

impl InferenceContainer {
    /// The model types this server can serve.
    pub fn serves(self, model_type: ModelType) -> bool {
        match self {
            InferenceContainer::Vllm => {
                matches!(model_type, ModelType::TextGen | ModelType::Embedding)
            }
            InferenceContainer::Tgi => model_type == ModelType::TextGen,
            InferenceContainer::Tei => model_type == ModelType::Embedding,
        }
    }

    /// Whether the server needs a GPU (TEI also runs on CPU instances).
    pub fn needs_gpu(self) -> bool {
        !matches!(self, InferenceContainer::Tei)
    }
}

/// Lists an enum's wire values for an error message: `"a", "b" or "c"`.
pub(crate) fn allowed_values<T: Copy + std::fmt::Display>(all: &[T]) -> String {
    let quoted: Vec<String> = all.iter().map(|v| format!("\"{v}\"")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_through_serde() {
        for status in ModelStatus::ALL {
            let json = serde_json::to_value(status).expect("serializes");
            assert_eq!(json, serde_json::Value::from(status.as_str()));
            assert_eq!(ModelStatus::from_wire(status.as_str()), Some(*status));
        }
        assert_eq!(ModelType::from_wire("textgen"), Some(ModelType::TextGen));
        assert_eq!(ModelType::from_wire("TextGen"), None);
    }

    #[test]
    fn containers_serve_only_their_model_types() {
        assert!(InferenceContainer::Vllm.serves(ModelType::Embedding));
        assert!(!InferenceContainer::Tgi.serves(ModelType::Embedding));
        assert!(!InferenceContainer::Tei.serves(ModelType::TextGen));
        assert!(!InferenceContainer::Vllm.serves(ModelType::ImageGen));
    }

    #[test]
    fn allowed_values_reads_as_a_sentence() {
        assert_eq!(
            allowed_values(ImageType::ALL),
            "\"asset\", \"ecr\" or \"external\""
        );
    }
}
