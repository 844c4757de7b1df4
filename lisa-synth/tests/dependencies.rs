//! The synthesizer builds without the AWS SDK, an HTTP stack or an async runtime: a template
//! needs none of them, and they cost a fresh clone many minutes of build. This reads the
//! dependency graph cargo would build for `lisa-synth` (normal and build dependencies, as
//! `Cargo.lock` pins them) and fails when any of those crates joins it.

use std::process::Command;

/// Crate names (or name prefixes ending in `-`) that must stay out of `lisa-synth`'s graph.
const FORBIDDEN: &[&str] = &[
    "aws-sdk-",
    "aws-config",
    "aws-smithy-",
    "aws-lc-",
    "tokio",
    "hyper",
    "axum",
    "reqwest",
];

fn is_forbidden(name: &str) -> bool {
    FORBIDDEN
        .iter()
        .any(|forbidden| match forbidden.strip_suffix('-') {
            Some(prefix) => name.starts_with(prefix) && name[prefix.len()..].starts_with('-'),
            None => name == *forbidden,
        })
}

/// The names of the packages in `lisa-synth`'s normal and build dependency graph.
fn dependency_names() -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--manifest-path", manifest])
        .args(["--package", "lisa-synth", "--edges", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_synthesizer_builds_without_the_aws_sdk_an_http_stack_or_tokio() {
    let names = dependency_names();
    // The graph was read, not an empty answer: the library and the argument parser are in it.
    for expected in ["lisa-constructs", "clap", "serde_json"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let forbidden: Vec<&String> = names.iter().filter(|n| is_forbidden(n)).collect();
    assert!(
        forbidden.is_empty(),
        "lisa-synth's build graph gained {forbidden:?}: keep AWS I/O in lisa-deploy and lisa-ops"
    );
}

#[test]
fn the_forbidden_names_match_the_crates_they_mean() {
    for name in [
        "aws-sdk-ec2",
        "aws-config",
        "aws-smithy-runtime",
        "tokio",
        "hyper",
        "axum",
    ] {
        assert!(is_forbidden(name), "{name}");
    }
    for name in [
        "tokio-macros-free",
        "hyperloglog",
        "aws-sdkx",
        "clap",
        "serde",
    ] {
        assert!(!is_forbidden(name), "{name}");
    }
}
