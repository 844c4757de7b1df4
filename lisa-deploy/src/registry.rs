//! The model registry in DynamoDB: one item per model, every write conditional. A create
//! succeeds only when no item has the id; every later write only over the version it read, so
//! two requests racing on one model cannot both win.

use crate::aws::call;
use crate::error::{DeployError, Result};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lisa_constructs::bootstrap::REGISTRY_KEY;
use lisa_constructs::model::{ModelDefinition, ModelRecord, ModelStatus};
use std::collections::HashMap;

/// Attribute names of a registry item.
mod attr {
    pub const DEFINITION: &str = "definition";
    pub const PREVIOUS_DEFINITION: &str = "previous_definition";
    pub const ENABLED: &str = "enabled";
    pub const STATUS: &str = "status";
    pub const STACK_NAME: &str = "stack_name";
    pub const STACK_ID: &str = "stack_id";
    pub const LITELLM_MODEL_ID: &str = "litellm_model_id";
    pub const MODEL_URL: &str = "model_url";
    pub const AUTO_SCALING_GROUP_NAME: &str = "auto_scaling_group_name";
    pub const FAILURE_REASON: &str = "failure_reason";
    pub const OPERATION_TOKEN: &str = "operation_token";
    pub const STOPPED_BY_HAND: &str = "stopped_by_hand";
    pub const LAST_SCHEDULED_RUN: &str = "last_scheduled_run";
    pub const VERSION: &str = "version";
    pub const LAST_MODIFIED: &str = "last_modified";
}

/// Why a conditional write did not happen.
#[derive(Debug)]
pub enum WriteError {
    /// The condition failed: the item exists (create) or changed (update).
    Conflict,
    /// Anything else.
    Failed(DeployError),
}

/// The registry table.
#[derive(Debug, Clone)]
pub struct Registry {
    client: Client,
    table: String,
}

pub(crate) fn now() -> String {
    aws_sdk_dynamodb::primitives::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_sdk_dynamodb::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn to_item(record: &ModelRecord) -> Result<HashMap<String, AttributeValue>> {
    let definition =
        serde_json::to_string(&record.definition).map_err(|e| DeployError::Registry {
            model_id: record.definition.model_id.to_string(),
            reason: e.to_string(),
        })?;
    let mut item = HashMap::from([
        (
            REGISTRY_KEY.to_owned(),
            s(record.definition.model_id.as_str()),
        ),
        (attr::DEFINITION.to_owned(), s(&definition)),
        (
            attr::ENABLED.to_owned(),
            AttributeValue::Bool(record.enabled),
        ),
        (attr::STATUS.to_owned(), s(record.status.as_str())),
        (attr::STACK_NAME.to_owned(), s(&record.stack_name)),
        (
            attr::VERSION.to_owned(),
            AttributeValue::N(record.version.to_string()),
        ),
        (attr::LAST_MODIFIED.to_owned(), s(&record.last_modified)),
    ]);
    if let Some(previous) = &record.previous_definition {
        let previous = serde_json::to_string(previous).map_err(|e| DeployError::Registry {
            model_id: record.definition.model_id.to_string(),
            reason: e.to_string(),
        })?;
        item.insert(attr::PREVIOUS_DEFINITION.to_owned(), s(&previous));
    }
    if record.stopped_by_hand {
        item.insert(attr::STOPPED_BY_HAND.to_owned(), AttributeValue::Bool(true));
    }
    if let Some(run) = &record.last_scheduled_run {
        let run = serde_json::to_string(run).map_err(|e| DeployError::Registry {
            model_id: record.definition.model_id.to_string(),
            reason: e.to_string(),
        })?;
        item.insert(attr::LAST_SCHEDULED_RUN.to_owned(), s(&run));
    }
    for (name, value) in [
        (attr::STACK_ID, &record.stack_id),
        (attr::LITELLM_MODEL_ID, &record.litellm_model_id),
        (attr::MODEL_URL, &record.model_url),
        (
            attr::AUTO_SCALING_GROUP_NAME,
            &record.auto_scaling_group_name,
        ),
        (attr::FAILURE_REASON, &record.failure_reason),
        (attr::OPERATION_TOKEN, &record.operation_token),
    ] {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    Ok(item)
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<ModelRecord> {
    let model_id = item
        .get(REGISTRY_KEY)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let broken = |reason: String| DeployError::Registry {
        model_id: model_id.clone(),
        reason,
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let required = |name: &str| text(name).ok_or_else(|| broken(format!("no {name}")));
    let definition = ModelDefinition::from_json_str(&required(attr::DEFINITION)?)
        .map_err(|e| broken(format!("definition: {e}")))?;
    let status = ModelStatus::from_wire(&required(attr::STATUS)?)
        .ok_or_else(|| broken("unknown status".to_owned()))?;
    let version = item
        .get(attr::VERSION)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| broken("no version".to_owned()))?;
    let previous_definition = text(attr::PREVIOUS_DEFINITION)
        .map(|json| ModelDefinition::from_json_str(&json))
        .transpose()
        .map_err(|e| broken(format!("previous definition: {e}")))?;
    Ok(ModelRecord {
        definition,
        previous_definition,
        enabled: item
            .get(attr::ENABLED)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true),
        status,
        stack_name: required(attr::STACK_NAME)?,
        stack_id: text(attr::STACK_ID),
        litellm_model_id: text(attr::LITELLM_MODEL_ID),
        model_url: text(attr::MODEL_URL),
        auto_scaling_group_name: text(attr::AUTO_SCALING_GROUP_NAME),
        failure_reason: text(attr::FAILURE_REASON),
        operation_token: text(attr::OPERATION_TOKEN),
        stopped_by_hand: item
            .get(attr::STOPPED_BY_HAND)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        last_scheduled_run: text(attr::LAST_SCHEDULED_RUN)
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| broken(format!("last scheduled run: {e}")))?,
        version,
        last_modified: text(attr::LAST_MODIFIED).unwrap_or_default(),
    })
}

/// A stored record that cannot be read as a model (its definition breaks a rule tightened since
/// it was written, say): what can still be read of it, so it can be listed and deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The model's id (the item's key).
    pub model_id: String,
    /// Its status, when that can be read.
    pub status: Option<ModelStatus>,
    /// Why the record cannot be read.
    pub reason: String,
    /// Its stack's id, else its name, when either can be read.
    pub stack: Option<String>,
    /// Its version, when it can be read (writes are conditional on it).
    pub version: Option<u64>,
}

/// One stored record: a model, or a record that cannot be read as one.
// Nearly every entry is a model: boxing the common variant would cost an allocation per model
// to save space on the rare unreadable one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    /// A readable record.
    Model(ModelRecord),
    /// A record that cannot be read.
    Unreadable(Unreadable),
}

impl Listed {
    /// The model's id.
    pub fn model_id(&self) -> &str {
        match self {
            Listed::Model(record) => record.definition.model_id.as_str(),
            Listed::Unreadable(unreadable) => &unreadable.model_id,
        }
    }

    /// The readable record, if it is one.
    pub fn record(&self) -> Option<&ModelRecord> {
        match self {
            Listed::Model(record) => Some(record),
            Listed::Unreadable(_) => None,
        }
    }
}

fn read_item(item: &HashMap<String, AttributeValue>) -> Listed {
    match from_item(item) {
        Ok(record) => Listed::Model(record),
        Err(error) => {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let reason = match error {
                DeployError::Registry { reason, .. } => reason,
                other => other.to_string(),
            };
            Listed::Unreadable(Unreadable {
                model_id: text(REGISTRY_KEY).unwrap_or_default(),
                status: text(attr::STATUS).and_then(|s| ModelStatus::from_wire(&s)),
                reason,
                stack: text(attr::STACK_ID).or_else(|| text(attr::STACK_NAME)),
                version: item
                    .get(attr::VERSION)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok()),
            })
        }
    }
}

/// A conditional write's error: a failed condition is a conflict, anything else a failure.
fn write_error(error: DeployError) -> WriteError {
    match &error {
        DeployError::Aws {
            code: Some(code), ..
        } if code == "ConditionalCheckFailedException" => WriteError::Conflict,
        _ => WriteError::Failed(error),
    }
}

impl Registry {
    /// The registry in `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Registry {
        Registry {
            client,
            table: table.into(),
        }
    }

    /// One model's record (strongly consistent); [`DeployError::Registry`] when it cannot be
    /// read as a model.
    pub async fn get(&self, model_id: &str) -> Result<Option<ModelRecord>> {
        self.get_item(model_id)
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    /// One stored record, readable or not.
    pub async fn get_listed(&self, model_id: &str) -> Result<Option<Listed>> {
        Ok(self.get_item(model_id).await?.as_ref().map(read_item))
    }

    async fn get_item(&self, model_id: &str) -> Result<Option<HashMap<String, AttributeValue>>> {
        let output = call("DynamoDB.GetItem", || {
            self.client
                .get_item()
                .table_name(&self.table)
                .key(REGISTRY_KEY, s(model_id))
                .consistent_read(true)
                .send()
        })
        .await?;
        Ok(output.item().cloned())
    }

    /// Every record, sorted by model id; one that cannot be read is listed as such, so it
    /// never hides the others.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let mut records = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = call("DynamoDB.Scan", || {
                self.client
                    .scan()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .set_exclusive_start_key(start.clone())
                    .send()
            })
            .await?;
            records.extend(page.items().iter().map(read_item));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        records.sort_by(|a, b| a.model_id().cmp(b.model_id()));
        Ok(records)
    }

    /// Writes a new record (version 1); [`WriteError::Conflict`] when the id exists.
    pub async fn create(&self, mut record: ModelRecord) -> Result<ModelRecord, WriteError> {
        record.version = 1;
        record.last_modified = now();
        let item = to_item(&record).map_err(WriteError::Failed)?;
        call("DynamoDB.PutItem", || {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(#k)")
                .expression_attribute_names("#k", REGISTRY_KEY)
                .send()
        })
        .await
        .map_err(write_error)?;
        Ok(record)
    }

    /// Replaces a record if it still has `record.version`; the written record has the next
    /// version. [`WriteError::Conflict`] when it changed (or vanished) meanwhile.
    pub async fn replace(&self, mut record: ModelRecord) -> Result<ModelRecord, WriteError> {
        let expected = record.version;
        record.version = expected + 1;
        record.last_modified = now();
        let item = to_item(&record).map_err(WriteError::Failed)?;
        call("DynamoDB.PutItem", || {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", attr::VERSION)
                .expression_attribute_values(":v", AttributeValue::N(expected.to_string()))
                .send()
        })
        .await
        .map_err(write_error)?;
        Ok(record)
    }

    /// Sets only the status of a record (an unreadable one: its other attributes are kept) if it
    /// still has `version`.
    pub async fn set_status(
        &self,
        model_id: &str,
        version: u64,
        status: ModelStatus,
    ) -> Result<(), WriteError> {
        call("DynamoDB.UpdateItem", || {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(REGISTRY_KEY, s(model_id))
                .update_expression("SET #s = :s, #v = :next, #m = :m")
                .condition_expression("#v = :v")
                .expression_attribute_names("#s", attr::STATUS)
                .expression_attribute_names("#v", attr::VERSION)
                .expression_attribute_names("#m", attr::LAST_MODIFIED)
                .expression_attribute_values(":s", s(status.as_str()))
                .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
                .expression_attribute_values(":next", AttributeValue::N((version + 1).to_string()))
                .expression_attribute_values(":m", s(&now()))
                .send()
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    /// Removes a record if it still has `version`.
    pub async fn remove(&self, model_id: &str, version: u64) -> Result<(), WriteError> {
        call("DynamoDB.DeleteItem", || {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(REGISTRY_KEY, s(model_id))
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", attr::VERSION)
                .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
                .send()
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }
}
