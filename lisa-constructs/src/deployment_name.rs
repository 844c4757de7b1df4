//! A deployment's name: the prefix of every stack it owns, so that one deployment's stacks, roles
//! and IAM wildcards never reach another's.

/// The deployment name used when none is given.
pub const DEFAULT_DEPLOYMENT_NAME: &str = "lisa";

/// What separates the deployment name from the model id in a model stack's name. A deployment
/// name cannot contain it, so a model stack's name splits back into one deployment and one model
/// at its first `-`, and one deployment's prefix (`lisa-`) starts none of another's stack names
/// (`lisaprod-m1`): IAM wildcards on the prefix reach one deployment only. The deployment's own
/// stack, `<deployment>-bootstrap`, is no model's: `bootstrap` is a reserved model id.
pub const STACK_NAME_SEPARATOR: &str = "-";

/// The longest deployment name: with the separator and the longest model id it still makes a
/// valid stack name.
pub const MAX_DEPLOYMENT_NAME_LEN: usize =
    128 - STACK_NAME_SEPARATOR.len() - crate::model::ModelId::MAX_LEN;

/// Whether `name` may name a deployment: a letter, then letters and digits (no `-`: see
/// [`STACK_NAME_SEPARATOR`]), at most [`MAX_DEPLOYMENT_NAME_LEN`] characters.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DEPLOYMENT_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}
