//! Typed identifiers with validating constructors.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A model's unique id: 1–63 characters of `[a-z0-9-]`, starting with a letter and not ending
/// with `-`. It becomes part of stack and resource names, so it must be safe there.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct ModelId(String);

impl ModelId {
    /// The longest id allowed.
    pub const MAX_LEN: usize = super::bounds::MODEL_ID_MAX_CHARS;

    /// The id, and the prefix of ids, no model may have: a model's stack would take the name of
    /// the deployment's own stack (`<deployment>-bootstrap`), or names its resources use.
    pub const RESERVED: &'static str = "bootstrap";

    /// Checks `value` against the id rules; the error says which rule it breaks.
    pub fn parse(value: &str) -> Result<Self, String> {
        let length = value.chars().count();
        if length == 0 || length > Self::MAX_LEN {
            return Err(format!(
                "must be 1 to {} characters long, found {length} characters",
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-'))
        {
            return Err(format!(
                "may contain only lowercase letters, digits and '-', found {bad:?} in {value:?}"
            ));
        }
        if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(format!(
                "must start with a lowercase letter, found {value:?}"
            ));
        }
        if value.ends_with('-') {
            return Err(format!("must not end with '-', found {value:?}"));
        }
        let reserved = Self::RESERVED;
        if value == reserved || value.starts_with(&format!("{reserved}-")) {
            return Err(format!(
                "{value:?} is reserved: the deployment's own stack and its resources are named <deployment>-{reserved}"
            ));
        }
        Ok(ModelId(value.to_owned()))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ModelId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ModelId::parse(&value)
    }
}

impl From<ModelId> for String {
    fn from(id: ModelId) -> Self {
        id.0
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_seed_ids() {
        assert!(ModelId::parse("mistral-vllm").is_ok());
        assert!(ModelId::parse("titan-express-v1").is_ok());
        assert!(ModelId::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn rejects_each_broken_rule() {
        for (bad, expected) in [
            ("", "1 to 63 characters"),
            (&"a".repeat(64), "1 to 63 characters"),
            ("Mistral", "lowercase letters"),
            ("my_model", "lowercase letters"),
            ("1model", "start with a lowercase letter"),
            ("-model", "start with a lowercase letter"),
            ("model-", "must not end with '-'"),
        ] {
            let error = ModelId::parse(bad).expect_err(bad);
            assert!(error.contains(expected), "{bad:?}: {error}");
        }
    }
}
