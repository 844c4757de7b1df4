//! Property value wrappers that pin the JSON type CloudFormation's schema expects.
//!
//! `cfn-lint -x E3012:strict=true` rejects a number where the schema says String (an Auto Scaling
//! group's `MinSize`, a GPU count, a launch template `Version`) and a string where it says Integer.
//! These wrappers make the wrong JSON type unrepresentable for literals; intrinsics pass through.

use serde::{Serialize, Serializer};

use super::expr::{Expr, Pseudo};
use super::references::{ReferenceTo, References};

/// An Integer-typed property: literal integers (and literal strings holding an integer) are emitted
/// as JSON numbers; intrinsics (e.g. a `Ref` to a Number parameter) are emitted unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Integer(Expr);

impl Integer {
    /// The wrapped expression.
    pub fn expr(&self) -> &Expr {
        &self.0
    }

    /// The literal value, if this is a literal integer.
    pub fn as_literal(&self) -> Option<i64> {
        match &self.0 {
            Expr::Int(i) => Some(*i),
            Expr::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

impl Serialize for Integer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_literal() {
            Some(i) => serializer.serialize_i64(i),
            None => self.0.serialize(serializer),
        }
    }
}

macro_rules! integer_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Integer {
            fn from(v: $t) -> Self {
                Integer(Expr::Int(i64::from(v)))
            }
        }
    )*};
}
integer_from!(i64, i32, u32, u16, u8);

impl From<Expr> for Integer {
    fn from(e: Expr) -> Self {
        Integer(e)
    }
}

/// A String-typed property that often holds a number or a boolean (`MinSize`, a GPU count, a
/// launch template `Version`, attribute values): literal numbers and booleans are emitted as JSON
/// strings; intrinsics are emitted unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericString(Expr);

impl NumericString {
    /// The wrapped expression.
    pub fn expr(&self) -> &Expr {
        &self.0
    }

    /// The literal text, if this is a literal.
    pub fn as_literal(&self) -> Option<String> {
        match &self.0 {
            Expr::String(s) => Some(s.clone()),
            Expr::Int(i) => Some(i.to_string()),
            Expr::Float(f) => Some(f.to_string()),
            Expr::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl Serialize for NumericString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            // A string is written as it is, without the copy `as_literal` makes.
            Expr::String(s) => serializer.serialize_str(s),
            _ => match self.as_literal() {
                Some(s) => serializer.serialize_str(&s),
                None => self.0.serialize(serializer),
            },
        }
    }
}

macro_rules! numeric_string_from {
    ($($t:ty),*) => {$(
        impl From<$t> for NumericString {
            fn from(v: $t) -> Self {
                NumericString(Expr::from(v))
            }
        }
    )*};
}
numeric_string_from!(i64, i32, u32, u16, f64, bool, &str, String, Pseudo, Expr);

impl References for Integer {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.expr().visit_references(visit);
    }
}

impl References for NumericString {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.expr().visit_references(visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integer_literals_are_json_numbers() {
        let v = |i: Integer| serde_json::to_value(i).expect("json");
        assert_eq!(v(Integer::from(80u16)), json!(80));
        assert_eq!(v(Integer::from(Expr::from("30"))), json!(30));
        assert_eq!(v(Integer::from(Expr::ref_("Port"))), json!({"Ref": "Port"}));
    }

    #[test]
    fn numeric_string_literals_are_json_strings() {
        let v = |s: NumericString| serde_json::to_value(s).expect("json");
        assert_eq!(v(NumericString::from(1u32)), json!("1"));
        assert_eq!(v(NumericString::from(Expr::from(2))), json!("2"));
        assert_eq!(v(NumericString::from(true)), json!("true"));
        assert_eq!(
            v(NumericString::from("traffic-port")),
            json!("traffic-port")
        );
        assert_eq!(
            v(NumericString::from(Expr::get_att(
                "Lt",
                "LatestVersionNumber"
            ))),
            json!({"Fn::GetAtt": ["Lt", "LatestVersionNumber"]})
        );
    }
}
