//! Condition functions for the template's `Conditions` section.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::expr::{Expr, Reference};
use super::references::{ReferenceTo, References};

/// A condition expression: `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, or a reference to
/// another named condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `{"Fn::Equals": [a, b]}`.
    Equals(Expr, Expr),
    /// `{"Fn::Not": [c]}`.
    Not(Box<Condition>),
    /// `{"Fn::And": [...]}` (2 to 10 operands).
    And(Vec<Condition>),
    /// `{"Fn::Or": [...]}` (2 to 10 operands).
    Or(Vec<Condition>),
    /// `{"Condition": name}`: another named condition.
    Named(String),
}

impl Condition {
    /// `Fn::Equals`.
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Condition {
        Condition::Equals(a.into(), b.into())
    }

    /// `Fn::Not`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: Condition) -> Condition {
        Condition::Not(Box::new(c))
    }

    /// `Fn::And`.
    pub fn and(cs: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::And(cs.into_iter().collect())
    }

    /// `Fn::Or`.
    pub fn or(cs: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::Or(cs.into_iter().collect())
    }

    /// `{"Condition": name}`.
    pub fn named(name: impl Into<String>) -> Condition {
        Condition::Named(name.into())
    }

    /// Every reference made: parameters (via `Equals` operands) and other conditions.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        self.visit_references(&mut |r| out.push(r.to_reference()));
        out
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Condition::Equals(a, b) => map.serialize_entry("Fn::Equals", &(a, b))?,
            Condition::Not(c) => map.serialize_entry("Fn::Not", &[c.as_ref()])?,
            Condition::And(cs) => map.serialize_entry("Fn::And", cs)?,
            Condition::Or(cs) => map.serialize_entry("Fn::Or", cs)?,
            Condition::Named(n) => map.serialize_entry("Condition", n)?,
        }
        map.end()
    }
}

impl References for Condition {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        match self {
            Condition::Equals(a, b) => {
                a.visit_references(visit);
                b.visit_references(visit);
            }
            Condition::Not(c) => c.visit_references(visit),
            Condition::And(cs) | Condition::Or(cs) => cs.visit_references(visit),
            Condition::Named(n) => visit(ReferenceTo::Condition(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn condition_functions_serialize() {
        let c = Condition::and([
            Condition::not(Condition::equals(Expr::ref_("Cert"), "")),
            Condition::or([
                Condition::named("IsProd"),
                Condition::equals(Expr::ref_("Env"), "staging"),
            ]),
        ]);
        assert_eq!(
            serde_json::to_value(&c).expect("json"),
            json!({"Fn::And": [
                {"Fn::Not": [{"Fn::Equals": [{"Ref": "Cert"}, ""]}]},
                {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "Env"}, "staging"]}]}
            ]})
        );
        assert_eq!(
            c.references(),
            vec![
                Reference::Ref("Cert".into()),
                Reference::Condition("IsProd".into()),
                Reference::Ref("Env".into()),
            ]
        );
    }
}
