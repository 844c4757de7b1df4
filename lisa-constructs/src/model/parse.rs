//! Reads a definition payload into typed data, applying every rule of the create payload and
//! reporting each problem with its JSON path (the reader carries on after each one).

use super::bounds;
use super::catalog::{self, InstanceSpec};
use super::definition::{
    AutoScalingConfig, ContainerConfig, ContainerHealthCheck, Hosting, ImageConfig,
    LoadBalancerConfig, MetricConfig, ModelDefinition, ServerMetric, TargetHealthCheck,
};
use super::enums::{AlbMetricName, ImageType, InferenceContainer, ModelType, ServerMetricName};
use super::error::{DefinitionError, ValidationErrors};
use super::ids::ModelId;
use super::image::check_image_reference;
use super::reader::{self, Fields, describe};
use super::server::check_server_arg;
use serde_json::Value;
use std::collections::BTreeMap;

const DEFINITION_FIELDS: &[&str] = &[
    "modelId",
    "modelName",
    "modelType",
    "streaming",
    "modelUrl",
    "inferenceContainer",
    "instanceType",
    "containerConfig",
    "autoScalingConfig",
    "loadBalancerConfig",
    "schedule",
];

/// The fields that make up the hosting block of a definition: all present for a LISA-hosted
/// model, none for a LiteLLM-only one.
pub const HOSTING_FIELDS: [&str; 5] = [
    "inferenceContainer",
    "instanceType",
    "containerConfig",
    "autoScalingConfig",
    "loadBalancerConfig",
];

/// Reading a definition is this module's work; the type lives in `definition.rs`.
impl ModelDefinition {
    /// Reads and validates a definition from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, DefinitionError> {
        let value = super::json_text::parse(text)?;
        Ok(Self::from_json_value(&value)?)
    }

    /// Reads and validates a definition, reporting every problem at once.
    pub fn from_json_value(value: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let definition = read_definition(&mut errors, value);
        errors.into_result(definition)
    }

    /// Checks a definition built in code against the same rules as a payload.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let value = serde_json::to_value(self).map_err(|e| {
            let mut errors = ValidationErrors::default();
            errors.push("", format!("cannot be represented as JSON: {e}"));
            errors
        })?;
        Self::from_json_value(&value).map(drop)
    }
}

/// Whether `value` is a valid model definition.
pub(crate) fn reads_as_definition(value: &Value) -> bool {
    let mut errors = ValidationErrors::default();
    read_definition(&mut errors, value).is_some() && errors.is_empty()
}

pub(crate) fn read_definition(
    errors: &mut ValidationErrors,
    value: &Value,
) -> Option<ModelDefinition> {
    let mut f = Fields::open(errors, "", value, DEFINITION_FIELDS)?;
    let model_id = f.required("modelId", |errors, path, value| {
        let id = reader::string(errors, path, value)?;
        ModelId::parse(&id)
            .map_err(|message| errors.push(path, message))
            .ok()
    });
    let model_name = f.required("modelName", read_model_name);
    let (model_type, streaming) = read_type_and_streaming(&mut f, true);
    let model_url = f.optional(
        "modelUrl",
        reader::bounded_string(bounds::MODEL_URL_MAX_BYTES),
    );
    let hosting = read_hosting(&mut f, model_type, model_name.as_deref());
    let schedule = f.optional("schedule", super::schedule::read_schedule);
    Some(ModelDefinition {
        model_id: model_id?,
        model_name: model_name?,
        model_type: model_type?,
        streaming,
        hosting: hosting?,
        model_url,
        schedule,
    })
}

/// Why an embedding model cannot stream (reported on `streaming`).
pub(crate) const EMBEDDING_CANNOT_STREAM: &str =
    "embedding models cannot stream: set streaming to false or omit it";

/// Reads `modelType` (required or not) and `streaming`, and reports a streaming embedding model.
pub(crate) fn read_type_and_streaming(
    f: &mut Fields<'_, '_>,
    type_required: bool,
) -> (Option<ModelType>, Option<bool>) {
    let read_type = reader::one_of(ModelType::ALL, ModelType::from_wire);
    let model_type = if type_required {
        f.required("modelType", read_type)
    } else {
        f.optional("modelType", read_type)
    };
    let streaming = f.optional("streaming", reader::boolean);
    if model_type == Some(ModelType::Embedding) && streaming == Some(true) {
        f.error("streaming", EMBEDDING_CANNOT_STREAM);
    }
    (model_type, streaming)
}

fn read_model_name(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<String> {
    let name = reader::bounded_string(bounds::MODEL_NAME_MAX_BYTES)(errors, path, value)?;
    if name.is_empty() {
        errors.push(path, "must not be empty");
        return None;
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(
            path,
            format!("must not contain whitespace or control characters, found {name:?}"),
        );
        return None;
    }
    Some(name)
}

/// Reads the hosting block: `Some(None)` when absent, `None` when it has errors.
fn read_hosting(
    f: &mut Fields<'_, '_>,
    model_type: Option<ModelType>,
    model_name: Option<&str>,
) -> Option<Option<Hosting>> {
    let present: Vec<&str> = HOSTING_FIELDS
        .iter()
        .copied()
        .filter(|k| f.has(k))
        .collect();
    if present.is_empty() {
        return Some(None);
    }
    for missing in HOSTING_FIELDS.iter().filter(|k| !present.contains(k)) {
        f.error(
            missing,
            format!(
                "is required for a LISA-hosted model: the hosting block is all or none of {}; \
                 present: {}; missing: {}",
                HOSTING_FIELDS.join(", "),
                present.join(", "),
                HOSTING_FIELDS
                    .iter()
                    .filter(|k| !present.contains(k))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );
    }
    if let Some(name) = model_name
        && let Err(message) = check_weights_prefix(name)
    {
        f.error("modelName", message);
    }
    let container = f.optional(
        "inferenceContainer",
        reader::one_of(InferenceContainer::ALL, InferenceContainer::from_wire),
    );
    if let (Some(container), Some(model_type)) = (container, model_type)
        && !container.serves(model_type)
    {
        let serves: Vec<&str> = ModelType::ALL
            .iter()
            .filter(|t| container.serves(**t))
            .map(|t| t.as_str())
            .collect();
        f.error(
            "inferenceContainer",
            format!(
                "\"{container}\" cannot serve modelType \"{model_type}\"; it serves {}",
                serves.join(" and ")
            ),
        );
    }
    let instance = f.optional("instanceType", |errors, path, value| {
        read_instance_type(errors, path, value, container)
    });
    let container_config = f.optional("containerConfig", |errors, path, value| {
        read_container_config(errors, path, value, instance, container)
    });
    let auto_scaling_config = f.optional("autoScalingConfig", |errors, path, value| {
        read_auto_scaling_config(errors, path, value, container)
    });
    let load_balancer_config = f.optional("loadBalancerConfig", read_load_balancer_config);
    Some(Some(Hosting {
        inference_container: container?,
        instance_type: instance?.name.to_owned(),
        container_config: container_config?,
        auto_scaling_config: auto_scaling_config?,
        load_balancer_config: load_balancer_config?,
    }))
}

/// A hosted model's name is a key prefix in the models bucket.
fn check_weights_prefix(name: &str) -> Result<(), String> {
    if name.starts_with("s3://") {
        Err(format!(
            "for a LISA-hosted model give the key prefix in the models bucket, not an s3:// URL; found {name:?}"
        ))
    } else if name.starts_with('/') {
        Err(format!(
            "must be a key prefix in the models bucket without a leading '/', found {name:?}"
        ))
    } else if name.split('/').any(|segment| segment == "..") {
        Err(format!("must not contain '..' segments, found {name:?}"))
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        Err(format!(
            "a weights prefix may contain only letters, digits, '.', '_', '-' and '/', found {bad:?} in {name:?}"
        ))
    } else {
        Ok(())
    }
}

fn read_instance_type(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    container: Option<InferenceContainer>,
) -> Option<&'static InstanceSpec> {
    let name = reader::string(errors, path, value)?;
    let Some(spec) = catalog::instance(&name) else {
        errors.push(
            path,
            format!(
                "unsupported instance type {name:?}; supported families: {} (sizes as EC2 names them, e.g. g5.xlarge to g5.48xlarge)",
                catalog::families().join(", ")
            ),
        );
        return None;
    };
    if let Some(container) = container.filter(|c| c.needs_gpu() && spec.gpus == 0) {
        errors.push(
            path,
            format!(
                "{name:?} has no GPU, which \"{container}\" needs; choose a GPU type or use \"tei\""
            ),
        );
        return None;
    }
    Some(spec)
}

const CONTAINER_FIELDS: &[&str] = &[
    "image",
    "sharedMemorySize",
    "environment",
    "healthCheckConfig",
    "serverArgs",
];

fn read_container_config(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    instance: Option<&InstanceSpec>,
    container: Option<InferenceContainer>,
) -> Option<ContainerConfig> {
    let mut f = Fields::open(errors, path, value, CONTAINER_FIELDS)?;
    let image = f.required("image", read_image);
    let shared_memory_size = f.required("sharedMemorySize", |errors, path, value| {
        read_shared_memory_size(errors, path, value, instance)
    });
    let environment = f.optional("environment", read_environment);
    let health_check_config = f.required("healthCheckConfig", read_container_health_check);
    let server_args = f.optional("serverArgs", |errors, path, value| {
        read_server_args(errors, path, value, container)
    });
    if !f.ok() {
        return None;
    }
    Some(ContainerConfig {
        image: image?,
        shared_memory_size: shared_memory_size?,
        environment: environment.unwrap_or_default(),
        health_check_config: health_check_config?,
        server_args,
    })
}

/// Reads `serverArgs`: an array of arguments, each checked on its own (with its index in the
/// path) against the flags `container`'s command sets.
fn read_server_args(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    container: Option<InferenceContainer>,
) -> Option<Vec<String>> {
    let Value::Array(items) = value else {
        errors.push(
            path,
            format!(
                "must be an array of strings, one argument each (never a shell string), found {}",
                describe(value)
            ),
        );
        return None;
    };
    if items.len() > bounds::SERVER_ARGS_MAX_COUNT {
        errors.push(
            path,
            format!(
                "must have at most {} arguments, found {}",
                bounds::SERVER_ARGS_MAX_COUNT,
                items.len()
            ),
        );
        return None;
    }
    let mut args = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Some(arg) = reader::string(errors, &item_path, item) else {
            ok = false;
            continue;
        };
        if let Err(message) = check_server_arg(container, &arg) {
            errors.push(item_path, message);
            ok = false;
            continue;
        }
        args.push(arg);
    }
    let total: usize = args.iter().map(String::len).sum();
    if ok && total > bounds::SERVER_ARGS_MAX_BYTES {
        errors.push(
            path,
            format!(
                "arguments must total at most {} bytes, found {total} bytes",
                bounds::SERVER_ARGS_MAX_BYTES
            ),
        );
        return None;
    }
    ok.then_some(args)
}

pub(crate) fn read_shared_memory_size(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    instance: Option<&InstanceSpec>,
) -> Option<u32> {
    let max = instance.map_or(u32::MAX, |spec| spec.memory_mib);
    let size = reader::integer(bounds::SHARED_MEMORY_SIZE)(errors, path, value)?;
    if size > max {
        let name = instance.map_or("", |spec| spec.name);
        errors.push(
            path,
            format!("must be at most the memory of {name} ({max} MiB), found {size} MiB"),
        );
        return None;
    }
    Some(size)
}

fn read_image(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<ImageConfig> {
    // `path` is the legacy image path that the API no longer needs: accepted and ignored.
    let mut f = Fields::open(errors, path, value, &["baseImage", "type", "path"])?;
    let image_type = f.required("type", reader::one_of(ImageType::ALL, ImageType::from_wire));
    let base_image = f.required("baseImage", |errors, path, value| {
        let reference = reader::bounded_string(bounds::BASE_IMAGE_MAX_BYTES)(errors, path, value)?;
        check_image_reference(&reference, image_type)
            .map_err(|message| errors.push(path, message))
            .ok()?;
        Some(reference)
    });
    Some(ImageConfig {
        base_image: base_image?,
        image_type: image_type?,
    })
}

pub(crate) fn read_environment(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<BTreeMap<String, String>> {
    let Value::Object(map) = value else {
        errors.push(
            path,
            format!(
                "must be an object of string values, found {}",
                describe(value)
            ),
        );
        return None;
    };
    if map.len() > bounds::ENVIRONMENT_MAX_VARIABLES {
        errors.push(
            path,
            format!(
                "must have at most {} variables, found {}",
                bounds::ENVIRONMENT_MAX_VARIABLES,
                map.len()
            ),
        );
        return None;
    }
    let total: usize = map
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if total > bounds::ENVIRONMENT_MAX_BYTES {
        errors.push(
            path,
            format!(
                "names and values must total at most {} bytes (ECS limits a task definition to 64 KiB), found {total} bytes",
                bounds::ENVIRONMENT_MAX_BYTES
            ),
        );
        return None;
    }
    let mut environment = BTreeMap::new();
    let mut ok = true;
    for (key, value) in map {
        let key_path = reader::child_path(path, key);
        let mut chars = key.chars();
        let valid_key = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_key {
            errors.push(
                &key_path,
                format!(
                    "variable name {key:?} must match {}",
                    bounds::unanchored(bounds::ENVIRONMENT_NAME_PATTERN)
                ),
            );
            ok = false;
        } else if reader::looks_like_a_credential(key) {
            errors.push(
                &key_path,
                format!(
                    "{key:?} looks like a credential: environment values are stored in plain text in \
                     the task definition and the stack; keep secrets in Secrets Manager"
                ),
            );
            ok = false;
        }
        match value {
            Value::String(s) => {
                environment.insert(key.clone(), s.clone());
            }
            other => {
                errors.push(
                    key_path,
                    format!(
                        "must be a string (quote numbers), found {}",
                        describe(other)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(environment)
}

const CONTAINER_HEALTH_FIELDS: &[&str] =
    &["command", "interval", "startPeriod", "timeout", "retries"];

pub(crate) fn read_container_health_check(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<ContainerHealthCheck> {
    let mut f = Fields::open(errors, path, value, CONTAINER_HEALTH_FIELDS)?;
    let command = f.required("command", read_health_command);
    let interval = f.optional(
        "interval",
        reader::integer(bounds::CONTAINER_HEALTH_INTERVAL),
    );
    let start_period = f.optional(
        "startPeriod",
        reader::integer(bounds::CONTAINER_HEALTH_START_PERIOD),
    );
    let timeout = f.optional("timeout", reader::integer(bounds::CONTAINER_HEALTH_TIMEOUT));
    let retries = f.optional("retries", reader::integer(bounds::CONTAINER_HEALTH_RETRIES));
    if !f.ok() {
        return None;
    }
    Some(ContainerHealthCheck {
        command: command?,
        interval,
        start_period,
        timeout,
        retries,
    })
}

fn read_health_command(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<Vec<String>> {
    const ALLOWED: &str =
        "an array [\"CMD\", ...] or [\"CMD-SHELL\", \"...\"], or a shell command string";
    let parts: Vec<String> = match value {
        Value::String(command) if !command.trim().is_empty() => {
            return Some(vec!["CMD-SHELL".into(), command.clone()]);
        }
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => parts.push(s.clone()),
                    other => {
                        errors.push(
                            format!("{path}[{i}]"),
                            format!("must be a string, found {}", describe(other)),
                        );
                        return None;
                    }
                }
            }
            parts
        }
        other => {
            errors.push(
                path,
                format!("must be {ALLOWED}, found {}", describe(other)),
            );
            return None;
        }
    };
    match parts.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL")
            if parts.len() > 1 && parts[1..].iter().any(|p| !p.trim().is_empty()) =>
        {
            Some(parts)
        }
        Some("CMD" | "CMD-SHELL") => {
            errors.push(
                path,
                format!("{:?} must be followed by a non-empty command", parts[0]),
            );
            None
        }
        Some(first) => {
            errors.push(
                format!("{path}[0]"),
                format!("must be \"CMD\" or \"CMD-SHELL\", found {first:?}"),
            );
            None
        }
        None => {
            errors.push(path, format!("must be {ALLOWED}, found an empty array"));
            None
        }
    }
}

const AUTO_SCALING_FIELDS: &[&str] = &[
    "minCapacity",
    "maxCapacity",
    "desiredCapacity",
    "cooldown",
    "defaultInstanceWarmup",
    "blockDeviceVolumeSize",
    "metricConfig",
];

fn read_auto_scaling_config(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    container: Option<InferenceContainer>,
) -> Option<AutoScalingConfig> {
    let mut f = Fields::open(errors, path, value, AUTO_SCALING_FIELDS)?;
    let min = f.required("minCapacity", reader::integer(bounds::CAPACITY));
    let max = f.required("maxCapacity", reader::integer(bounds::CAPACITY));
    let desired = f.optional("desiredCapacity", reader::integer(bounds::CAPACITY));
    check_capacities(&mut f, min, max, desired);
    let cooldown = f.required("cooldown", reader::integer(bounds::COOLDOWN));
    let default_instance_warmup = f.required(
        "defaultInstanceWarmup",
        reader::integer(bounds::INSTANCE_WARMUP),
    );
    let block_device_volume_size = f.optional(
        "blockDeviceVolumeSize",
        reader::integer(bounds::BLOCK_DEVICE_VOLUME_SIZE),
    );
    let metric_config = f.required("metricConfig", |errors, path, value| {
        read_metric_config(errors, path, value, container)
    });
    if !f.ok() {
        return None;
    }
    Some(AutoScalingConfig {
        min_capacity: min?,
        max_capacity: max?,
        desired_capacity: desired,
        cooldown: cooldown?,
        default_instance_warmup: default_instance_warmup?,
        block_device_volume_size,
        metric_config: metric_config?,
    })
}

/// min ≤ max and min ≤ desired ≤ max, reported on the field that breaks it.
pub(crate) fn check_capacities(
    f: &mut Fields<'_, '_>,
    min: Option<u32>,
    max: Option<u32>,
    desired: Option<u32>,
) {
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        f.error(
            "maxCapacity",
            format!("must be at least minCapacity ({min}), found {max}"),
        );
    }
    if let Some(desired) = desired {
        if let Some(min) = min.filter(|min| desired < *min) {
            f.error(
                "desiredCapacity",
                format!("must be at least minCapacity ({min}), found {desired}"),
            );
        } else if let Some(max) = max.filter(|max| desired > *max) {
            f.error(
                "desiredCapacity",
                format!("must be at most maxCapacity ({max}), found {desired}"),
            );
        }
    }
}

const METRIC_FIELDS: &[&str] = &[
    "albMetricName",
    "targetValue",
    "duration",
    "estimatedInstanceWarmup",
    "serverMetric",
];

fn read_metric_config(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    container: Option<InferenceContainer>,
) -> Option<MetricConfig> {
    let mut f = Fields::open(errors, path, value, METRIC_FIELDS)?;
    let alb_metric_name = f.required(
        "albMetricName",
        reader::one_of(AlbMetricName::ALL, AlbMetricName::from_wire),
    );
    let target_value = f.required("targetValue", reader::positive_number);
    let duration = f.required("duration", reader::integer(bounds::METRIC_DURATION));
    let estimated_instance_warmup = f.required(
        "estimatedInstanceWarmup",
        reader::integer(bounds::INSTANCE_WARMUP),
    );
    let server_metric = f.optional("serverMetric", |errors, path, value| {
        read_server_metric(errors, path, value, container)
    });
    if !f.ok() {
        return None;
    }
    Some(MetricConfig {
        alb_metric_name: alb_metric_name?,
        target_value: target_value?,
        duration: duration?,
        estimated_instance_warmup: estimated_instance_warmup?,
        server_metric,
    })
}

/// Why a signal cannot be chosen for a container (reported on `serverMetric.name`).
pub(crate) const SIGNAL_NOT_PUBLISHED: &str = "is not published by";

fn read_server_metric(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
    container: Option<InferenceContainer>,
) -> Option<ServerMetric> {
    let mut f = Fields::open(errors, path, value, &["name", "targetValue"])?;
    let name = f.required(
        "name",
        reader::one_of(ServerMetricName::ALL, ServerMetricName::from_wire),
    );
    let target_value = f.required("targetValue", reader::positive_number);
    if let (Some(name), Some(container)) = (name, container)
        && container.metric_of(name).is_none()
    {
        let published: Vec<String> = container.signals().map(|s| format!("\"{s}\"")).collect();
        f.error(
            "name",
            format!(
                "\"{name}\" {SIGNAL_NOT_PUBLISHED} \"{container}\"; it publishes {}",
                published.join(" and ")
            ),
        );
        return None;
    }
    let target_value = match (name, target_value) {
        (Some(ServerMetricName::KvCacheUse), Some(t)) if t > bounds::KV_CACHE_TARGET_MAX => {
            f.error(
                "targetValue",
                format!(
                    "must be a share of the KV cache, greater than 0 and at most {}, found {t}",
                    bounds::KV_CACHE_TARGET_MAX
                ),
            );
            None
        }
        (_, t) => t,
    };
    Some(ServerMetric {
        name: name?,
        target_value: target_value?,
    })
}

fn read_load_balancer_config(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<LoadBalancerConfig> {
    let mut f = Fields::open(errors, path, value, &["healthCheckConfig"])?;
    let health_check_config = f.required("healthCheckConfig", read_target_health_check);
    Some(LoadBalancerConfig {
        health_check_config: health_check_config?,
    })
}

const TARGET_HEALTH_FIELDS: &[&str] = &[
    "path",
    "interval",
    "timeout",
    "healthyThresholdCount",
    "unhealthyThresholdCount",
];

fn read_target_health_check(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<TargetHealthCheck> {
    let mut f = Fields::open(errors, path, value, TARGET_HEALTH_FIELDS)?;
    let check_path = f.required("path", |errors, path, value| {
        let p = reader::bounded_string(bounds::HEALTH_CHECK_PATH_MAX_BYTES)(errors, path, value)?;
        if !p.starts_with('/') {
            errors.push(path, format!("must start with '/', found {p:?}"));
            return None;
        }
        Some(p)
    });
    let interval = f.required("interval", reader::integer(bounds::TARGET_HEALTH_INTERVAL));
    let timeout = f.required("timeout", reader::integer(bounds::TARGET_HEALTH_TIMEOUT));
    // Not an early return: the threshold counts below are still checked and reported.
    let timeout = match (interval, timeout) {
        (Some(interval), Some(timeout)) if timeout >= interval => {
            f.error(
                "timeout",
                format!("must be less than interval ({interval} s), found {timeout} s"),
            );
            None
        }
        _ => timeout,
    };
    let healthy = f.required(
        "healthyThresholdCount",
        reader::integer(bounds::TARGET_HEALTH_THRESHOLD),
    );
    let unhealthy = f.required(
        "unhealthyThresholdCount",
        reader::integer(bounds::TARGET_HEALTH_THRESHOLD),
    );
    Some(TargetHealthCheck {
        path: check_path?,
        interval: interval?,
        timeout: timeout?,
        healthy_threshold_count: healthy?,
        unhealthy_threshold_count: unhealthy?,
    })
}

#[cfg(test)]
mod tests {
    use super::reader::looks_like_a_credential;

    #[test]
    fn credential_names_are_recognized_but_token_counts_are_not() {
        for secret in [
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "DB_PASSWORD",
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "TOKEN",
        ] {
            assert!(looks_like_a_credential(secret), "{secret}");
        }
        for plain in [
            "MAX_TOTAL_TOKENS",
            "MAX_INPUT_LENGTH",
            "TOKENIZER",
            "MAX_BATCH_TOKENS",
            "KEY_VALUE_CACHE",
        ] {
            assert!(!looks_like_a_credential(plain), "{plain}");
        }
    }
}
