//! The escape hatch: properties of a resource type the library has no struct for, given as
//! CloudFormation JSON.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::expr::Expr;
use super::references::{ReferenceTo, References};
use super::{CfnError, ResourceProperties};

/// Untyped properties: rendered exactly as given, and read as an [`Expr`] once, when they are
/// made, so that the validation pass finds their references by the same walk as typed ones'.
/// Checks that read typed fields (the model stack's guards) do not see inside them.
#[derive(Debug, Clone, PartialEq)]
pub struct RawProperties {
    resource_type: String,
    properties: Value,
    read: Expr,
}

impl RawProperties {
    /// Properties `properties` (a JSON object) for a resource of type `resource_type`.
    pub fn new(
        resource_type: impl Into<String>,
        properties: Value,
    ) -> Result<RawProperties, CfnError> {
        let resource_type = resource_type.into();
        if !properties.is_object() {
            return Err(CfnError::PropertiesNotAnObject { resource_type });
        }
        let read = Expr::from_json(&properties);
        Ok(RawProperties {
            resource_type,
            properties,
            read,
        })
    }

    /// The properties as given.
    pub fn properties(&self) -> &Value {
        &self.properties
    }
}

impl Serialize for RawProperties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.properties.serialize(serializer)
    }
}

impl References for RawProperties {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.read.visit_references(visit);
    }
}

impl ResourceProperties for RawProperties {
    fn resource_type(&self) -> &str {
        &self.resource_type
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_properties_render_as_given_and_list_the_references_they_make() {
        let value = json!({
            "QueueName": {"Fn::Sub": "${AWS::StackName}-${Suffix}"},
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
            "Tags": [{"Key": "k", "Value": {"Fn::If": ["Prod", {"Ref": "Owner"}, "none"]}}],
            "DelaySeconds": 5
        });
        let raw = RawProperties::new("AWS::SQS::Queue", value.clone()).expect("an object");
        assert_eq!(serde_json::to_value(&raw).expect("renders"), value);
        let mut found = Vec::new();
        raw.visit_references(&mut |r| found.push(r.to_reference()));
        assert_eq!(found, Expr::from_json(&value).references());
        let targets: Vec<String> = found
            .iter()
            .map(|r| r.target().unwrap_or("<condition>").to_owned())
            .collect();
        assert_eq!(targets, ["Suffix", "Dlq", "<condition>", "Owner"]);
        assert!(RawProperties::new("AWS::SQS::Queue", json!([1])).is_err());
    }
}
