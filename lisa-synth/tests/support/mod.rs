//! Helpers shared by the tests that drive the real `lisa-synth` binary as a process.
//!
//! `LISA_SYNTH_UNDER_TEST` may name another build of the binary (for example one of an older
//! commit, to see a test fail there); by default the tests run the one cargo built.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

pub fn models() -> PathBuf {
    workspace().join("examples/models")
}

pub fn model(file: &str) -> PathBuf {
    models().join(file)
}

pub fn updates() -> PathBuf {
    workspace().join("examples/updates")
}

pub fn binary() -> PathBuf {
    std::env::var_os("LISA_SYNTH_UNDER_TEST").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_lisa-synth")),
        PathBuf::from,
    )
}

/// A command for the binary, with no AWS region in its environment.
pub fn command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .stdin(Stdio::null());
    command
}

pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command(args).output().expect("the binary runs")
}

/// Runs with `input` on standard input.
pub fn run_with_stdin<I, S>(args: I, input: &[u8]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("writes stdin");
    drop(stdin);
    child.wait_with_output().expect("the binary ends")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 on stdout")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 on stderr")
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Writes `text` to `name` in `dir`; returns the path.
pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes the test file");
    path
}

/// The seed example (mistral-vllm) as a JSON value.
pub fn seed() -> Value {
    json(&std::fs::read_to_string(model("mistral-vllm.json")).expect("seed example"))
}

/// The seed example with another modelId, as text.
pub fn seed_with_id(id: &str) -> String {
    let mut value = seed();
    value["modelId"] = Value::String(id.to_owned());
    value.to_string()
}

/// A LiteLLM-only model (no hosting block).
pub fn litellm_only(id: &str) -> Value {
    serde_json::json!({
        "modelId": id,
        "modelName": "bedrock/amazon.titan-text-express-v1",
        "modelType": "textgen"
    })
}

pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("lists the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts that nothing panicked: no exit 101, no backtrace.
pub fn assert_no_panic(output: &Output) {
    let err = stderr(output);
    assert!(
        output.status.code() != Some(101) && !err.contains("panicked"),
        "panicked: {:?}\n{err}",
        output.status
    );
}
