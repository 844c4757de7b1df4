//! Templates as YAML, through serde-saphyr (a maintained YAML 1.2 serializer).
//!
//! Readers of YAML 1.1 (PyYAML, which cfn-lint uses, and others) take unquoted values such as
//! `2010-09-09` for dates, `yes`/`no`/`on`/`off` for booleans and `0755` for octal numbers;
//! serde-saphyr quotes every such string, and `tests/yaml_lint.rs` reads the output back with
//! PyYAML (through cfn-lint's Python) to hold it to that.

use serde::Serialize;

/// The value as YAML text.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}
