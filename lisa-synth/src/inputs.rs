//! Finds and reads the definition files named on the command line.

use lisa_constructs::model::{DefinitionError, ModelUpdate, ValidDefinition, ValidationErrors};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why the files could not even be listed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read directory {path}: {source}")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
}

/// Expands directories into the `*.json` files directly inside them, sorted by name, so the
/// order (and with it every output) does not depend on the file system.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| InputError::Directory {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(InputError::Missing { path: path.clone() });
        }
    }
    Ok(files)
}

/// One problem in one file, as printed by `validate` and `synth`.
#[derive(Debug, Serialize)]
pub struct FileProblem {
    pub file: String,
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(
                    f,
                    "{}: line {line}, column {column}: {}",
                    self.file, self.message
                )
            }
            _ if self.path.is_empty() => write!(f, "{}: {}", self.file, self.message),
            _ => write!(f, "{}: {}: {}", self.file, self.path, self.message),
        }
    }
}

/// Turns a read or parse failure of `file` into printable problems.
pub fn problems(file: &Path, error: &DefinitionError) -> Vec<FileProblem> {
    let file = file.display().to_string();
    match error {
        DefinitionError::Syntax {
            line,
            column,
            message,
        } => vec![FileProblem {
            file,
            path: String::new(),
            message: format!("malformed JSON: {message}"),
            line: Some(*line),
            column: Some(*column),
        }],
        DefinitionError::Invalid(errors) => validation_problems(&file, errors),
    }
}

fn validation_problems(file: &str, errors: &ValidationErrors) -> Vec<FileProblem> {
    errors
        .errors()
        .iter()
        .map(|e| FileProblem {
            file: file.to_owned(),
            path: if e.path.is_empty() {
                "(payload)".to_owned()
            } else {
                e.path.clone()
            },
            message: e.message.clone(),
            line: None,
            column: None,
        })
        .collect()
}

fn unreadable(file: &Path, error: &std::io::Error) -> Vec<FileProblem> {
    vec![FileProblem {
        file: file.display().to_string(),
        path: String::new(),
        message: format!("cannot read: {error}"),
        line: None,
        column: None,
    }]
}

/// Reads one model definition file.
/// When `region` is given, the model must also be deployable there.
pub fn read_definition(
    file: &Path,
    region: Option<&str>,
) -> Result<ValidDefinition, Vec<FileProblem>> {
    let text = std::fs::read_to_string(file).map_err(|e| unreadable(file, &e))?;
    let definition = ValidDefinition::from_json_str(&text).map_err(|e| problems(file, &e))?;
    if let Some(region) = region {
        definition
            .check_region(region)
            .map_err(|errors| validation_problems(&file.display().to_string(), &errors))?;
    }
    Ok(definition)
}

/// Reads one update payload file.
pub fn read_update(file: &Path) -> Result<ModelUpdate, Vec<FileProblem>> {
    let text = std::fs::read_to_string(file).map_err(|e| unreadable(file, &e))?;
    ModelUpdate::from_json_str(&text).map_err(|e| problems(file, &e))
}
