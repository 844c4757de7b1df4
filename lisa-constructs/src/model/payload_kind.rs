//! A payload of the other kind: an update payload read as a model definition, or a definition
//! read as an update. Each reader then reports one problem saying what the payload is, rather
//! than every field it lacks or does not allow, so the CLI and the API say the same.

use serde_json::Value;

use super::error::ValidationErrors;

/// The problem of an update payload read as a model definition.
pub const UPDATE_GIVEN_AS_DEFINITION: &str =
    "is an update payload (PUT /models/{modelId}), not a model definition";
/// The problem of a model definition read as an update payload.
pub const DEFINITION_GIVEN_AS_UPDATE: &str =
    "is a model definition (POST /models), not an update payload";

/// `errors`, or the one problem `message` at the payload's root when `reads_as_other` says the
/// payload is valid as the other kind.
pub(crate) fn named_when(
    errors: ValidationErrors,
    value: &Value,
    reads_as_other: fn(&Value) -> bool,
    message: &str,
) -> ValidationErrors {
    if reads_as_other(value) {
        let mut named = ValidationErrors::default();
        named.push("", message);
        named
    } else {
        errors
    }
}
