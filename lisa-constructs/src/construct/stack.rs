//! The construct tree: a [`Stack`] and [`Scope`]s that add resources under their own path.

use std::fmt;

use crate::cfn::OrderedMap;

use super::id::{IdError, LogicalId, StackName};
use super::validate::{Problem, SynthError, validate_template};
use crate::cfn::{
    CfnError, Condition, Expr, Output, Parameter, Resource, ResourceProperties, Rule, Template,
};

/// Errors adding to a stack. Nothing is added when an error is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConstructError {
    /// A construct id is empty or contains `/`.
    #[error("invalid construct id `{component}` under `{scope}`: {reason}")]
    InvalidPathComponent {
        /// The rejected id.
        component: String,
        /// The path of the scope it was added under.
        scope: String,
        /// Why.
        reason: &'static str,
    },
    /// Two constructs share a path.
    #[error("a construct already exists at path `{path}`")]
    DuplicatePath {
        /// The path.
        path: String,
    },
    /// Two resources (or a resource and a parameter) share a logical id.
    #[error("logical id `{logical_id}` (for `{path}`) is already used by {existing}")]
    DuplicateLogicalId {
        /// The id.
        logical_id: String,
        /// Path (or name) of the newcomer.
        path: String,
        /// What already holds the id.
        existing: String,
    },
    /// A condition or output name is taken.
    #[error("{section} `{name}` already exists")]
    DuplicateName {
        /// `Conditions` or `Outputs`.
        section: &'static str,
        /// The name.
        name: String,
    },
    /// An id could not be built.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A resource's properties could not be rendered.
    #[error("cannot render resource at `{path}`")]
    Render {
        /// The construct path.
        path: String,
        /// The cause.
        #[source]
        source: CfnError,
    },
}

/// A validation a construct attaches to its stack; returns one message per problem.
pub type Validation = dyn Fn(&Template) -> Vec<String> + Send + Sync;

/// A stack under construction: its name, the template being built, the construct paths added so
/// far, and the validations to run at [`Stack::synth`].
pub struct Stack {
    name: StackName,
    template: Template,
    paths: OrderedMap<LogicalId>,
    validations: Vec<(String, Box<Validation>)>,
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("name", &self.name)
            .field("template", &self.template)
            .field("paths", &self.paths)
            .field(
                "validations",
                &self.validations.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Stack {
    /// An empty stack.
    pub fn new(name: StackName) -> Stack {
        Stack {
            name,
            template: Template::new(),
            paths: OrderedMap::default(),
            validations: Vec::new(),
        }
    }

    /// The stack name.
    pub fn name(&self) -> &StackName {
        &self.name
    }

    /// The template built so far (not yet validated).
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Sets the template description.
    pub fn set_description(&mut self, description: impl Into<String>) {
        self.template.description = Some(description.into());
    }

    /// Sets one template-level metadata entry.
    pub fn set_metadata(&mut self, key: impl Into<String>, value: serde_json::Value) {
        self.template.metadata.insert(key.into(), value);
    }

    /// The root scope (constructs added here are top-level).
    pub fn root(&mut self) -> Scope<'_> {
        Scope {
            stack: self,
            path: Vec::new(),
        }
    }

    /// A scope for a composed part at top-level path `id`.
    pub fn scope(&mut self, id: impl Into<String>) -> Scope<'_> {
        Scope {
            stack: self,
            path: vec![id.into()],
        }
    }

    /// Adds a top-level resource at path `id`.
    pub fn add<P: ResourceProperties>(
        &mut self,
        id: &str,
        properties: P,
    ) -> Result<ResourceHandle, ConstructError> {
        self.root().add(id, properties)
    }

    /// Adds a parameter (parameters share the logical id namespace with resources).
    pub fn add_parameter(
        &mut self,
        name: &str,
        parameter: Parameter,
    ) -> Result<ParameterHandle, ConstructError> {
        let id = LogicalId::new(name)?;
        self.ensure_id_free(&id, name)?;
        self.template
            .parameters
            .insert(id.as_str().to_owned(), parameter);
        Ok(ParameterHandle { name: id })
    }

    /// Adds a named condition.
    pub fn add_condition(
        &mut self,
        name: &str,
        condition: Condition,
    ) -> Result<ConditionHandle, ConstructError> {
        let id = LogicalId::new(name)?;
        if self.template.conditions.contains_key(id.as_str()) {
            return Err(ConstructError::DuplicateName {
                section: "Conditions",
                name: name.to_owned(),
            });
        }
        self.template
            .conditions
            .insert(id.as_str().to_owned(), condition);
        Ok(ConditionHandle { name: id })
    }

    /// Adds a named rule (an assertion on the parameter values, checked at deploy time).
    pub fn add_rule(&mut self, name: &str, rule: Rule) -> Result<(), ConstructError> {
        let id = LogicalId::new(name)?;
        if self.template.rules.contains_key(id.as_str()) {
            return Err(ConstructError::DuplicateName {
                section: "Rules",
                name: name.to_owned(),
            });
        }
        self.template.rules.insert(id.as_str().to_owned(), rule);
        Ok(())
    }

    /// Adds an output.
    pub fn add_output(&mut self, name: &str, output: Output) -> Result<(), ConstructError> {
        let id = LogicalId::new(name)?;
        if self.template.outputs.contains_key(id.as_str()) {
            return Err(ConstructError::DuplicateName {
                section: "Outputs",
                name: name.to_owned(),
            });
        }
        self.template.outputs.insert(id.as_str().to_owned(), output);
        Ok(())
    }

    /// Attaches a validation run by [`Stack::synth`]; each returned message becomes a
    /// [`Problem::Custom`] named `name`.
    pub fn add_validation<F>(&mut self, name: impl Into<String>, validation: F)
    where
        F: Fn(&Template) -> Vec<String> + Send + Sync + 'static,
    {
        self.validations.push((name.into(), Box::new(validation)));
    }

    /// The resource behind a handle, to adjust attributes after adding it (`DependsOn`,
    /// `Condition`, policies, metadata).
    pub fn resource_mut(&mut self, handle: &ResourceHandle) -> Option<&mut Resource> {
        self.template.resources.get_mut(handle.logical_id.as_str())
    }

    /// The logical id of the construct at `path` (components joined by `/`).
    pub fn logical_id_at(&self, path: &str) -> Option<&LogicalId> {
        self.paths.get(path)
    }

    /// Construct paths and their logical ids, in insertion order.
    pub fn paths(&self) -> impl Iterator<Item = (&str, &LogicalId)> {
        self.paths.iter().map(|(p, id)| (p.as_str(), id))
    }

    /// Every problem in the current template: unresolved references and custom validations.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = validate_template(&self.template);
        for (name, validation) in &self.validations {
            problems.extend(validation(&self.template).into_iter().map(|message| {
                Problem::Custom {
                    validator: name.clone(),
                    message,
                }
            }));
        }
        problems
    }

    /// Validates and returns the finished template, or every problem found.
    pub fn synth(&self) -> Result<Template, SynthError> {
        self.check()?;
        Ok(self.template.clone())
    }

    /// Like [`Stack::synth`], but hands over the template instead of copying it, for a stack
    /// that is finished.
    pub fn into_template(self) -> Result<Template, SynthError> {
        self.check()?;
        Ok(self.template)
    }

    fn check(&self) -> Result<(), SynthError> {
        let problems = self.validate();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SynthError {
                stack: self.name.as_str().to_owned(),
                problems,
            })
        }
    }

    fn ensure_id_free(&self, id: &LogicalId, path: &str) -> Result<(), ConstructError> {
        let existing = if self.template.parameters.contains_key(id.as_str()) {
            Some(format!("parameter `{id}`"))
        } else if self.template.resources.contains_key(id.as_str()) {
            let owner = self
                .paths
                .iter()
                .find(|(_, v)| *v == id)
                .map_or_else(|| id.to_string(), |(p, _)| p.clone());
            Some(format!("resource at `{owner}`"))
        } else {
            None
        };
        match existing {
            Some(existing) => Err(ConstructError::DuplicateLogicalId {
                logical_id: id.to_string(),
                path: path.to_owned(),
                existing,
            }),
            None => Ok(()),
        }
    }
}

/// A position in the construct tree; composed parts add their resources under it.
#[derive(Debug)]
pub struct Scope<'s> {
    stack: &'s mut Stack,
    path: Vec<String>,
}

impl Scope<'_> {
    /// This scope's path (components joined by `/`; empty at the root).
    pub fn path(&self) -> String {
        self.path.join("/")
    }

    /// The stack (for parameters, conditions, outputs, validations).
    pub fn stack(&mut self) -> &mut Stack {
        self.stack
    }

    /// The stack's name.
    pub fn stack_name(&self) -> &StackName {
        &self.stack.name
    }

    /// A child scope.
    pub fn scope(&mut self, id: impl Into<String>) -> Scope<'_> {
        let mut path = self.path.clone();
        path.push(id.into());
        Scope {
            stack: self.stack,
            path,
        }
    }

    /// Adds `properties` as resource `id` under this scope (kept typed until the template is
    /// rendered); the logical id is derived from the path.
    pub fn add<P: ResourceProperties>(
        &mut self,
        id: &str,
        properties: P,
    ) -> Result<ResourceHandle, ConstructError> {
        self.add_with(id, properties, |resource| resource)
    }

    /// Like [`Scope::add`], with resource attributes (DependsOn, Condition, metadata such as
    /// checkov skips) set by `attributes` on the entry.
    pub fn add_with<P: ResourceProperties>(
        &mut self,
        id: &str,
        properties: P,
        attributes: impl FnOnce(Resource) -> Resource,
    ) -> Result<ResourceHandle, ConstructError> {
        let resource =
            Resource::from_properties(properties).map_err(|source| ConstructError::Render {
                path: self.child_path(id),
                source,
            })?;
        self.add_resource(id, attributes(resource))
    }

    /// Adds a prepared resource entry (with attributes already set) under this scope.
    pub fn add_resource(
        &mut self,
        id: &str,
        resource: Resource,
    ) -> Result<ResourceHandle, ConstructError> {
        let components = self.child_components(id)?;
        let logical_id = LogicalId::from_path(&components)?;
        let path = components.join("/");
        self.insert(path, logical_id, resource)
    }

    /// Adds a prepared resource under this scope with a pinned logical id (e.g. to keep the id of
    /// a resource whose construct moved).
    pub fn add_resource_with_id(
        &mut self,
        id: &str,
        logical_id: LogicalId,
        resource: Resource,
    ) -> Result<ResourceHandle, ConstructError> {
        let path = self.child_components(id)?.join("/");
        self.insert(path, logical_id, resource)
    }

    /// The path a construct `id` added under this scope gets.
    pub fn child_path(&self, id: &str) -> String {
        let mut p = self.path.clone();
        p.push(id.to_owned());
        p.join("/")
    }

    /// This scope's path and `id`, borrowed, each checked.
    fn child_components<'a>(&'a self, id: &'a str) -> Result<Vec<&'a str>, ConstructError> {
        let mut components: Vec<&str> = Vec::with_capacity(self.path.len() + 1);
        components.extend(self.path.iter().map(String::as_str));
        components.push(id);
        for (i, c) in components.iter().enumerate() {
            let reason = if c.is_empty() {
                Some("empty")
            } else if c.contains('/') {
                Some("contains `/`")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(ConstructError::InvalidPathComponent {
                    component: (*c).to_owned(),
                    scope: components[..i].join("/"),
                    reason,
                });
            }
        }
        Ok(components)
    }

    fn insert(
        &mut self,
        path: String,
        logical_id: LogicalId,
        resource: Resource,
    ) -> Result<ResourceHandle, ConstructError> {
        if self.stack.paths.contains_key(&path) {
            return Err(ConstructError::DuplicatePath { path });
        }
        self.stack.ensure_id_free(&logical_id, &path)?;
        let handle = ResourceHandle {
            logical_id: logical_id.clone(),
            path: path.clone(),
            resource_type: resource.resource_type().to_owned(),
        };
        self.stack
            .template
            .resources
            .insert(logical_id.as_str().to_owned(), resource);
        self.stack.paths.insert(path, logical_id);
        Ok(handle)
    }
}

/// A handle to an added resource: produces references to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceHandle {
    logical_id: LogicalId,
    path: String,
    resource_type: String,
}

impl ResourceHandle {
    /// `{"Ref": logical_id}`.
    pub fn ref_(&self) -> Expr {
        Expr::ref_(self.logical_id.as_str())
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn get_att(&self, attribute: &str) -> Expr {
        Expr::get_att(self.logical_id.as_str(), attribute)
    }

    /// The logical id.
    pub fn logical_id(&self) -> &LogicalId {
        &self.logical_id
    }

    /// The construct path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The resource type.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

impl From<&ResourceHandle> for String {
    fn from(h: &ResourceHandle) -> String {
        h.logical_id.as_str().to_owned()
    }
}

/// A handle to an added parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParameterHandle {
    name: LogicalId,
}

impl ParameterHandle {
    /// `{"Ref": name}`.
    pub fn ref_(&self) -> Expr {
        Expr::ref_(self.name.as_str())
    }

    /// The parameter name.
    pub fn name(&self) -> &LogicalId {
        &self.name
    }
}

/// A handle to an added condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionHandle {
    name: LogicalId,
}

impl ConditionHandle {
    /// The condition name (for `Resource::condition`, `Output::condition`).
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// `{"Fn::If": [name, then, otherwise]}`.
    pub fn if_(&self, then: impl Into<Expr>, otherwise: impl Into<Expr>) -> Expr {
        Expr::if_(self.name.as_str(), then.into(), otherwise.into())
    }

    /// `{"Condition": name}`, to combine in other conditions.
    pub fn condition(&self) -> Condition {
        Condition::named(self.name.as_str())
    }
}

impl From<&ConditionHandle> for String {
    fn from(h: &ConditionHandle) -> String {
        h.name.as_str().to_owned()
    }
}
