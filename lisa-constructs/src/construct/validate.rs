//! The validation pass run before a template is handed out: every reference must resolve.

use std::fmt;

use crate::cfn::{ReferenceTo, References, Template};

/// Where in the template a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In a resource (properties, `DependsOn` or `Condition`).
    Resource(String),
    /// In an output.
    Output(String),
    /// In a named condition.
    Condition(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Resource(id) => write!(f, "resource `{id}`"),
            Location::Output(name) => write!(f, "output `{name}`"),
            Location::Condition(name) => write!(f, "condition `{name}`"),
        }
    }
}

/// One problem found by [`validate_template`] or a custom validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A `Ref`, `Fn::GetAtt` or `${...}` names nothing in the template.
    #[error("{location}: `{target}` is not a resource, parameter or pseudo parameter{}", hint(.suggestion))]
    DanglingReference {
        /// Where.
        location: Location,
        /// The missing name.
        target: String,
        /// The closest existing name, if any is close.
        suggestion: Option<String>,
    },
    /// An attribute is read from a parameter.
    #[error(
        "{location}: reads attribute `{attribute}` of `{target}`, which is a parameter, not a resource"
    )]
    AttributeOfNonResource {
        /// Where.
        location: Location,
        /// The parameter.
        target: String,
        /// The attribute.
        attribute: String,
    },
    /// A resource references itself (a circular dependency).
    #[error("{location}: references itself")]
    SelfReference {
        /// Where.
        location: Location,
    },
    /// A `DependsOn` entry is not a resource.
    #[error("{location}: DependsOn `{target}` is not a resource{}", hint(.suggestion))]
    DanglingDependsOn {
        /// Where.
        location: Location,
        /// The missing resource.
        target: String,
        /// The closest existing resource, if any is close.
        suggestion: Option<String>,
    },
    /// A `Condition`, `Fn::If` or `{"Condition": ...}` names no condition.
    #[error("{location}: condition `{condition}` does not exist{}", hint(.suggestion))]
    UnknownCondition {
        /// Where.
        location: Location,
        /// The missing condition.
        condition: String,
        /// The closest existing condition, if any is close.
        suggestion: Option<String>,
    },
    /// A condition references a resource (conditions may only use parameters).
    #[error("{location}: conditions may only reference parameters, `{target}` is a resource")]
    ResourceInCondition {
        /// Where.
        location: Location,
        /// The resource.
        target: String,
    },
    /// CloudFormation requires at least one resource.
    #[error("the template has no resources")]
    NoResources,
    /// Reported by a validation attached with [`Stack::add_validation`](super::Stack::add_validation).
    #[error("{validator}: {message}")]
    Custom {
        /// The validation's name.
        validator: String,
        /// What is wrong.
        message: String,
    },
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Synthesis failed: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stack `{stack}` has {} problem(s): {}", .problems.len(), list(.problems))]
pub struct SynthError {
    /// The stack name.
    pub stack: String,
    /// All problems, in template order.
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<String> {
    candidates
        .map(|c| (strsim::normalized_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.clone())
}

/// Checks that every reference in `template` resolves: `Ref` / `Fn::GetAtt` / `Fn::Sub` targets
/// (resources, parameters, pseudo parameters), `DependsOn` targets (resources), condition names
/// (`Condition`, `Fn::If`, `{"Condition": ...}`), and that conditions only reference parameters.
/// Returns every problem found, in template order.
pub fn validate_template(template: &Template) -> Vec<Problem> {
    let mut problems = Vec::new();
    if template.resources.is_empty() {
        problems.push(Problem::NoResources);
    }
    let check_condition = |problems: &mut Vec<Problem>, location: &Location, name: &str| {
        if !template.conditions.contains_key(name) {
            problems.push(Problem::UnknownCondition {
                location: location.clone(),
                condition: name.to_owned(),
                suggestion: closest(name, template.conditions.keys()),
            });
        }
    };

    for (name, condition) in &template.conditions {
        let location = Location::Condition(name.clone());
        condition.visit_references(&mut |reference| match reference {
            ReferenceTo::Condition(c) => check_condition(&mut problems, &location, c),
            other => {
                let Some(target) = other.target() else {
                    return;
                };
                if template.resources.contains_key(target) {
                    problems.push(Problem::ResourceInCondition {
                        location: location.clone(),
                        target: target.to_owned(),
                    });
                } else if !template.parameters.contains_key(target) {
                    problems.push(Problem::DanglingReference {
                        location: location.clone(),
                        target: target.to_owned(),
                        suggestion: closest(target, template.parameters.keys()),
                    });
                }
            }
        });
    }

    for (id, resource) in &template.resources {
        let location = Location::Resource(id.clone());
        if let Some(c) = &resource.condition {
            check_condition(&mut problems, &location, c);
        }
        for dep in &resource.depends_on {
            if dep == id {
                problems.push(Problem::SelfReference {
                    location: location.clone(),
                });
            } else if !template.resources.contains_key(dep) {
                problems.push(Problem::DanglingDependsOn {
                    location: location.clone(),
                    target: dep.clone(),
                    suggestion: closest(dep, template.resources.keys()),
                });
            }
        }
        resource.visit_references(&mut |reference| {
            check_reference(template, reference, &location, Some(id), &mut problems);
        });
    }

    for (name, output) in &template.outputs {
        let location = Location::Output(name.clone());
        if let Some(c) = &output.condition {
            check_condition(&mut problems, &location, c);
        }
        let mut check =
            |reference| check_reference(template, reference, &location, None, &mut problems);
        output.value.visit_references(&mut check);
        if let Some(export) = &output.export {
            export.name.visit_references(&mut check);
        }
    }
    problems
}

/// Checks one reference made at `location` (by resource `self_id`, when it is a resource).
fn check_reference(
    template: &Template,
    reference: ReferenceTo<'_>,
    location: &Location,
    self_id: Option<&str>,
    problems: &mut Vec<Problem>,
) {
    if let ReferenceTo::Condition(c) = reference {
        if !template.conditions.contains_key(c) {
            problems.push(Problem::UnknownCondition {
                location: location.clone(),
                condition: c.to_owned(),
                suggestion: closest(c, template.conditions.keys()),
            });
        }
        return;
    }
    let Some(target) = reference.target() else {
        return;
    };
    if self_id == Some(target) {
        problems.push(Problem::SelfReference {
            location: location.clone(),
        });
    } else if template.resources.contains_key(target) {
        // resolves
    } else if template.parameters.contains_key(target) {
        if let Some(attribute) = reference.attribute() {
            problems.push(Problem::AttributeOfNonResource {
                location: location.clone(),
                target: target.to_owned(),
                attribute: attribute.to_owned(),
            });
        }
    } else {
        let candidates = template.resources.keys().chain(template.parameters.keys());
        problems.push(Problem::DanglingReference {
            location: location.clone(),
            target: target.to_owned(),
            suggestion: closest(target, candidates),
        });
    }
}
