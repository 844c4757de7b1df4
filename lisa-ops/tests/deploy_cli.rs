//! The AWS commands end to end: the real `lisa-ops` binary against moto's server
//! (`LISA_MOTO_ENDPOINT`, started by `scripts/test.sh`): bootstrap twice, a config typo, the
//! models commands with their JSON on stdout and exit codes, then diff and deploy of a folder,
//! and what `deploy --prune` asks before it deletes.
//! The registration function is played by a thread that answers the custom-resource requests
//! moto's launcher queues (see scripts/moto-server.py).

#[path = "../../lisa-deploy/tests/common/mod.rs"]
mod deploy;
#[path = "support/package.rs"]
mod package;

use deploy::{REGION, endpoint};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `lisa-ops ARGS` against moto's server.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lisa-ops"));
    command
        .args(args)
        .args(["--region", REGION, "--endpoint-url", &endpoint()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE");
    command
}

fn lisa(args: &[&str]) -> Output {
    command(args).output().expect("runs lisa-ops")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// How long one exchange with moto may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A minimal HTTP/1.1 exchange with moto (one request per connection).
fn http(method: &str, url: &str, body: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut stream = TcpStream::connect(host).ok()?;
    // A stalled exchange is given up (the caller polls again) rather than holding the
    // registration thread, and with it every create of the test, forever.
    stream.set_read_timeout(Some(HTTP_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(HTTP_TIMEOUT)).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: \r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

/// Plays the registration function for one deployment's stacks until dropped.
struct Registrar(Arc<AtomicBool>);

impl Registrar {
    fn start(deployment_name: &str) -> Registrar {
        let stop = Arc::new(AtomicBool::new(false));
        let url = format!(
            "{}/moto-api/custom-resources?stack={deployment_name}-",
            endpoint()
        );
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
                let Some(text) = http("GET", &url, "") else {
                    continue;
                };
                let Ok(events) = serde_json::from_str::<Vec<Value>>(&text) else {
                    continue;
                };
                for event in events {
                    let model_id = event["ResourceProperties"]["ModelId"]
                        .as_str()
                        .unwrap_or("");
                    let physical = event["PhysicalResourceId"]
                        .as_str()
                        .map_or_else(|| format!("litellm-{model_id}"), str::to_owned);
                    let answer = json!({
                        "Status": "SUCCESS", "PhysicalResourceId": physical,
                        "StackId": event["StackId"], "RequestId": event["RequestId"],
                        "LogicalResourceId": event["LogicalResourceId"],
                        "Data": {"LiteLlmModelId": physical},
                    });
                    let _ = http(
                        "PUT",
                        event["ResponseURL"].as_str().unwrap_or(""),
                        &answer.to_string(),
                    );
                }
            }
        });
        Registrar(stop)
    }
}

impl Drop for Registrar {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Writes environment.json for a fresh network in moto.
fn environment(dir: &Path, deployment_name: &str) -> std::path::PathBuf {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (vpc_id, subnets) = runtime.block_on(async {
        let clients = lisa_deploy::Clients::with_static_credentials(
            &endpoint(),
            REGION,
            "testing",
            "testing",
        )
        .await;
        deploy::network(&clients).await
    });
    let path = dir.join("environment.json");
    let config = json!({
        "deploymentName": deployment_name,
        "vpcId": vpc_id,
        "subnetIds": subnets,
        "modelsBucketName": "example-lisa-model-weights",
        "loadBalancerIngressCidr": "10.0.0.0/16",
        "litellmEndpoint": "https://litellm.internal.example.com",
        "litellmMasterKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:litellm-master-key-AbCdEf"
    });
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

fn example(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json")
}

fn write_model(dir: &Path, id: &str, base: &str, edit: impl FnOnce(&mut Value)) {
    let mut definition = example(base);
    definition["modelId"] = json!(id);
    edit(&mut definition);
    std::fs::write(dir.join(format!("{id}.json")), definition.to_string()).expect("write");
}

#[test]
fn bootstrap_models_diff_and_deploy_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("c{}cli", std::process::id());
    let config = environment(dir.path(), &name);
    let zip = package::runnable(dir.path(), "registrar");
    let lifecycle_zip = package::runnable(dir.path(), "lifecycle");
    let config_arg = config.to_str().expect("utf-8");
    let zip_arg = zip.to_str().expect("utf-8");
    let lifecycle_arg = lifecycle_zip.to_str().expect("utf-8");

    // Bootstrap twice: the second run changes nothing and says so.
    let first = lisa(&[
        "bootstrap",
        "--config",
        config_arg,
        "--registrar-zip",
        zip_arg,
        "--lifecycle-zip",
        lifecycle_arg,
    ]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let first_json = stdout_json(&first);
    assert_eq!(first_json["change"], "created");
    assert!(
        first_json["lifecycleFunctionArn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(&format!(":function:{name}-lifecycle"))),
        "{first_json}"
    );
    let second = lisa(&[
        "bootstrap",
        "--config",
        config_arg,
        "--registrar-zip",
        zip_arg,
        "--lifecycle-zip",
        lifecycle_arg,
    ]);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert_eq!(stdout_json(&second)["change"], "unchanged");
    assert!(
        stderr(&second).contains("nothing to do"),
        "{}",
        stderr(&second)
    );

    // A config with a typo is refused, nothing deployed.
    let typo = dir.path().join("typo.json");
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("read")).expect("json");
    bad["subnetIDs"] = bad["subnetIds"].take();
    std::fs::write(&typo, bad.to_string()).expect("write");
    let refused = lisa(&["bootstrap", "--config", typo.to_str().expect("utf-8")]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("did you mean \"subnetIds\""),
        "{}",
        stderr(&refused)
    );
    assert!(refused.stdout.is_empty());

    let _registrar = Registrar::start(&name);
    let models = dir.path().join("models");
    std::fs::create_dir(&models).expect("mkdir");
    let dn = ["--deployment-name", name.as_str()];

    // models create / get / list / update / delete.
    write_model(&models, "titan-a", "titan-express-v1.json", |_| {});
    let file = models.join("titan-a.json");
    let created = lisa(
        &[
            &["models", "create", file.to_str().expect("utf-8")][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    assert_eq!(stdout_json(&created)["model"]["status"], "InService");
    // Stack events are printed as they arrive; against moto the stack may settle before the
    // first look, so what is always there is the progress from start to end.
    let progress = stderr(&created);
    assert!(
        progress.contains("titan-a: creating") && progress.contains("titan-a: InService"),
        "progress on stderr: {progress}"
    );

    let duplicate = lisa(
        &[
            &["models", "create", file.to_str().expect("utf-8")][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&duplicate), 1);
    assert!(
        stderr(&duplicate).contains("exists already"),
        "{}",
        stderr(&duplicate)
    );

    let listed = lisa(&[&["models", "list"][..], &dn[..]].concat());
    assert_eq!(stdout_json(&listed)["models"][0]["modelId"], "titan-a");

    let stop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/updates/stop.json");
    let stopped = lisa(
        &[
            &["models", "update", "titan-a", stop.to_str().expect("utf-8")][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&stopped), 0, "{}", stderr(&stopped));
    assert_eq!(stdout_json(&stopped)["model"]["status"], "Stopped");
    let again = lisa(
        &[
            &["models", "update", "titan-a", stop.to_str().expect("utf-8")][..],
            &dn[..],
        ]
        .concat(),
    );
    // A stop by hand of a stopped model is saved (it holds the model against scheduled starts),
    // and says the status once.
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(stdout_json(&again)["model"]["status"], "Stopped");
    assert_eq!(
        stderr(&again).matches("titan-a: Stopped").count(),
        1,
        "{}",
        stderr(&again)
    );

    let unknown = lisa(&[&["models", "get", "nope"][..], &dn[..]].concat());
    assert_eq!(code(&unknown), 1);
    assert!(unknown.stdout.is_empty());

    let deleted = lisa(&[&["models", "delete", "titan-a"][..], &dn[..]].concat());
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));
    assert_eq!(
        stdout_json(&deleted),
        json!({"status": "success", "message": "Model titan-a has been deleted successfully."})
    );

    // A hosted model: preflight runs first (moto has no EC2 quotas: a warning on stderr).
    let hosted_dir = dir.path().join("hosted");
    std::fs::create_dir(&hosted_dir).expect("mkdir");
    write_model(&hosted_dir, "mistral", "mistral-vllm.json", |_| {});
    let hosted = hosted_dir.join("mistral.json");
    let created = lisa(
        &[
            &["models", "create", hosted.to_str().expect("utf-8")][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    assert!(
        stderr(&created).contains("preflight warning: could not read the vCPU quota"),
        "{}",
        stderr(&created)
    );
    let model = stdout_json(&created);
    assert_eq!(model["model"]["status"], "InService");
    assert!(
        model["model"]["modelUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://"))
    );
    let deleted = lisa(&[&["models", "delete", "mistral", "--no-wait"][..], &dn[..]].concat());
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));

    // A folder as the fleet: create three, then change one, drop one, add one.
    for id in ["fleet-a", "fleet-b", "fleet-c"] {
        write_model(&models, id, "titan-express-v1.json", |_| {});
    }
    std::fs::remove_file(models.join("titan-a.json")).expect("rm");
    let deployed = lisa(
        &[
            &[
                "deploy",
                models.to_str().expect("utf-8"),
                "--concurrency",
                "3",
            ][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&deployed), 0, "{}", stderr(&deployed));
    let plan = String::from_utf8_lossy(&deployed.stdout).into_owned();
    assert_eq!(plan.matches("+ create").count(), 3, "{plan}");

    write_model(&models, "fleet-a", "titan-express-v1.json", |d| {
        d["streaming"] = json!(false)
    });
    std::fs::remove_file(models.join("fleet-b.json")).expect("rm");
    write_model(&models, "fleet-d", "titan-express-v1.json", |_| {});
    let diff = lisa(&[&["diff", models.to_str().expect("utf-8")][..], &dn[..]].concat());
    assert_eq!(code(&diff), 0, "{}", stderr(&diff));
    let shown = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(
        shown.contains("resource(s) change"),
        "the change set's resources are listed:\n{shown}"
    );
    for line in [
        "~ update     fleet-a",
        "= unchanged  fleet-c",
        "+ create     fleet-d",
        "? absent     fleet-b",
    ] {
        assert!(shown.contains(line), "{line} in:\n{shown}");
    }
    // A reader that went away (`diff | head -1`) ends the command quietly, as for `synth`.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let closed = command(&[&["diff", models.to_str().expect("utf-8")][..], &dn[..]].concat())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs lisa-ops");
    assert_eq!(code(&closed), 141, "{}", stderr(&closed));
    assert!(!stderr(&closed).contains("panicked"), "{}", stderr(&closed));

    let dry = lisa(
        &[
            &[
                "deploy",
                models.to_str().expect("utf-8"),
                "--prune",
                "--dry-run",
            ][..],
            &dn[..],
        ]
        .concat(),
    );
    assert!(String::from_utf8_lossy(&dry.stdout).contains("- delete     fleet-b"));
    let pruned = lisa(
        &[
            &[
                "deploy",
                models.to_str().expect("utf-8"),
                "--prune",
                "--yes",
            ][..],
            &dn[..],
        ]
        .concat(),
    );
    assert_eq!(code(&pruned), 0, "{}", stderr(&pruned));
    let listed = stdout_json(&lisa(&[&["models", "list"][..], &dn[..]].concat()));
    let ids: Vec<&str> = listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["modelId"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["fleet-a", "fleet-c", "fleet-d"]);
    assert_eq!(listed["models"][0]["streaming"], false);
}

fn deployed_ids(dn: &[&str]) -> Vec<String> {
    let listed = stdout_json(&lisa(&[&["models", "list"][..], dn].concat()));
    listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["modelId"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// `deploy --prune` deletes what the operator confirmed and nothing else: never when given
/// files (a few files are not the whole fleet), and from folders only with `--yes` (a pipeline)
/// or a typed confirmation at a terminal, after listing the models it would delete. Refused, it
/// changes nothing at all, not even the creates of the same run.
#[test]
fn prune_deletes_only_the_absent_models_of_folders_and_only_once_confirmed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("c{}prune", std::process::id());
    let config = environment(dir.path(), &name);
    let zip = package::runnable(dir.path(), "registrar");
    let booted = lisa(&[
        "bootstrap",
        "--config",
        config.to_str().expect("utf-8"),
        "--registrar-zip",
        zip.to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&booted), 0, "{}", stderr(&booted));
    let _registrar = Registrar::start(&name);
    let dn = ["--deployment-name", name.as_str()];
    let models = dir.path().join("models");
    std::fs::create_dir(&models).expect("mkdir");
    for id in ["keep-a", "keep-b"] {
        write_model(&models, id, "titan-express-v1.json", |_| {});
    }
    let folder = models.to_str().expect("utf-8");
    let deployed = lisa(&[&["deploy", folder][..], &dn[..]].concat());
    assert_eq!(code(&deployed), 0, "{}", stderr(&deployed));
    assert_eq!(deployed_ids(&dn), ["keep-a", "keep-b"]);

    // One file with --prune: refused as a usage error, with or without --yes; nothing deleted.
    let one = models.join("keep-a.json");
    for yes in [&[][..], &["--yes"][..]] {
        let refused = lisa(
            &[
                &["deploy", one.to_str().expect("utf-8"), "--prune"][..],
                yes,
                &dn[..],
            ]
            .concat(),
        );
        assert_eq!(code(&refused), 2, "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("directories"),
            "{}",
            stderr(&refused)
        );
        assert_eq!(deployed_ids(&dn), ["keep-a", "keep-b"]);
    }

    // A folder without keep-b, plus a new model: without --yes (no terminal here) the run
    // names what it would delete and stops before changing anything.
    std::fs::remove_file(models.join("keep-b.json")).expect("rm");
    write_model(&models, "new-c", "titan-express-v1.json", |_| {});
    let unconfirmed = lisa(&[&["deploy", folder, "--prune"][..], &dn[..]].concat());
    assert_eq!(code(&unconfirmed), 2, "{}", stderr(&unconfirmed));
    let said = stderr(&unconfirmed);
    assert!(said.contains("keep-b") && said.contains("--yes"), "{said}");
    assert_eq!(deployed_ids(&dn), ["keep-a", "keep-b"], "nothing changed");

    let confirmed = lisa(&[&["deploy", folder, "--prune", "--yes"][..], &dn[..]].concat());
    assert_eq!(code(&confirmed), 0, "{}", stderr(&confirmed));
    assert_eq!(deployed_ids(&dn), ["keep-a", "new-c"]);
}
