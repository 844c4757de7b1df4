//! The model definition layer: wire types of the Admin API payloads, the status and other enums,
//! the instance catalog, and validation that reports every error at once with its JSON path.
//!
//! ```
//! use lisa_constructs::model::ModelDefinition;
//!
//! let error = ModelDefinition::from_json_str(r#"{"modelId": "Bad", "modelType": "textgen"}"#)
//!     .expect_err("invalid");
//! assert_eq!(
//!     error.to_string(),
//!     "modelId: may contain only lowercase letters, digits and '-', found 'B' in \"Bad\"\n\
//!      modelName: is required"
//! );
//! ```

pub mod bounds;
mod catalog;
mod definition;
mod enums;
mod error;
mod ids;
mod image;
mod json_text;
mod parse;
pub mod payload_kind;
pub(crate) mod reader;
mod record;
pub mod schedule;
mod schema;
mod server;
pub mod status;
mod update;
mod valid;
mod view;

pub use catalog::{CATALOG, InstanceSpec, SUPPORTED_REGIONS, families, instance};
pub use definition::{
    AutoScalingConfig, ContainerConfig, ContainerHealthCheck, Hosting, ImageConfig,
    LoadBalancerConfig, MetricConfig, ModelDefinition, ServerMetric, TargetHealthCheck,
};
pub use enums::{
    AlbMetricName, ImageType, InferenceContainer, ModelStatus, ModelType, ServerMetricName,
};
pub use error::{DefinitionError, ValidationError, ValidationErrors};
pub use ids::ModelId;
pub use parse::HOSTING_FIELDS;
pub use record::{ModelRecord, RunOutcome, ScheduledRun};
pub use schema::{beyond_schema, definition_schema, update_schema};
pub use server::{ReservedFlag, VLLM_KV_CACHE_LEGACY_METRIC};
pub use update::{AutoScalingInstanceConfig, ContainerConfigUpdate, ModelUpdate};
pub use valid::ValidDefinition;
pub use view::ModelView;
