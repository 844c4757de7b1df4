//! The update payload of `PUT /models/{modelId}` and how it applies to a stored definition.

use super::bounds;
use super::definition::{ContainerHealthCheck, ModelDefinition};
use super::enums::ModelType;
use super::error::ValidationErrors;
use super::parse::{
    EMBEDDING_CANNOT_STREAM, check_capacities, read_container_health_check, read_environment,
    read_shared_memory_size, read_type_and_streaming,
};
use super::reader::{self, Fields};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A change to a model. Every field is optional; at least one is present, and `enabled` never
/// comes together with `autoScalingInstanceConfig` (stopping and resizing are separate intents).
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ModelUpdate {
    /// `false` stops the model (no instances, not registered); `true` starts it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// New instance counts and group timings; unset fields keep their values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_instance_config: Option<AutoScalingInstanceConfig>,
    /// A corrected model type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_type: Option<ModelType>,
    /// A corrected streaming flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// New container settings; unset fields keep their values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_config: Option<ContainerConfigUpdate>,
}

/// The autoscaling fields an update may change. Every number is greater than 0: a model is
/// stopped with `enabled: false`, never with a capacity of 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct AutoScalingInstanceConfig {
    /// New MinSize.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<u32>,
    /// New MaxSize.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
    /// New DesiredCapacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,
    /// New default cooldown in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u32>,
    /// New DefaultInstanceWarmup in seconds, 1–3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_instance_warmup: Option<u32>,
}

/// The container settings an update may change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ContainerConfigUpdate {
    /// Replaces the whole environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<BTreeMap<String, String>>,
    /// New shared memory size in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_memory_size: Option<u32>,
    /// Replaces the container health check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_config: Option<ContainerHealthCheck>,
}

pub(crate) const UPDATE_FIELDS: &[&str] = &[
    "enabled",
    "autoScalingInstanceConfig",
    "modelType",
    "streaming",
    "containerConfig",
];
pub(crate) const INSTANCE_CONFIG_FIELDS: &[&str] = &[
    "minCapacity",
    "maxCapacity",
    "desiredCapacity",
    "cooldown",
    "defaultInstanceWarmup",
];
pub(crate) const CONTAINER_UPDATE_FIELDS: &[&str] =
    &["environment", "sharedMemorySize", "healthCheckConfig"];

impl ModelUpdate {
    /// Reads and validates an update payload on its own, reporting every problem at once.
    pub fn from_json_value(value: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let update = read_update(&mut errors, value);
        errors.into_result(update).map_err(|errors| {
            super::payload_kind::named_when(
                errors,
                value,
                super::parse::reads_as_definition,
                super::payload_kind::DEFINITION_GIVEN_AS_UPDATE,
            )
        })
    }

    /// Reads and validates an update payload from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, super::DefinitionError> {
        let value = super::json_text::parse(text)?;
        Ok(Self::from_json_value(&value)?)
    }
}

/// Whether `value` is a valid update payload.
pub(crate) fn reads_as_update(value: &Value) -> bool {
    let mut errors = ValidationErrors::default();
    read_update(&mut errors, value).is_some() && errors.is_empty()
}

fn read_update(errors: &mut ValidationErrors, value: &Value) -> Option<ModelUpdate> {
    let mut f = Fields::open(errors, "", value, UPDATE_FIELDS)?;
    if !f.has_any(UPDATE_FIELDS) {
        return None;
    }
    if f.has("enabled") && f.has("autoScalingInstanceConfig") {
        f.error(
            "autoScalingInstanceConfig",
            "cannot be combined with enabled: stop or start the model and change its autoscaling in separate requests",
        );
    }
    let enabled = f.optional("enabled", reader::boolean);
    let auto_scaling_instance_config =
        f.optional("autoScalingInstanceConfig", read_instance_config);
    let (model_type, streaming) = read_type_and_streaming(&mut f, false);
    let container_config = f.optional("containerConfig", read_container_update);
    if !f.ok() {
        return None;
    }
    Some(ModelUpdate {
        enabled,
        auto_scaling_instance_config,
        model_type,
        streaming,
        container_config,
    })
}

fn read_instance_config(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<AutoScalingInstanceConfig> {
    let mut f = Fields::open(errors, path, value, INSTANCE_CONFIG_FIELDS)?;
    if !f.has_any(INSTANCE_CONFIG_FIELDS) {
        return None;
    }
    let positive = || reader::integer(bounds::CAPACITY);
    let config = AutoScalingInstanceConfig {
        min_capacity: f.optional("minCapacity", positive()),
        max_capacity: f.optional("maxCapacity", positive()),
        desired_capacity: f.optional("desiredCapacity", positive()),
        cooldown: f.optional("cooldown", reader::integer(bounds::COOLDOWN)),
        default_instance_warmup: f.optional(
            "defaultInstanceWarmup",
            reader::integer(bounds::INSTANCE_WARMUP),
        ),
    };
    check_capacities(
        &mut f,
        config.min_capacity,
        config.max_capacity,
        config.desired_capacity,
    );
    f.ok().then_some(config)
}

fn read_container_update(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<ContainerConfigUpdate> {
    let mut f = Fields::open(errors, path, value, CONTAINER_UPDATE_FIELDS)?;
    if !f.has_any(CONTAINER_UPDATE_FIELDS) {
        return None;
    }
    let update = ContainerConfigUpdate {
        environment: f.optional("environment", read_environment),
        shared_memory_size: f.optional("sharedMemorySize", |errors, path, value| {
            read_shared_memory_size(errors, path, value, None)
        }),
        health_check_config: f.optional("healthCheckConfig", read_container_health_check),
    };
    f.ok().then_some(update)
}

impl ModelDefinition {
    /// Applies an update to this (stored) definition and returns the new definition, or every
    /// reason it cannot apply. Pure: no I/O.
    ///
    /// `current_capacity` is the number of instances the model runs now, if known: when it is
    /// below the new minimum and the update gives no desired count, the desired count rises to
    /// the minimum. A desired count stored earlier that falls outside the new bounds is clamped.
    pub fn apply_update(
        &self,
        update: &ModelUpdate,
        current_capacity: Option<u32>,
    ) -> Result<ModelDefinition, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut next = self.clone();
        let model_type = update.model_type.unwrap_or(self.model_type);
        next.model_type = model_type;
        if model_type == ModelType::Embedding {
            if update.streaming == Some(true)
                || (update.streaming.is_none() && update.model_type.is_none() && self.streaming())
            {
                errors.push("streaming", EMBEDDING_CANNOT_STREAM);
            }
            next.streaming = Some(false);
        } else if let Some(streaming) = update.streaming {
            next.streaming = Some(streaming);
        }
        match next.hosting.as_mut() {
            None => {
                for field in ["autoScalingInstanceConfig", "containerConfig"] {
                    let given = match field {
                        "autoScalingInstanceConfig" => {
                            update.auto_scaling_instance_config.is_some()
                        }
                        _ => update.container_config.is_some(),
                    };
                    if given {
                        errors.push(
                            field,
                            format!(
                                "applies only to LISA-hosted models; {:?} is a LiteLLM-only model with no instances or container",
                                self.model_id.as_str()
                            ),
                        );
                    }
                }
            }
            Some(hosting) => {
                if update.model_type.is_some() && !hosting.inference_container.serves(model_type) {
                    errors.push(
                        "modelType",
                        format!(
                            "\"{}\" cannot serve modelType \"{model_type}\"",
                            hosting.inference_container
                        ),
                    );
                }
                if let Some(change) = &update.auto_scaling_instance_config {
                    apply_capacity(
                        &mut errors,
                        &mut hosting.auto_scaling_config,
                        change,
                        current_capacity,
                    );
                }
                if let Some(change) = &update.container_config {
                    let config = &mut hosting.container_config;
                    if let Some(environment) = &change.environment {
                        config.environment = environment.clone();
                    }
                    if let Some(health) = &change.health_check_config {
                        config.health_check_config = health.clone();
                    }
                    if let Some(size) = change.shared_memory_size {
                        let memory = super::catalog::instance(&hosting.instance_type)
                            .map_or(u32::MAX, |s| s.memory_mib);
                        if size > memory {
                            errors.push(
                                "containerConfig.sharedMemorySize",
                                format!("must be at most the memory of {} ({memory} MiB), found {size} MiB", hosting.instance_type),
                            );
                        }
                        config.shared_memory_size = size;
                    }
                }
            }
        }
        errors.into_result(Some(next))
    }
}

fn apply_capacity(
    errors: &mut ValidationErrors,
    config: &mut super::definition::AutoScalingConfig,
    change: &AutoScalingInstanceConfig,
    current_capacity: Option<u32>,
) {
    const PATH: &str = "autoScalingInstanceConfig";
    let min = change.min_capacity.unwrap_or(config.min_capacity);
    let max = change.max_capacity.unwrap_or(config.max_capacity);
    if min > max {
        let (field, message) = if change.max_capacity.is_some() {
            (
                "maxCapacity",
                format!("must be at least the effective minCapacity ({min}), found {max}"),
            )
        } else {
            (
                "minCapacity",
                format!("must be at most the effective maxCapacity ({max}), found {min}"),
            )
        };
        errors.push(format!("{PATH}.{field}"), message);
        return;
    }
    let desired = match change.desired_capacity {
        Some(desired) if desired < min || desired > max => {
            errors.push(
                format!("{PATH}.desiredCapacity"),
                format!("must be between the effective minCapacity ({min}) and maxCapacity ({max}), found {desired}"),
            );
            return;
        }
        Some(desired) => Some(desired),
        None if current_capacity.is_some_and(|current| current < min) => Some(min),
        None => config
            .desired_capacity
            .map(|desired| desired.clamp(min, max)),
    };
    config.min_capacity = min;
    config.max_capacity = max;
    config.desired_capacity = desired;
    if let Some(cooldown) = change.cooldown {
        config.cooldown = cooldown;
    }
    if let Some(warmup) = change.default_instance_warmup {
        config.default_instance_warmup = warmup;
    }
}
