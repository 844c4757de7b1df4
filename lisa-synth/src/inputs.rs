//! Finds and reads the inputs named on the command line (the rule is in
//! [`INPUTS_HELP`](crate::cli::INPUTS_HELP)), and describes problems in them.

use crate::output::{Diagnostics, Failure};
use lisa_constructs::model::{DefinitionError, ValidationErrors, bounds};
use serde::Serialize;
use std::collections::HashSet;
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
    let mut seen: HashSet<FileKey> = HashSet::new();
    let mut add = |path: PathBuf, meta: &std::fs::Metadata, sources: &mut Vec<Source>| {
        if seen.insert(file_key(&path, meta)) {
            sources.push(Source::File(path));
        } else {
            diagnostics.note(format_args!(
                "{}: given more than once; read once",
                path.display()
            ));
        }
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
            sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let found = scan_directory(path, diagnostics)?;
                if found.is_empty() {
                    return Err(Failure::Usage(format!(
                        "{}: no model definition (*.json) in this directory",
                        path.display()
                    )));
                }
                for (file, meta) in found {
                    add(file, &meta, &mut sources);
                }
            }
            Ok(meta) => add(path.clone(), &meta, &mut sources),
            Err(_) => {
                return Err(Failure::Usage(format!(
                    "{}: no such file or directory",
                    path.display()
                )));
            }
        }
    }
    Ok(sources)
}

/// What makes two paths one file: its device and inode on Unix (a link and its target are one
/// file, and the metadata is at hand), its canonical path elsewhere.
#[cfg(unix)]
type FileKey = (u64, u64);
#[cfg(not(unix))]
type FileKey = PathBuf;

#[cfg(unix)]
fn file_key(_path: &Path, meta: &std::fs::Metadata) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_key(path: &Path, _meta: &std::fs::Metadata) -> FileKey {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The definition files directly inside `dir`, sorted, each with its metadata; notes every
/// entry skipped.
fn scan_directory(
    dir: &Path,
    diagnostics: Diagnostics,
) -> Result<Vec<(PathBuf, std::fs::Metadata)>, Failure> {
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
            _ if name.starts_with('.') => Err("hidden"),
            Err(_) => Err("a broken link"),
            Ok(meta) if meta.is_dir() => Err("a directory (directories are not searched)"),
            Ok(meta) if !meta.is_file() => Err("not a regular file"),
            Ok(_) if !is_json => Err("not named *.json"),
            Ok(meta) => Ok(meta),
        };
        match reason {
            Err(reason) => skipped.push((path, reason)),
            Ok(meta) => found.push((path, meta)),
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
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
        Source::File(path) => std::fs::File::open(path).and_then(|file| {
            // Sized from the start: one read for the text and one to see its end.
            let size = file.metadata().map_or(0, |meta| meta.len());
            bytes.reserve_exact(size.min(limit as u64) as usize + 1);
            file.take(limit as u64 + 1).read_to_end(&mut bytes)
        }),
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
