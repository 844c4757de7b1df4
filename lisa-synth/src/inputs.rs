//! Finds and reads the inputs named on the command line (the rule is in
//! [`INPUTS_HELP`](crate::cli::INPUTS_HELP)), and describes problems in them.

use crate::output::{Diagnostics, Failure};
use lisa_constructs::model::{DefinitionError, ValidationErrors, bounds};
use serde::Serialize;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, by the path it was found at.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Stdin => f.write_str("<stdin>"),
        }
    }
}

/// Expands the command line's paths into inputs, in order: a directory stands for the `*.json`
/// files directly inside it (sorted by name, so no output depends on the file system), hidden
/// entries and anything else are skipped with a note, and a file given twice is read once.
pub fn expand(paths: &[PathBuf], diagnostics: Diagnostics) -> Result<Vec<Source>, Failure> {
    let mut sources: Vec<Source> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut add = |source: Source, sources: &mut Vec<Source>| {
        if let Source::File(path) = &source {
            let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if seen.contains(&key) {
                diagnostics.note(format_args!("{source}: given more than once; read once"));
                return;
            }
            seen.push(key);
        }
        sources.push(source);
    };
    let mut stdin_taken = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_taken {
                return Err(Failure::Usage(
                    "`-` (standard input) may be given only once".into(),
                ));
            }
            stdin_taken = true;
            add(Source::Stdin, &mut sources);
        } else if path.is_dir() {
            let found = scan_directory(path, diagnostics)?;
            if found.is_empty() {
                return Err(Failure::Usage(format!(
                    "{}: no model definition (*.json) in this directory",
                    path.display()
                )));
            }
            for file in found {
                add(Source::File(file), &mut sources);
            }
        } else if path.exists() {
            add(Source::File(path.clone()), &mut sources);
        } else {
            return Err(Failure::Usage(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
    }
    Ok(sources)
}

/// The definition files directly inside `dir`, sorted; notes every entry skipped.
fn scan_directory(dir: &Path, diagnostics: Diagnostics) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::Io(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut found = Vec::new();
    let mut skipped: Vec<(PathBuf, &str)> = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| Failure::Io(format!("cannot read directory {}: {e}", dir.display())))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_json = Path::new(&name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        // `metadata` follows links: a broken link has none.
        let reason = match std::fs::metadata(&path) {
            _ if name.starts_with('.') => Some("hidden"),
            Err(_) => Some("a broken link"),
            Ok(meta) if meta.is_dir() => Some("a directory (directories are not searched)"),
            Ok(meta) if !meta.is_file() => Some("not a regular file"),
            Ok(_) if !is_json => Some("not named *.json"),
            Ok(_) => None,
        };
        match reason {
            Some(reason) => skipped.push((path, reason)),
            None => found.push(path),
        }
    }
    found.sort();
    skipped.sort();
    for (path, reason) in skipped {
        diagnostics.note(format_args!("{}: skipped: {reason}", path.display()));
    }
    Ok(found)
}

/// Reads an input's text: at most [`bounds::PAYLOAD_MAX_BYTES`] (a larger input is refused
/// without being read whole), UTF-8.
pub fn read_text(source: &Source) -> Result<String, FileProblem> {
    let limit = bounds::PAYLOAD_MAX_BYTES;
    let mut bytes = Vec::new();
    let read = match source {
        Source::Stdin => std::io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes),
        Source::File(path) => std::fs::File::open(path)
            .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes)),
    };
    if let Err(error) = read {
        return Err(FileProblem::io(source, format!("cannot read: {error}")));
    }
    if bytes.len() > limit {
        return Err(FileProblem::new(
            source,
            "",
            format!(
                "is larger than {limit} bytes, the most a payload can be (the Admin API's request limit)"
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        FileProblem::new(
            source,
            "",
            format!(
                "is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
        )
    })?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(FileProblem::new(
            source,
            "",
            "is empty: a payload is a JSON object".into(),
        ));
    }
    Ok(text)
}

/// Whether `text` is a CloudFormation template (such as `synth --out`'s own output) rather than
/// a payload.
pub fn is_a_template(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
        .ok()
        .and_then(|value| {
            let object = value.as_object()?;
            Some(
                object.contains_key("AWSTemplateFormatVersion") || object.contains_key("Resources"),
            )
        })
        .unwrap_or(false)
}

/// One problem in one input, as printed by every command.
#[derive(Debug, Serialize)]
pub struct FileProblem {
    pub file: String,
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// An I/O error (exit 2) rather than invalid input (exit 1).
    #[serde(skip)]
    pub io: bool,
}

impl FileProblem {
    /// A problem at a JSON path (empty for the whole input).
    pub fn new(source: &Source, path: &str, message: String) -> Self {
        FileProblem {
            file: source.to_string(),
            path: path.to_owned(),
            message,
            line: None,
            column: None,
            io: false,
        }
    }

    fn io(source: &Source, message: String) -> Self {
        FileProblem {
            io: true,
            ..FileProblem::new(source, "", message)
        }
    }
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

/// Turns a read or parse failure of `source` into printable problems.
pub fn problems(source: &Source, error: &DefinitionError) -> Vec<FileProblem> {
    match error {
        DefinitionError::Syntax {
            line,
            column,
            message,
        } => vec![FileProblem {
            line: Some(*line),
            column: Some(*column),
            ..FileProblem::new(source, "", format!("malformed JSON: {message}"))
        }],
        DefinitionError::Invalid(errors) => validation_problems(source, errors),
    }
}

/// One printable problem per validation error.
pub fn validation_problems(source: &Source, errors: &ValidationErrors) -> Vec<FileProblem> {
    errors
        .errors()
        .iter()
        .map(|e| {
            let path = if e.path.is_empty() {
                "(payload)"
            } else {
                &e.path
            };
            FileProblem::new(source, path, e.message.clone())
        })
        .collect()
}
