//! The one walk over references: every typed value lists the references its expressions make,
//! in document order, borrowing the names instead of copying them. The validation pass reads a
//! template's references through it, and rendering writes the same typed values, so what is
//! checked is what is written.

use crate::cfn::OrderedMap;

/// One reference made by an expression, borrowed from it (see [`Reference`](super::Reference) for the owned form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceTo<'a> {
    /// `Ref` to a logical id or parameter.
    Ref(&'a str),
    /// `Fn::GetAtt` on a logical id (which must be a resource).
    GetAtt {
        /// The logical id.
        target: &'a str,
        /// The attribute name.
        attribute: &'a str,
    },
    /// `${Name}` inside a `Fn::Sub` string.
    SubVariable(&'a str),
    /// `${Name.Attribute}` inside a `Fn::Sub` string (a resource attribute).
    SubAttribute {
        /// The logical id.
        target: &'a str,
        /// The attribute name.
        attribute: &'a str,
    },
    /// A condition named by `Fn::If` or `{"Condition": ...}`.
    Condition(&'a str),
}

impl<'a> ReferenceTo<'a> {
    /// The logical id or parameter name referenced; `None` for condition references.
    pub fn target(&self) -> Option<&'a str> {
        match *self {
            ReferenceTo::Ref(t)
            | ReferenceTo::SubVariable(t)
            | ReferenceTo::GetAtt { target: t, .. }
            | ReferenceTo::SubAttribute { target: t, .. } => Some(t),
            ReferenceTo::Condition(_) => None,
        }
    }

    /// The attribute read, for `Fn::GetAtt` and `${Name.Attribute}`.
    pub fn attribute(&self) -> Option<&'a str> {
        match *self {
            ReferenceTo::GetAtt { attribute, .. } | ReferenceTo::SubAttribute { attribute, .. } => {
                Some(attribute)
            }
            _ => None,
        }
    }
}

/// A value that may hold expressions: calls `visit` for every reference they make, depth first,
/// in the order the value renders. Pseudo parameters, `${AWS::...}`, `${!Literal}` and names
/// bound by a `Fn::Sub` variables map are not references.
///
/// Property structs implement it field by field with `references_of_fields!`, which
/// destructures the struct: a field added to the struct and not to the list is a compile error,
/// so no reference escapes validation.
pub trait References {
    /// Visits every reference, in document order.
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>));
}

/// The references of a `Fn::Sub` template string: `${Name}` and `${Name.Attr}`, skipping
/// `${!Literal}` escapes, pseudo parameters (`${AWS::...}`) and names `is_bound` accepts.
pub(crate) fn visit_sub_references<'a>(
    template: &'a str,
    is_bound: impl Fn(&str) -> bool,
    visit: &mut dyn FnMut(ReferenceTo<'a>),
) {
    let mut rest = template;
    // A search for the one byte `$` (memchr) rather than the pair: scripts are long, and a
    // two-byte pattern takes the general substring search.
    while let Some(dollar) = rest.find('$') {
        let Some(after) = rest[dollar + 1..].strip_prefix('{') else {
            rest = &rest[dollar + 1..];
            continue;
        };
        let Some(end) = after.find('}') else { break };
        let inner = after[..end].trim();
        rest = &after[end + 1..];
        if inner.is_empty() || inner.starts_with('!') || inner.starts_with("AWS::") {
            continue;
        }
        if is_bound(inner) {
            continue;
        }
        match inner.split_once('.') {
            Some((target, attribute)) => {
                if !is_bound(target) {
                    visit(ReferenceTo::SubAttribute { target, attribute });
                }
            }
            None => visit(ReferenceTo::SubVariable(inner)),
        }
    }
}

impl<T: References> References for Option<T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        if let Some(v) = self {
            v.visit_references(visit);
        }
    }
}

impl<T: References> References for Vec<T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.iter().for_each(|v| v.visit_references(visit));
    }
}

impl<T: References + ?Sized> References for Box<T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.as_ref().visit_references(visit);
    }
}

impl<T: References> References for OrderedMap<T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.values().for_each(|v| v.visit_references(visit));
    }
}

impl<T: References> References for std::collections::BTreeMap<String, T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.values().for_each(|v| v.visit_references(visit));
    }
}

/// Literal types: they hold no expression.
macro_rules! no_references {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::cfn::References for $t {
            fn visit_references<'a>(&'a self, _: &mut dyn FnMut($crate::cfn::ReferenceTo<'a>)) {}
        }
    )*};
}
no_references!(String, bool, u8, u16, u32, u64, i32, i64, f64);
pub(crate) use no_references;

/// Implements [`References`] for a struct by visiting each named field in order. Every field
/// must be listed: the struct is destructured without `..`, so a new field is a compile error
/// until it is listed here.
#[macro_export]
macro_rules! references_of_fields {
    ($t:ident { $($field:ident),* $(,)? }) => {
        impl $crate::cfn::References for $t {
            fn visit_references<'a>(
                &'a self,
                #[allow(unused_variables)] visit: &mut dyn FnMut($crate::cfn::ReferenceTo<'a>),
            ) {
                let $t { $($field),* } = self;
                $( $crate::cfn::References::visit_references($field, visit); )*
            }
        }
    };
}
