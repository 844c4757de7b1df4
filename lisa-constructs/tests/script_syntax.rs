//! Every shell script a template carries (instance user data, the weights copy, each server's
//! start command) parses: `bash -n` for the user data, `sh -n` for the `/bin/sh -c` commands.
//! CloudFormation's `${...}` references are replaced by sample values first, as Fn::Sub would.

mod common;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// The text of a plain string or of an `Fn::Sub` template, with its references filled in.
fn script_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.get("Fn::Sub")?.as_str()?.to_owned(),
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |i| start + i + 1);
        out.push_str("sample-value");
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

fn check_syntax(shell: &str, script: &str, what: &str) {
    let mut child = Command::new(shell)
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shell}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{what}: {shell} -n rejects the script:\n{}\n---\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_script_in_every_case_parses() {
    let mut checked = 0;
    for case in common::cases() {
        let template = common::template_json(&case);
        for (id, resource) in template["Resources"].as_object().expect("resources") {
            let properties = &resource["Properties"];
            if let Some(user_data) = properties["LaunchTemplateData"]["UserData"].get("Fn::Base64")
            {
                let script = script_text(user_data).expect("user data is text");
                check_syntax("bash", &script, &format!("{}: {id} user data", case.name));
                checked += 1;
            }
            for container in properties["ContainerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if container["EntryPoint"] != serde_json::json!(["/bin/sh", "-c"]) {
                    continue;
                }
                let script = script_text(&container["Command"][0]).expect("command is text");
                check_syntax(
                    "sh",
                    &script,
                    &format!("{}: {id} {}", case.name, container["Name"]),
                );
                checked += 1;
            }
        }
    }
    // 9 hosted cases: user data, weights copy and server command each.
    assert_eq!(checked, 27);
}

#[test]
#[should_panic(expected = "rejects the script")]
fn a_broken_script_is_caught() {
    check_syntax("sh", "if true; then echo", "a broken script");
}

#[test]
fn references_are_filled_in_as_fn_sub_would() {
    let value = serde_json::json!({"Fn::Sub": "ECS_CLUSTER=${Cluster}\necho $HOME"});
    assert_eq!(
        script_text(&value).as_deref(),
        Some("ECS_CLUSTER=sample-value\necho $HOME")
    );
}
