//! Typed identifiers and the path → logical id algorithm.
//!
//! Logical ids are derived from construct paths exactly as the AWS CDK's `makeUniqueId` does, so
//! a template ported from CDK keeps its ids, and ids only change when paths change (a changed
//! logical id replaces a live resource). The golden tests below freeze the algorithm.

use md5::{Digest, Md5};
use serde::Serialize;

/// Maximum length of a CloudFormation logical id.
pub const MAX_LOGICAL_ID_LEN: usize = 255;
/// Maximum length of the human-readable part of a derived id (the hash takes the rest).
const MAX_HUMAN_LEN: usize = 240;
const HASH_LEN: usize = 8;
/// Path components with this id vanish from the id entirely (hash included).
pub const HIDDEN_ID: &str = "Default";
/// Path components with this id vanish from the readable part but still count in the hash.
pub const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
/// Maximum length of a stack name.
pub const MAX_STACK_NAME_LEN: usize = 128;

/// Errors building identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not `[A-Za-z0-9]{1,255}`.
    #[error("invalid logical id `{value}`: {reason}")]
    InvalidLogicalId {
        /// The rejected value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// Not a valid CloudFormation stack name.
    #[error("invalid stack name `{value}`: {reason}")]
    InvalidStackName {
        /// The rejected value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// No path components left once `Default` components are dropped.
    #[error("cannot derive a logical id from an empty path")]
    EmptyPath,
}

/// A CloudFormation logical id: 1 to 255 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LogicalId(String);

impl LogicalId {
    /// Validates `value` as a logical id.
    pub fn new(value: impl Into<String>) -> Result<LogicalId, IdError> {
        let value = value.into();
        let reason = if value.is_empty() {
            Some("empty")
        } else if value.len() > MAX_LOGICAL_ID_LEN {
            Some("longer than 255 characters")
        } else if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
            Some("only A-Z, a-z and 0-9 are allowed")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(IdError::InvalidLogicalId { value, reason }),
            None => Ok(LogicalId(value)),
        }
    }

    /// Derives the id of the construct at `components` (the path below the stack), as the AWS CDK
    /// does: `Default` components are dropped; a lone component keeps its name (non-alphanumerics
    /// removed) if that fits; otherwise the readable part (consecutive duplicates and `Resource`
    /// dropped, non-alphanumerics removed, at most 240 characters) is followed by the first 8
    /// uppercase hex digits of the MD5 of the components joined by `/`.
    pub fn from_path<S: AsRef<str>>(components: &[S]) -> Result<LogicalId, IdError> {
        // Built in one string, without a copy of the path: a stack derives one id per resource.
        let visible = || {
            components
                .iter()
                .map(AsRef::as_ref)
                .filter(|c| *c != HIDDEN_ID)
        };
        let mut rest = visible();
        match (rest.next(), rest.next()) {
            (None, _) => return Err(IdError::EmptyPath),
            (Some(single), None) => {
                let candidate = alphanumeric(single);
                if candidate.len() <= MAX_LOGICAL_ID_LEN {
                    return LogicalId::new(candidate);
                }
            }
            _ => {}
        }
        let mut human = String::with_capacity(64);
        let mut previous: Option<&str> = None;
        for c in visible() {
            // A component the previous kept one ends with repeats it (`MyBucket/Bucket`).
            if previous.is_some_and(|last| last.ends_with(c)) {
                continue;
            }
            previous = Some(c);
            if c != HIDDEN_FROM_HUMAN_ID {
                human.extend(c.chars().filter(char::is_ascii_alphanumeric));
            }
        }
        human.truncate(MAX_HUMAN_LEN);
        push_path_hash(&mut human, visible());
        LogicalId::new(human)
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LogicalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for LogicalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&LogicalId> for String {
    fn from(id: &LogicalId) -> String {
        id.0.clone()
    }
}

impl From<LogicalId> for String {
    fn from(id: LogicalId) -> String {
        id.0
    }
}

fn alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Appends the first [`HASH_LEN`] uppercase hex digits of the MD5 of the components joined
/// by `/`.
fn push_path_hash<'a>(out: &mut String, components: impl Iterator<Item = &'a str>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut md5 = Md5::new();
    for (i, c) in components.enumerate() {
        if i > 0 {
            md5.update(b"/");
        }
        md5.update(c.as_bytes());
    }
    let digest = md5.finalize();
    for b in digest.iter().take(HASH_LEN / 2) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
}

/// A CloudFormation stack name: starts with a letter, then letters, digits and hyphens, at most
/// 128 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StackName(String);

impl StackName {
    /// Validates `value` as a stack name.
    pub fn new(value: impl Into<String>) -> Result<StackName, IdError> {
        let value = value.into();
        let reason = match value.chars().next() {
            None => Some("empty"),
            Some(first) if !first.is_ascii_alphabetic() => Some("must start with a letter"),
            _ if value.len() > MAX_STACK_NAME_LEN => Some("longer than 128 characters"),
            _ if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Some("only A-Z, a-z, 0-9 and - are allowed")
            }
            _ => None,
        };
        match reason {
            Some(reason) => Err(IdError::InvalidStackName { value, reason }),
            None => Ok(StackName(value)),
        }
    }

    /// The name text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StackName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StackName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &[&str]) -> String {
        LogicalId::from_path(path)
            .expect("valid path")
            .as_str()
            .to_owned()
    }

    /// Golden values, computed independently from the CDK algorithm
    /// (`python3 -c "import hashlib;print(hashlib.md5(b'Capacity/Group').hexdigest()[:8].upper())"`).
    /// Never update these: a changed id replaces a deployed resource.
    #[test]
    fn golden_logical_ids() {
        assert_eq!(id(&["Capacity", "Group"]), "CapacityGroup6E2E2F34");
        assert_eq!(id(&["LoadBalancer", "Resource"]), "LoadBalancerBE9EEC3A");
        assert_eq!(id(&["Service", "Default", "Resource"]), "ServiceDBC79909");
        assert_eq!(id(&["Cluster"]), "Cluster");
        assert_eq!(id(&["My-Cluster_1"]), "MyCluster1");
        assert_eq!(id(&["Model", "Default"]), "Model");
        assert_eq!(
            id(&["MyBucket", "Bucket", "Policy"]),
            "MyBucketPolicyAFD29FB9"
        );
        assert_eq!(
            id(&["Load Balancer", "Security-Group", "Resource"]),
            "LoadBalancerSecurityGroup339CB9D0"
        );
    }

    #[test]
    fn golden_long_paths_truncate_the_readable_part() {
        let (a, b, c) = ("A".repeat(100), "B".repeat(100), "C".repeat(100));
        let long = id(&[&a, &b, &c]);
        assert_eq!(long.len(), 248);
        assert_eq!(long, format!("{a}{b}{}CCCC7B062BE4", "C".repeat(36)));
        let single = id(&[&"x".repeat(300)]);
        assert_eq!(single, format!("{}8A4876EA", "x".repeat(240)));
    }

    #[test]
    fn bad_paths_are_errors() {
        assert_eq!(LogicalId::from_path::<&str>(&[]), Err(IdError::EmptyPath));
        assert_eq!(LogicalId::from_path(&["Default"]), Err(IdError::EmptyPath));
        assert!(matches!(
            LogicalId::from_path(&["---"]),
            Err(IdError::InvalidLogicalId { .. })
        ));
    }

    #[test]
    fn logical_id_validation() {
        assert!(LogicalId::new("Abc123").is_ok());
        assert!(LogicalId::new("").is_err());
        assert!(LogicalId::new("a-b").is_err());
        assert!(LogicalId::new("a".repeat(255)).is_ok());
        assert!(LogicalId::new("a".repeat(256)).is_err());
    }

    #[test]
    fn stack_name_validation() {
        assert!(StackName::new("lisa-mistral-7b").is_ok());
        assert!(StackName::new("a".repeat(128)).is_ok());
        assert!(StackName::new("a".repeat(129)).is_err());
        assert!(StackName::new("").is_err());
        assert!(StackName::new("1abc").is_err());
        assert!(StackName::new("-abc").is_err());
        assert!(StackName::new("a_b").is_err());
        assert!(StackName::new("a.b").is_err());
    }
}
