//! The Lambda packages build without the EC2 and Service Quotas clients: the lifecycle function
//! only stops and starts models (no preflight checks), and the EC2 client alone is most of the
//! packages' build time. This reads the graph `scripts/package-functions` builds (both
//! functions in one build, features unified as cargo unifies them there) and fails when either
//! client joins it.

use std::process::Command;

/// The names of the packages in the graph of one build of both functions.
fn package_build_names() -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--manifest-path", manifest])
        .args(["--package", "lisa-registrar", "--package", "lisa-lifecycle"])
        .args([
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
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
fn the_packages_build_without_the_preflight_clients() {
    let names = package_build_names();
    // The graph was read: the deployer and the clients the lifecycle calls are in it.
    for expected in ["lisa-deploy", "aws-sdk-cloudformation", "aws-sdk-dynamodb"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let preflight: Vec<&String> = names
        .iter()
        .filter(|n| *n == "aws-sdk-ec2" || *n == "aws-sdk-servicequotas")
        .collect();
    assert!(
        preflight.is_empty(),
        "the Lambda packages' build gained {preflight:?}: depend on lisa-deploy without its \
         `preflight` feature"
    );
}
