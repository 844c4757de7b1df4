//! Typed CloudFormation intrinsic expressions.
//!
//! A reference is always a variant ([`Expr::Ref`], [`Expr::GetAtt`], [`Expr::Sub`], ...), never a token
//! hidden inside a string, so the construct layer can enumerate and validate every reference before
//! rendering.

use crate::cfn::OrderedMap;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use super::references::{ReferenceTo, References, visit_sub_references};

/// A CloudFormation pseudo parameter, rendered as `{"Ref": "AWS::..."}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId`
    AccountId,
    /// `AWS::Region`
    Region,
    /// `AWS::Partition`
    Partition,
    /// `AWS::URLSuffix`
    UrlSuffix,
    /// `AWS::StackName`
    StackName,
    /// `AWS::StackId`
    StackId,
    /// `AWS::NoValue`: removes the property it is assigned to.
    NoValue,
    /// `AWS::NotificationARNs`
    NotificationArns,
}

impl Pseudo {
    /// Every pseudo parameter, in a fixed order.
    pub const ALL: [Pseudo; 8] = [
        Pseudo::AccountId,
        Pseudo::Region,
        Pseudo::Partition,
        Pseudo::UrlSuffix,
        Pseudo::StackName,
        Pseudo::StackId,
        Pseudo::NoValue,
        Pseudo::NotificationArns,
    ];

    /// The name CloudFormation uses (`AWS::Region`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::NoValue => "AWS::NoValue",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
        }
    }

    /// Parses a pseudo parameter name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Pseudo> {
        Pseudo::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for Pseudo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CloudFormation value: a literal, a container of values, or an intrinsic function.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal string.
    String(String),
    /// A literal integer (JSON number).
    Int(i64),
    /// A literal floating-point number (JSON number).
    Float(f64),
    /// A literal boolean.
    Bool(bool),
    /// A JSON array of values.
    List(Vec<Expr>),
    /// A JSON object of values, in insertion order.
    Map(OrderedMap<Expr>),
    /// `{"Ref": name}`: a resource logical id or a parameter name.
    Ref(String),
    /// `{"Ref": "AWS::..."}`: a pseudo parameter.
    Pseudo(Pseudo),
    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": template}`.
    Sub(String),
    /// `{"Fn::Sub": [template, variables]}`.
    SubWith(String, OrderedMap<Expr>),
    /// `{"Fn::Join": [separator, values]}`.
    Join(String, Vec<Expr>),
    /// `{"Fn::Select": [index, list]}`.
    Select(u32, Box<Expr>),
    /// `{"Fn::Split": [separator, source]}`.
    Split(String, Box<Expr>),
    /// `{"Fn::If": [condition, then, else]}`.
    If(String, Box<Expr>, Box<Expr>),
    /// `{"Fn::ImportValue": export_name}`.
    ImportValue(Box<Expr>),
    /// `{"Fn::Base64": value}`.
    Base64(Box<Expr>),
    /// `{"Fn::GetAZs": region}` (an empty string means the stack's region).
    GetAzs(Box<Expr>),
}

/// One reference made by an expression, as found by [`Expr::references`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `Ref` to a logical id or parameter.
    Ref(String),
    /// `Fn::GetAtt` on a logical id (which must be a resource).
    GetAtt {
        /// The logical id.
        target: String,
        /// The attribute name.
        attribute: String,
    },
    /// `${Name}` inside a `Fn::Sub` string.
    SubVariable(String),
    /// `${Name.Attribute}` inside a `Fn::Sub` string (a resource attribute).
    SubAttribute {
        /// The logical id.
        target: String,
        /// The attribute name.
        attribute: String,
    },
    /// A condition named by `Fn::If`.
    Condition(String),
}

impl Reference {
    /// The logical id or parameter name referenced; `None` for condition references.
    pub fn target(&self) -> Option<&str> {
        match self {
            Reference::Ref(t)
            | Reference::SubVariable(t)
            | Reference::GetAtt { target: t, .. }
            | Reference::SubAttribute { target: t, .. } => Some(t),
            Reference::Condition(_) => None,
        }
    }

    /// Whether the target must be a resource (an attribute is read from it).
    pub fn needs_resource(&self) -> bool {
        matches!(
            self,
            Reference::GetAtt { .. } | Reference::SubAttribute { .. }
        )
    }
}

impl Expr {
    /// A literal string.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::String(s.into())
    }

    /// `{"Ref": name}` to a resource or parameter.
    pub fn ref_(name: impl Into<String>) -> Expr {
        Expr::Ref(name.into())
    }

    /// `{"Ref": "AWS::..."}`.
    pub fn pseudo(p: Pseudo) -> Expr {
        Expr::Pseudo(p)
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Expr {
        Expr::GetAtt(logical_id.into(), attribute.into())
    }

    /// `{"Fn::Sub": template}`.
    pub fn sub(template: impl Into<String>) -> Expr {
        Expr::Sub(template.into())
    }

    /// `{"Fn::Sub": [template, variables]}`.
    pub fn sub_with<K: Into<String>>(
        template: impl Into<String>,
        variables: impl IntoIterator<Item = (K, Expr)>,
    ) -> Expr {
        Expr::SubWith(
            template.into(),
            variables.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }

    /// `{"Fn::Join": [separator, values]}`.
    pub fn join(separator: impl Into<String>, values: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Join(separator.into(), values.into_iter().collect())
    }

    /// `{"Fn::Select": [index, list]}`.
    pub fn select(index: u32, list: Expr) -> Expr {
        Expr::Select(index, Box::new(list))
    }

    /// `{"Fn::Split": [separator, source]}`.
    pub fn split(separator: impl Into<String>, source: Expr) -> Expr {
        Expr::Split(separator.into(), Box::new(source))
    }

    /// `{"Fn::If": [condition, then, else]}`.
    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Expr {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }

    /// `{"Fn::ImportValue": export_name}`.
    pub fn import_value(export_name: Expr) -> Expr {
        Expr::ImportValue(Box::new(export_name))
    }

    /// `{"Fn::Base64": value}`.
    pub fn base64(value: Expr) -> Expr {
        Expr::Base64(Box::new(value))
    }

    /// `{"Fn::GetAZs": ""}`: the availability zones of the stack's region.
    pub fn get_azs() -> Expr {
        Expr::GetAzs(Box::new(Expr::str("")))
    }

    /// A JSON array.
    pub fn list<T: Into<Expr>>(items: impl IntoIterator<Item = T>) -> Expr {
        Expr::List(items.into_iter().map(Into::into).collect())
    }

    /// A JSON object.
    pub fn map<K: Into<String>, V: Into<Expr>>(entries: impl IntoIterator<Item = (K, V)>) -> Expr {
        Expr::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// `{"Ref": "AWS::NoValue"}`.
    pub fn no_value() -> Expr {
        Expr::Pseudo(Pseudo::NoValue)
    }

    /// Every reference this expression makes (to logical ids, parameters and conditions), depth
    /// first, in document order, duplicates kept. Pseudo parameters, `${AWS::...}`, `${!Literal}`
    /// and names bound by a `Fn::Sub` variables map are not references. (The owned form of
    /// [`References::visit_references`], which the validation pass uses.)
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        self.visit_references(&mut |r| out.push(r.to_reference()));
        out
    }

    /// The distinct logical ids / parameter names referenced, in first-seen order.
    pub fn referenced_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        self.visit_references(&mut |r| {
            if let Some(t) = r.target()
                && !names.iter().any(|n| n == t)
            {
                names.push(t.to_owned());
            }
        });
        names
    }

    /// The text of a literal string; `None` for anything else.
    pub fn as_literal_str(&self) -> Option<&str> {
        match self {
            Expr::String(s) => Some(s),
            _ => None,
        }
    }

    /// The logical id a `Ref` or `Fn::GetAtt` names; `None` for anything else.
    pub fn referenced_logical_id(&self) -> Option<&str> {
        match self {
            Expr::Ref(name) | Expr::GetAtt(name, _) => Some(name),
            _ => None,
        }
    }

    /// Reads an expression back from CloudFormation JSON. Total: any object that is not exactly
    /// one recognised intrinsic becomes a [`Expr::Map`], `null` becomes an empty map.
    pub fn from_json(value: &serde_json::Value) -> Expr {
        use serde_json::Value;
        match value {
            Value::Null => Expr::Map(OrderedMap::default()),
            Value::Bool(b) => Expr::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Expr::Int(i),
                None => Expr::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Expr::String(s.clone()),
            Value::Array(items) => Expr::List(items.iter().map(Expr::from_json).collect()),
            Value::Object(obj) => {
                if obj.len() == 1
                    && let Some((key, arg)) = obj.iter().next()
                    && let Some(e) = intrinsic_from_json(key, arg)
                {
                    return e;
                }
                Expr::Map(
                    obj.iter()
                        .map(|(k, v)| (k.clone(), Expr::from_json(v)))
                        .collect(),
                )
            }
        }
    }
}

fn intrinsic_from_json(key: &str, arg: &serde_json::Value) -> Option<Expr> {
    use serde_json::Value;
    let boxed = |v: &Value| Box::new(Expr::from_json(v));
    Some(match (key, arg) {
        ("Ref", Value::String(name)) => match Pseudo::from_name(name) {
            Some(p) => Expr::Pseudo(p),
            None => Expr::Ref(name.clone()),
        },
        ("Fn::GetAtt", Value::Array(a)) => match a.as_slice() {
            [Value::String(id), Value::String(attr)] => Expr::GetAtt(id.clone(), attr.clone()),
            _ => return None,
        },
        ("Fn::GetAtt", Value::String(s)) => {
            let (id, attr) = s.split_once('.')?;
            Expr::GetAtt(id.to_owned(), attr.to_owned())
        }
        ("Fn::Sub", Value::String(s)) => Expr::Sub(s.clone()),
        ("Fn::Sub", Value::Array(a)) => match a.as_slice() {
            [Value::String(s), Value::Object(vars)] => Expr::SubWith(
                s.clone(),
                vars.iter()
                    .map(|(k, v)| (k.clone(), Expr::from_json(v)))
                    .collect(),
            ),
            _ => return None,
        },
        ("Fn::Join", Value::Array(a)) => match a.as_slice() {
            [Value::String(sep), Value::Array(items)] => {
                Expr::Join(sep.clone(), items.iter().map(Expr::from_json).collect())
            }
            _ => return None,
        },
        ("Fn::Select", Value::Array(a)) => match a.as_slice() {
            [idx, list] => {
                let index = match idx {
                    Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
                    Value::String(s) => s.parse().ok()?,
                    _ => return None,
                };
                Expr::Select(index, boxed(list))
            }
            _ => return None,
        },
        ("Fn::Split", Value::Array(a)) => match a.as_slice() {
            [Value::String(sep), source] => Expr::Split(sep.clone(), boxed(source)),
            _ => return None,
        },
        ("Fn::If", Value::Array(a)) => match a.as_slice() {
            [Value::String(c), t, e] => Expr::If(c.clone(), boxed(t), boxed(e)),
            _ => return None,
        },
        ("Fn::ImportValue", v) => Expr::ImportValue(boxed(v)),
        ("Fn::Base64", v) => Expr::Base64(boxed(v)),
        ("Fn::GetAZs", v) => Expr::GetAzs(boxed(v)),
        _ => return None,
    })
}

/// The names a `Fn::Sub` template string references: `${Name}` and `${Name.Attr}`, skipping
/// `${!Literal}` escapes, pseudo parameters (`${AWS::...}`) and names bound in `bound`.
pub fn sub_references(template: &str, bound: &OrderedMap<Expr>) -> Vec<Reference> {
    let mut out = Vec::new();
    visit_sub_references(template, |name| bound.contains_key(name), &mut |r| {
        out.push(r.to_reference())
    });
    out
}

fn one_key<S: Serializer, V: Serialize + ?Sized>(
    serializer: S,
    key: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::String(s) => serializer.serialize_str(s),
            Expr::Int(i) => serializer.serialize_i64(*i),
            Expr::Float(f) => serializer.serialize_f64(*f),
            Expr::Bool(b) => serializer.serialize_bool(*b),
            Expr::List(items) => items.serialize(serializer),
            Expr::Map(entries) => entries.serialize(serializer),
            Expr::Ref(name) => one_key(serializer, "Ref", name),
            Expr::Pseudo(p) => one_key(serializer, "Ref", p.as_str()),
            Expr::GetAtt(id, attr) => one_key(serializer, "Fn::GetAtt", &[id, attr]),
            Expr::Sub(template) => one_key(serializer, "Fn::Sub", template),
            Expr::SubWith(template, vars) => one_key(serializer, "Fn::Sub", &(template, vars)),
            Expr::Join(sep, items) => one_key(serializer, "Fn::Join", &(sep, items)),
            Expr::Select(index, list) => one_key(serializer, "Fn::Select", &(index, list.as_ref())),
            Expr::Split(sep, source) => one_key(serializer, "Fn::Split", &(sep, source.as_ref())),
            Expr::If(cond, a, b) => one_key(serializer, "Fn::If", &(cond, a.as_ref(), b.as_ref())),
            Expr::ImportValue(e) => one_key(serializer, "Fn::ImportValue", e.as_ref()),
            Expr::Base64(e) => one_key(serializer, "Fn::Base64", e.as_ref()),
            Expr::GetAzs(e) => one_key(serializer, "Fn::GetAZs", e.as_ref()),
        }
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Expr::from_json(&value))
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::String(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::String(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Self {
        Expr::String(s.clone())
    }
}

impl From<i64> for Expr {
    fn from(i: i64) -> Self {
        Expr::Int(i)
    }
}

impl From<i32> for Expr {
    fn from(i: i32) -> Self {
        Expr::Int(i64::from(i))
    }
}

impl From<u32> for Expr {
    fn from(i: u32) -> Self {
        Expr::Int(i64::from(i))
    }
}

impl From<u16> for Expr {
    fn from(i: u16) -> Self {
        Expr::Int(i64::from(i))
    }
}

impl From<f64> for Expr {
    fn from(f: f64) -> Self {
        Expr::Float(f)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

impl From<Pseudo> for Expr {
    fn from(p: Pseudo) -> Self {
        Expr::Pseudo(p)
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Self {
        Expr::List(items.into_iter().map(Into::into).collect())
    }
}

impl ReferenceTo<'_> {
    /// The owned form.
    pub fn to_reference(&self) -> Reference {
        match *self {
            ReferenceTo::Ref(t) => Reference::Ref(t.to_owned()),
            ReferenceTo::GetAtt { target, attribute } => Reference::GetAtt {
                target: target.to_owned(),
                attribute: attribute.to_owned(),
            },
            ReferenceTo::SubVariable(t) => Reference::SubVariable(t.to_owned()),
            ReferenceTo::SubAttribute { target, attribute } => Reference::SubAttribute {
                target: target.to_owned(),
                attribute: attribute.to_owned(),
            },
            ReferenceTo::Condition(c) => Reference::Condition(c.to_owned()),
        }
    }
}

impl References for Expr {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        match self {
            Expr::String(_) | Expr::Int(_) | Expr::Float(_) | Expr::Bool(_) | Expr::Pseudo(_) => {}
            Expr::List(items) | Expr::Join(_, items) => items.visit_references(visit),
            Expr::Map(entries) => entries.visit_references(visit),
            Expr::Ref(name) => {
                if Pseudo::from_name(name).is_none() {
                    visit(ReferenceTo::Ref(name));
                }
            }
            Expr::GetAtt(target, attribute) => visit(ReferenceTo::GetAtt { target, attribute }),
            Expr::Sub(template) => visit_sub_references(template, |_| false, visit),
            Expr::SubWith(template, vars) => {
                visit_sub_references(template, |name| vars.contains_key(name), visit);
                vars.visit_references(visit);
            }
            Expr::Select(_, e)
            | Expr::Split(_, e)
            | Expr::ImportValue(e)
            | Expr::Base64(e)
            | Expr::GetAzs(e) => e.visit_references(visit),
            Expr::If(condition, then, otherwise) => {
                visit(ReferenceTo::Condition(condition));
                then.visit_references(visit);
                otherwise.visit_references(visit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn js(e: &Expr) -> serde_json::Value {
        serde_json::to_value(e).expect("serializable")
    }

    #[test]
    fn literals_serialize_as_plain_json() {
        assert_eq!(js(&Expr::from("x")), json!("x"));
        assert_eq!(js(&Expr::from(3i64)), json!(3));
        assert_eq!(js(&Expr::from(1.5)), json!(1.5));
        assert_eq!(js(&Expr::from(true)), json!(true));
        assert_eq!(js(&Expr::list(["a", "b"])), json!(["a", "b"]));
        assert_eq!(
            js(&Expr::map([("B", Expr::from(1)), ("A", Expr::from("z"))])),
            json!({"B": 1, "A": "z"})
        );
        let keys: Vec<String> = serde_json::to_string(&Expr::map([("B", 1), ("A", 2)]))
            .expect("json")
            .split('"')
            .filter(|s| *s == "A" || *s == "B")
            .map(str::to_owned)
            .collect();
        assert_eq!(keys, ["B", "A"], "maps keep insertion order");
    }

    #[test]
    fn intrinsics_serialize_to_cloudformation_json() {
        assert_eq!(js(&Expr::ref_("Vpc")), json!({"Ref": "Vpc"}));
        assert_eq!(
            js(&Expr::pseudo(Pseudo::Region)),
            json!({"Ref": "AWS::Region"})
        );
        assert_eq!(
            js(&Expr::get_att("Lb", "DNSName")),
            json!({"Fn::GetAtt": ["Lb", "DNSName"]})
        );
        assert_eq!(js(&Expr::sub("${A}-x")), json!({"Fn::Sub": "${A}-x"}));
        assert_eq!(
            js(&Expr::sub_with("${X}", [("X", Expr::ref_("A"))])),
            json!({"Fn::Sub": ["${X}", {"X": {"Ref": "A"}}]})
        );
        assert_eq!(
            js(&Expr::join(",", [Expr::from("a"), Expr::ref_("B")])),
            json!({"Fn::Join": [",", ["a", {"Ref": "B"}]]})
        );
        assert_eq!(
            js(&Expr::select(1, Expr::get_azs())),
            json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(
            js(&Expr::split(",", Expr::ref_("L"))),
            json!({"Fn::Split": [",", {"Ref": "L"}]})
        );
        assert_eq!(
            js(&Expr::if_("HasCert", Expr::from(443), Expr::no_value())),
            json!({"Fn::If": ["HasCert", 443, {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(
            js(&Expr::import_value(Expr::from("Exp"))),
            json!({"Fn::ImportValue": "Exp"})
        );
        assert_eq!(
            js(&Expr::base64(Expr::sub("#!/bin/bash"))),
            json!({"Fn::Base64": {"Fn::Sub": "#!/bin/bash"}})
        );
    }

    #[test]
    fn every_pseudo_renders_as_ref_and_round_trips() {
        for p in Pseudo::ALL {
            let v = js(&Expr::from(p));
            assert_eq!(v, json!({"Ref": p.as_str()}));
            assert_eq!(Expr::from_json(&v), Expr::Pseudo(p));
        }
        assert_eq!(Pseudo::UrlSuffix.as_str(), "AWS::URLSuffix");
        assert_eq!(Pseudo::AccountId.as_str(), "AWS::AccountId");
        assert_eq!(Pseudo::StackId.as_str(), "AWS::StackId");
    }

    #[test]
    fn json_round_trip_preserves_every_variant() {
        let e = Expr::map([
            (
                "a",
                Expr::sub_with("${X}", [("X", Expr::get_att("R", "Arn"))]),
            ),
            (
                "b",
                Expr::if_(
                    "C",
                    Expr::select(0, Expr::split(",", Expr::ref_("P"))),
                    Expr::join("", [Expr::base64(Expr::from("x"))]),
                ),
            ),
            ("c", Expr::import_value(Expr::sub("${AWS::StackName}-x"))),
            ("d", Expr::list([Expr::from(1), Expr::from(false)])),
        ]);
        assert_eq!(Expr::from_json(&js(&e)), e);
        let parsed: Expr = serde_json::from_value(js(&e)).expect("deserialize");
        assert_eq!(parsed, e);
    }

    #[test]
    fn references_cover_ref_getatt_sub_and_if() {
        let e = Expr::list([
            Expr::ref_("Param"),
            Expr::pseudo(Pseudo::AccountId),
            Expr::ref_("AWS::Region"),
            Expr::get_att("Lb", "DNSName"),
            Expr::sub("http://${Lb.DNSName}:${Port}/${AWS::Region}/${!Literal}"),
            Expr::if_("IsProd", Expr::ref_("A"), Expr::from("b")),
        ]);
        assert_eq!(
            e.references(),
            vec![
                Reference::Ref("Param".into()),
                Reference::GetAtt {
                    target: "Lb".into(),
                    attribute: "DNSName".into()
                },
                Reference::SubAttribute {
                    target: "Lb".into(),
                    attribute: "DNSName".into()
                },
                Reference::SubVariable("Port".into()),
                Reference::Condition("IsProd".into()),
                Reference::Ref("A".into()),
            ]
        );
        assert_eq!(e.referenced_names(), ["Param", "Lb", "Port", "A"]);
    }

    #[test]
    fn sub_variables_map_binds_names() {
        let e = Expr::sub_with(
            "${Local}-${Other}-${Local.Attr}",
            [("Local", Expr::ref_("Real"))],
        );
        assert_eq!(e.referenced_names(), ["Other", "Real"]);
    }

    #[test]
    fn a_dollar_without_a_brace_is_text() {
        let e = Expr::sub("$HOME ${A} $${B} $ ${!C} $$ ${D}$");
        assert_eq!(e.referenced_names(), ["A", "B", "D"]);
    }

    #[test]
    fn unterminated_sub_placeholder_is_ignored() {
        assert!(Expr::sub("abc ${Open").references().is_empty());
    }

    #[test]
    fn non_intrinsic_objects_parse_as_maps() {
        let v = json!({"Ref": "A", "Other": 1});
        assert!(matches!(Expr::from_json(&v), Expr::Map(m) if m.len() == 2));
        assert_eq!(
            Expr::from_json(&json!({"Fn::GetAtt": "A.Arn"})),
            Expr::get_att("A", "Arn")
        );
    }
}
