//! A folder of model definitions as the desired fleet: the plan (new, changed, unchanged,
//! absent), the preflight checks of what it grows, and its application, many stacks at once
//! with bounded concurrency.

use crate::deployer::{Deployer, Waited};
use crate::error::Result;
use crate::registry::Listed;
use crate::stacks::{Preview, ResourceChange};
use futures_util::StreamExt;
use lisa_constructs::model::{ModelDefinition, ModelRecord, ModelStatus};

/// What a deploy would do to one model.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanItem {
    /// Not deployed yet: create it.
    Create(ModelDefinition),
    /// Its definition changed: update it.
    Update {
        /// The new definition.
        definition: ModelDefinition,
        /// The resources the stack's change set would touch, when the plan was previewed
        /// (empty for a stopped model, whose change is saved for its next start).
        changes: Option<Vec<ResourceChange>>,
        /// Whether the update grows a running model (a higher maxCapacity, another instance
        /// type): the preflight checks it, as they check a create.
        resizes: bool,
    },
    /// Deployed as defined.
    Unchanged(String),
    /// Deployed but not in the folder: deleted with `--prune`.
    Absent(String),
}

impl PlanItem {
    /// The model's id.
    pub fn model_id(&self) -> &str {
        match self {
            PlanItem::Create(definition) | PlanItem::Update { definition, .. } => {
                definition.model_id.as_str()
            }
            PlanItem::Unchanged(id) | PlanItem::Absent(id) => id,
        }
    }
}

/// Compares the desired definitions with the registry; with `preview`, each changed model's
/// change set is computed (and deleted) to list the resources it would touch. `diff` and
/// `deploy --dry-run` both show a previewed plan, so they say the same.
pub async fn plan_fleet(
    deployer: &Deployer,
    desired: Vec<ModelDefinition>,
    preview: bool,
) -> Result<Vec<PlanItem>> {
    let deployed = deployer.list().await?;
    let mut items = Vec::new();
    for definition in desired {
        let current = deployed
            .iter()
            .find(|listed| listed.model_id() == definition.model_id.as_str());
        let item = match current {
            None => PlanItem::Create(definition),
            Some(Listed::Model(record)) if record.definition == definition => {
                PlanItem::Unchanged(definition.model_id.to_string())
            }
            // A changed model, or one whose record cannot be read (its redefinition then says so).
            Some(listed) => {
                let running = listed
                    .record()
                    .filter(|record| record.status != ModelStatus::Stopped);
                let changes = match running {
                    Some(record) if preview => {
                        match deployer.preview(&definition, record.enabled).await? {
                            Preview::Changes(changes) => Some(changes),
                            Preview::Create | Preview::Unchanged => Some(Vec::new()),
                        }
                    }
                    _ if preview => Some(Vec::new()),
                    _ => None,
                };
                let resizes = running.is_some_and(|record| grows(&record.definition, &definition));
                PlanItem::Update {
                    definition,
                    changes,
                    resizes,
                }
            }
        };
        items.push(item);
    }
    for listed in &deployed {
        if !items.iter().any(|i| i.model_id() == listed.model_id()) {
            items.push(PlanItem::Absent(listed.model_id().to_owned()));
        }
    }
    Ok(items)
}

/// Whether `next` needs more of the account than `deployed`: another instance type, or a
/// higher maxCapacity.
fn grows(deployed: &ModelDefinition, next: &ModelDefinition) -> bool {
    match (&deployed.hosting, &next.hosting) {
        (Some(before), Some(after)) => {
            before.instance_type != after.instance_type
                || after.auto_scaling_config.max_capacity > before.auto_scaling_config.max_capacity
        }
        (None, Some(_)) => true,
        (_, None) => false,
    }
}

/// What the preflight checks said of one model of a plan.
#[cfg(feature = "preflight")]
#[derive(Debug)]
pub struct CheckedItem {
    /// The model.
    pub model_id: String,
    /// The warnings of checks that could not run, or the refusal.
    pub result: Result<Vec<String>>,
}

/// The preflight checks of what a plan grows: each create, and each update that resizes a
/// running model. Models the plan does not grow are not checked.
#[cfg(feature = "preflight")]
pub async fn preflight_fleet(deployer: &Deployer, plan: &[PlanItem]) -> Vec<CheckedItem> {
    let mut checked = Vec::new();
    for item in plan {
        let definition = match item {
            PlanItem::Create(definition)
            | PlanItem::Update {
                definition,
                resizes: true,
                ..
            } => definition,
            PlanItem::Update { .. } | PlanItem::Unchanged(_) | PlanItem::Absent(_) => continue,
        };
        checked.push(CheckedItem {
            model_id: definition.model_id.to_string(),
            result: deployer.preflight(definition).await,
        });
    }
    checked
}

/// How one model's part of a deploy ended.
#[derive(Debug)]
pub struct AppliedItem {
    /// The model.
    pub model_id: String,
    /// Its record afterwards (`None`: deleted), or why it failed.
    pub result: Result<Option<ModelRecord>>,
}

impl AppliedItem {
    /// Whether the model reached its goal (created or updated and serving or stopped as
    /// before, or deleted).
    pub fn succeeded(&self) -> bool {
        match &self.result {
            Ok(None) => true,
            Ok(Some(record)) => {
                record.status != ModelStatus::Failed && record.failure_reason.is_none()
            }
            Err(_) => false,
        }
    }
}

async fn settle(deployer: &Deployer, model_id: &str) -> Result<Option<ModelRecord>> {
    match deployer.wait(model_id, &mut |_| {}).await? {
        Waited::Settled(record) => Ok(Some(*record)),
        Waited::Deleted => Ok(None),
    }
}

async fn apply_one(deployer: &Deployer, item: PlanItem, prune: bool) -> Option<AppliedItem> {
    let model_id = item.model_id().to_owned();
    let result = match item {
        PlanItem::Unchanged(_) => return None,
        PlanItem::Absent(_) if !prune => return None,
        PlanItem::Create(definition) => match deployer.create(definition).await {
            Ok(_) => settle(deployer, &model_id).await,
            Err(error) => Err(error),
        },
        PlanItem::Update { definition, .. } => match deployer.redefine(definition).await {
            Ok(_) => settle(deployer, &model_id).await,
            Err(error) => Err(error),
        },
        PlanItem::Absent(_) => match deployer.delete(&model_id).await {
            Ok(Some(_)) => settle(deployer, &model_id).await,
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        },
    };
    Some(AppliedItem { model_id, result })
}

/// Applies a plan: creates the new, updates the changed and, with `prune`, deletes the absent,
/// at most `concurrency` models at once, each followed to its end. `done` is called as each
/// model finishes.
pub async fn apply_fleet(
    deployer: &Deployer,
    plan: Vec<PlanItem>,
    prune: bool,
    concurrency: usize,
    done: &mut (dyn FnMut(&AppliedItem) + Send),
) -> Vec<AppliedItem> {
    let mut results = Vec::new();
    let mut stream = futures_util::stream::iter(plan)
        .map(|item| apply_one(deployer, item, prune))
        .buffer_unordered(concurrency.max(1));
    while let Some(applied) = stream.next().await {
        if let Some(applied) = applied {
            done(&applied);
            results.push(applied);
        }
    }
    results.sort_by(|a, b| a.model_id.cmp(&b.model_id));
    results
}
