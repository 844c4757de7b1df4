//! A definition known to be valid, so that it is checked once and not again at every use.

use super::definition::ModelDefinition;
use super::error::DefinitionError;
use super::error::ValidationErrors;
use serde::Serialize;
use serde_json::Value;
use std::ops::Deref;

/// A [`ModelDefinition`] that has passed validation. It can only be made by validating, so code
/// that takes one (such as [`synthesize_valid`](crate::ecs_model::synthesize_valid)) need not
/// check the definition again.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidDefinition(ModelDefinition);

impl ValidDefinition {
    /// Validates a definition built in code.
    pub fn new(definition: ModelDefinition) -> Result<ValidDefinition, ValidationErrors> {
        definition.validate()?;
        Ok(ValidDefinition(definition))
    }

    /// Reads and validates a definition from JSON text.
    pub fn from_json_str(text: &str) -> Result<ValidDefinition, DefinitionError> {
        let value = super::json_text::parse(text)?;
        Ok(Self::from_json_value(&value)?)
    }

    /// Reads and validates a definition from a JSON value, reporting every problem at once
    /// (or, for a valid update payload, that it is one).
    pub fn from_json_value(value: &Value) -> Result<ValidDefinition, ValidationErrors> {
        ModelDefinition::from_json_value(value)
            .map(ValidDefinition)
            .map_err(|errors| {
                super::payload_kind::named_when(
                    errors,
                    value,
                    super::update::reads_as_update,
                    super::payload_kind::UPDATE_GIVEN_AS_DEFINITION,
                )
            })
    }

    /// The definition, to change it (it must then be validated again).
    pub fn into_inner(self) -> ModelDefinition {
        self.0
    }
}

impl Deref for ValidDefinition {
    type Target = ModelDefinition;

    fn deref(&self) -> &ModelDefinition {
        &self.0
    }
}

impl AsRef<ModelDefinition> for ValidDefinition {
    fn as_ref(&self) -> &ModelDefinition {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_valid_definition_becomes_one() {
        let valid = json!({"modelId": "titan", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen"});
        let definition = ValidDefinition::from_json_value(&valid).expect("valid");
        assert_eq!(definition.model_id.as_str(), "titan");
        assert_eq!(
            serde_json::to_value(&definition).expect("serializes"),
            valid
        );

        let mut broken = definition.into_inner();
        broken.model_name = String::new();
        let errors = ValidDefinition::new(broken).expect_err("empty name");
        assert!(errors.has_path("modelName"), "{errors}");
    }
}
