//! Runs the real cfn-lint (strict JSON types, every supported region) and checkov over every
//! synthesized case. The tools are installed by `scripts/setup-tools.sh`; `scripts/test.sh` points
//! `LISA_CFN_LINT` and `LISA_CHECKOV` at them. A missing tool fails the test: it never skips.

mod common;

use lisa_constructs::model::{CATALOG, SUPPORTED_REGIONS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(variable: &str, default: &str) -> PathBuf {
    let path =
        std::env::var_os(variable).map_or_else(|| common::workspace().join(default), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found (set {variable} or run ./scripts/test.sh, which installs it)",
        path.display()
    );
    path
}

/// Writes every case's template into a fresh directory, grouped by the regions it deploys to:
/// a hosted model only where its instance type is offered, a LiteLLM-only model everywhere.
fn write_templates() -> (tempfile::TempDir, BTreeMap<Vec<&'static str>, Vec<PathBuf>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut groups: BTreeMap<Vec<&'static str>, Vec<PathBuf>> = BTreeMap::new();
    for case in common::cases() {
        let path = dir.path().join(format!("{}.json", case.name));
        std::fs::write(&path, common::template_text(&case)).expect("write template");
        let regions = match common::definition(case.file).instance() {
            Some(instance) => instance.regions().collect(),
            None => SUPPORTED_REGIONS.to_vec(),
        };
        groups.entry(regions).or_default().push(path);
    }
    (dir, groups)
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn cfn_lint_finds_nothing_in_strict_mode_in_every_region() {
    let cfn_lint = tool("LISA_CFN_LINT", ".venv-cfn/bin/cfn-lint");
    let (_dir, groups) = write_templates();
    for (regions, files) in &groups {
        let mut command = Command::new(&cfn_lint);
        command
            .args([
                "--format",
                "parseable",
                "-x",
                "E3012:strict=true",
                "--regions",
            ])
            .args(regions);
        command.arg("--").args(files);
        let (ok, output) = run(&mut command);
        // Exit code 0 means no error, warning or informational finding at all.
        assert!(
            ok && output.trim().is_empty(),
            "cfn-lint findings in {regions:?}:\n{output}"
        );
    }
}

#[test]
fn catalog_regions_match_cfn_lints_instance_offerings() {
    // One launch template per catalog type, linted in every supported region: cfn-lint's E3628
    // must fire exactly where the catalog says the type is not offered.
    let cfn_lint = tool("LISA_CFN_LINT", ".venv-cfn/bin/cfn-lint");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for spec in CATALOG {
        let template = serde_json::json!({"Resources": {"Lt": {"Type": "AWS::EC2::LaunchTemplate",
            "Properties": {"LaunchTemplateData": {"InstanceType": spec.name}}}}});
        let path = dir.path().join(format!("{}.json", spec.name));
        std::fs::write(&path, template.to_string()).expect("write");
        files.push(path);
    }
    let mut command = Command::new(cfn_lint);
    command
        .args(["--format", "parseable", "--regions"])
        .args(SUPPORTED_REGIONS)
        .arg("--")
        .args(&files);
    let (_, output) = run(&mut command);
    let mut expected: Vec<String> = Vec::new();
    for spec in CATALOG {
        for region in SUPPORTED_REGIONS.iter().filter(|r| !spec.offered_in(r)) {
            expected.push(format!("{} {region}", spec.name));
        }
    }
    let mut found: Vec<String> = output
        .lines()
        .filter(|line| line.contains(":E3628:"))
        .filter_map(|line| {
            let name = line.split(":E3628:'").nth(1)?.split('\'').next()?;
            let region = line.rsplit('\'').nth(1)?;
            Some(format!("{name} {region}"))
        })
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "cfn-lint output:\n{output}");
}

#[test]
fn cfn_lint_strict_mode_is_really_on() {
    // The same run over a template with a number where the schema wants a string must fail,
    // or the test above proves nothing.
    let cfn_lint = tool("LISA_CFN_LINT", ".venv-cfn/bin/cfn-lint");
    let mut template = common::template_json(&common::case("seed-mistral-vllm"));
    let group = template["Resources"]
        .as_object_mut()
        .and_then(|r| {
            r.values_mut()
                .find(|r| r["Type"] == "AWS::AutoScaling::AutoScalingGroup")
        })
        .expect("a group");
    group["Properties"]["MinSize"] = serde_json::json!(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("numeric-min-size.json");
    std::fs::write(&path, template.to_string()).expect("write");
    let (ok, output) = run(Command::new(cfn_lint)
        .args(["-x", "E3012:strict=true", "--"])
        .arg(&path));
    assert!(
        !ok && output.contains("E3012"),
        "expected E3012, got:\n{output}"
    );
}

fn checkov(dir: &Path) -> (bool, String) {
    let checkov = tool("LISA_CHECKOV", ".venv-checkov/bin/checkov");
    run(Command::new(checkov)
        .arg("--directory")
        .arg(dir)
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .env("BC_SKIP_MAPPING", "TRUE"))
}

#[test]
fn checkov_passes_with_only_justified_skips() {
    let (dir, _groups) = write_templates();
    let (ok, output) = checkov(dir.path());
    assert!(ok, "checkov failures:\n{output}");
    assert!(output.contains("Failed checks: 0"), "{output}");
    // Every skip carries a written justification.
    for case in common::cases() {
        let template = common::template_json(&case);
        for (id, resource) in template["Resources"].as_object().expect("resources") {
            for skip in resource["Metadata"]["checkov"]["skip"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let comment = skip["comment"].as_str().unwrap_or_default();
                assert!(
                    comment.len() > 20,
                    "{}: {id}: skip {} has no justification",
                    case.name,
                    skip["id"]
                );
            }
        }
    }
}
