//! `synth --format yaml` as the tools that read it see it: cfn-lint (strict, as for the JSON
//! templates) finds nothing in the YAML of every example, and PyYAML, a YAML 1.1 reader (the one
//! cfn-lint uses), reads back exactly the JSON template: no value turns into a date, a boolean or
//! a number (`AWSTemplateFormatVersion: 2010-09-09` unquoted would be a date).
//!
//! cfn-lint comes from `LISA_CFN_LINT` (default `.venv-cfn/bin/cfn-lint`, installed by
//! `scripts/setup-tools.sh`); the Python beside it runs PyYAML. A missing tool fails the test.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn cfn_lint() -> PathBuf {
    let path = std::env::var_os("LISA_CFN_LINT")
        .map_or_else(|| workspace().join(".venv-cfn/bin/cfn-lint"), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found (set LISA_CFN_LINT or run ./scripts/test.sh, which installs it)",
        path.display()
    );
    path
}

/// Every example synthesized with `--format` into `dir`; returns the files written, sorted.
fn synthesize(format: &str, dir: &Path) -> Vec<PathBuf> {
    let output = run([
        "synth".as_ref(),
        "--format".as_ref(),
        format.as_ref(),
        models().as_os_str(),
        "--out".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists the output")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn cfn_lint_finds_nothing_in_the_yaml_templates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = synthesize("yaml", dir.path());
    assert!(
        files
            .iter()
            .all(|f| f.to_string_lossy().ends_with(".template.yaml"))
    );
    let output = Command::new(cfn_lint())
        .args([
            "--format",
            "parseable",
            "-x",
            "E3012:strict=true",
            "--regions",
            "us-east-1",
            "--",
        ])
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    let findings = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && findings.trim().is_empty(),
        "cfn-lint findings ({}):\n{findings}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_yaml_1_1_reader_reads_back_the_json_template() {
    let yaml_dir = tempfile::tempdir().expect("temp dir");
    let json_dir = tempfile::tempdir().expect("temp dir");
    let yaml_files = synthesize("yaml", yaml_dir.path());
    let json_files = synthesize("json", json_dir.path());
    assert_eq!(yaml_files.len(), json_files.len());
    let python = cfn_lint().with_file_name("python");
    const READ_BACK: &str = "import json, sys, yaml\n\
        print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))";
    for (yaml, json_file) in yaml_files.iter().zip(&json_files) {
        let output = Command::new(&python)
            .args(["-c", READ_BACK])
            .arg(yaml)
            .output()
            .expect("python runs");
        let read_back = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "PyYAML cannot read {} as plain data: {}",
            yaml.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = json(&std::fs::read_to_string(json_file).expect("reads"));
        assert_eq!(json(&read_back), expected, "{}", yaml.display());
    }
}
