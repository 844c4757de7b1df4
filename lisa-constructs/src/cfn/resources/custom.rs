//! Custom resources (`Custom::<Name>`).

use crate::cfn::OrderedMap;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::cfn::{CfnError, Expr, Integer, ReferenceTo, References, ResourceProperties};

const PREFIX: &str = "Custom::";
const RESERVED: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// A custom resource: `ServiceToken`, optional `ServiceTimeout`, and arbitrary ordered
/// properties passed verbatim to the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomResource {
    type_name: String,
    service_token: Expr,
    service_timeout: Option<Integer>,
    properties: OrderedMap<Expr>,
}

impl CustomResource {
    /// A custom resource of type `Custom::<name>` (`name` may carry the `Custom::` prefix already).
    /// The name must be 1-60 characters of `[A-Za-z0-9_@-]`.
    pub fn new(name: &str, service_token: impl Into<Expr>) -> Result<CustomResource, CfnError> {
        let bare = name.strip_prefix(PREFIX).unwrap_or(name);
        let invalid = |reason| CfnError::InvalidCustomType {
            name: name.to_owned(),
            reason,
        };
        if bare.is_empty() {
            return Err(invalid("empty name"));
        }
        if bare.len() > 60 {
            return Err(invalid("longer than 60 characters"));
        }
        if !bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '-'))
        {
            return Err(invalid("only A-Z, a-z, 0-9, _, @ and - are allowed"));
        }
        Ok(CustomResource {
            type_name: format!("{PREFIX}{bare}"),
            service_token: service_token.into(),
            service_timeout: None,
            properties: OrderedMap::default(),
        })
    }

    /// Sets `ServiceTimeout` (seconds, 1 to 3600).
    pub fn service_timeout(mut self, seconds: u32) -> CustomResource {
        self.service_timeout = Some(seconds.into());
        self
    }

    /// Sets one provider property (insertion order is kept). `ServiceToken` and `ServiceTimeout`
    /// are reserved and set through the constructor and [`CustomResource::service_timeout`].
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Expr>) -> CustomResource {
        let key = key.into();
        match key.as_str() {
            "ServiceToken" => self.service_token = value.into(),
            "ServiceTimeout" => self.service_timeout = Some(Integer::from(value.into())),
            _ => {
                self.properties.insert(key, value.into());
            }
        }
        self
    }

    /// Sets every field of a typed property struct, in its field order, as one property each
    /// (through [`CustomResource::property`]). The struct is the contract with the resource's
    /// provider, which reads the same type back from the request.
    pub fn properties_of<T: Serialize>(
        mut self,
        properties: &T,
    ) -> Result<CustomResource, CfnError> {
        let value = serde_json::to_value(properties).map_err(CfnError::Serialize)?;
        let serde_json::Value::Object(map) = value else {
            return Err(CfnError::PropertiesNotAnObject {
                resource_type: self.type_name.clone(),
            });
        };
        for (key, value) in map {
            self = self.property(key, Expr::from_json(&value));
        }
        Ok(self)
    }

    /// The full type name (`Custom::...`).
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The provider properties (without `ServiceToken` / `ServiceTimeout`).
    pub fn properties(&self) -> &OrderedMap<Expr> {
        &self.properties
    }
}

impl References for CustomResource {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        // In the order `serialize` writes them.
        self.service_token.visit_references(visit);
        self.service_timeout.visit_references(visit);
        for (k, v) in &self.properties {
            if !RESERVED.contains(&k.as_str()) {
                v.visit_references(visit);
            }
        }
    }
}

impl ResourceProperties for CustomResource {
    fn resource_type(&self) -> &str {
        &self.type_name
    }
}

impl Serialize for CustomResource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("ServiceToken", &self.service_token)?;
        if let Some(t) = &self.service_timeout {
            map.serialize_entry("ServiceTimeout", t)?;
        }
        for (k, v) in &self.properties {
            if !RESERVED.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn custom_resource_renders_token_timeout_then_properties() {
        let c = CustomResource::new("LiteLLMModel", Expr::ref_("RegistrationFunctionArn"))
            .expect("valid")
            .service_timeout(900)
            .property("ModelName", "mistral")
            .property("Endpoint", Expr::sub("http://${Lb.DNSName}/v1"))
            .property("Enabled", "true");
        let r = Resource::new(&c).expect("renders");
        assert_eq!(r.resource_type(), "Custom::LiteLLMModel");
        let properties = r.properties_json().expect("renders");
        let keys: Vec<&String> = properties.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "ServiceToken",
                "ServiceTimeout",
                "ModelName",
                "Endpoint",
                "Enabled"
            ]
        );
        assert_eq!(
            r.properties_json().expect("renders")["ServiceTimeout"],
            json!(900)
        );
        assert_eq!(
            r.properties_json().expect("renders")["ServiceToken"],
            json!({"Ref": "RegistrationFunctionArn"})
        );
    }

    #[test]
    fn typed_properties_render_in_field_order() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Props {
            model_name: String,
            endpoint: Expr,
            #[serde(skip_serializing_if = "Option::is_none")]
            absent: Option<String>,
        }
        let c = CustomResource::new("LiteLLMModel", "token")
            .expect("valid")
            .properties_of(&Props {
                model_name: "m".into(),
                endpoint: Expr::ref_("Endpoint"),
                absent: None,
            })
            .expect("an object");
        let r = Resource::new(&c).expect("renders");
        assert_eq!(
            r.properties_json().expect("renders"),
            json!({"ServiceToken": "token", "ModelName": "m", "Endpoint": {"Ref": "Endpoint"}})
        );
        assert!(
            CustomResource::new("X", "t")
                .expect("valid")
                .properties_of(&"scalar")
                .is_err()
        );
    }

    #[test]
    fn custom_type_names_are_validated() {
        assert!(CustomResource::new("Custom::Ok_1", "t").is_ok());
        assert!(CustomResource::new("", "t").is_err());
        assert!(CustomResource::new("Bad Name", "t").is_err());
        assert!(CustomResource::new(&"x".repeat(61), "t").is_err());
    }
}
