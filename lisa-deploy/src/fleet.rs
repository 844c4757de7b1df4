//! A folder of model definitions as the desired fleet: the plan (new, changed, unchanged,
//! absent) and its application, many stacks at once with bounded concurrency.

use crate::error::Result;
use crate::lifecycle::{Deployer, Waited};
use crate::registry::Listed;
use crate::stacks::{Preview, ResourceChange};
use futures_util::StreamExt;
use lisa_constructs::model::{ModelDefinition, ModelRecord, ModelStatus};

/// What a deploy would do to one model.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanItem {
    /// Not deployed yet: create it.
    Create(ModelDefinition),
    /// Its definition changed: update it. `changes` lists what the stack's change set would
    /// touch (empty for a stopped model, whose change is saved for its next start).
    Update {
        /// The new definition.
        definition: ModelDefinition,
        /// The resources the change set would touch.
        changes: Vec<ResourceChange>,
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
/// change set is computed (and deleted) to list the resources it would touch.
pub async fn plan(
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
                let changes = match listed.record() {
                    Some(record) if preview && record.status != ModelStatus::Stopped => {
                        match deployer.preview(&definition, record.enabled).await? {
                            Preview::Changes(changes) => changes,
                            Preview::Create | Preview::Unchanged => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                };
                PlanItem::Update {
                    definition,
                    changes,
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

/// How one model's part of a deploy ended.
#[derive(Debug)]
pub struct Applied {
    /// The model.
    pub model_id: String,
    /// Its record afterwards (`None`: deleted), or why it failed.
    pub result: Result<Option<ModelRecord>>,
}

impl Applied {
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

async fn apply_one(deployer: &Deployer, item: PlanItem, prune: bool) -> Option<Applied> {
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
    Some(Applied { model_id, result })
}

/// Applies a plan: creates the new, updates the changed and, with `prune`, deletes the absent,
/// at most `concurrency` models at once, each followed to its end. `done` is called as each
/// model finishes.
pub async fn apply(
    deployer: &Deployer,
    plan: Vec<PlanItem>,
    prune: bool,
    concurrency: usize,
    done: &mut (dyn FnMut(&Applied) + Send),
) -> Vec<Applied> {
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
