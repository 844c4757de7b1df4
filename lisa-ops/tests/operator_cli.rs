//! What an operator sees of `lisa-ops`: progress while a stack works (a heartbeat saying what
//! it waits for, counts only of what CloudFormation reported), the status as soon as the stack
//! settles, `models watch`, one plan from `diff` and `deploy --dry-run`, bootstrap's checks
//! before it uploads anything, preflight warnings on every create and resize, and answers that
//! say what happened once, in one shape.
//!
//! The real binary as a process against moto's server (`LISA_MOTO_ENDPOINT`), its exit codes
//! and both streams; the registration function is played by the deploy tests' harness, paused
//! where a test needs a stack to keep waiting.

#[path = "support/package.rs"]
mod package;
mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::deploy::{self, REGION, endpoint};
use tokio::io::{AsyncBufReadExt, BufReader};

/// `lisa-ops ARGS` against moto's server.
fn command(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_lisa-ops"));
    command
        .args(args)
        .args(["--region", REGION, "--endpoint-url", &endpoint()])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .kill_on_drop(true);
    command
}

async fn lisa(args: &[&str]) -> Output {
    command(args).output().await.expect("runs lisa-ops")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A `lisa-ops` process whose standard error is read as it comes, each line with the moment it
/// arrived.
struct Running {
    child: tokio::process::Child,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Running {
    fn spawn(args: &[&str], variables: &[(&str, &str)]) -> Running {
        let mut command = command(args);
        command.envs(variables.iter().copied());
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lisa-ops starts");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&lines);
        let reader = tokio::spawn(async move {
            let mut read = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = read.next_line().await {
                kept.lock().expect("lock").push((Instant::now(), line));
            }
        });
        Running {
            child,
            lines,
            reader,
        }
    }

    /// Waits until a line of standard error matches.
    async fn until(&self, matches: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self
            .lines
            .lock()
            .expect("lock")
            .iter()
            .any(|(_, l)| matches(l))
        {
            assert!(
                Instant::now() < deadline,
                "no such line in:\n{}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn text(&self) -> String {
        let lines = self.lines.lock().expect("lock");
        lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    /// The exit status, standard output and the lines of standard error.
    async fn finish(self) -> (ExitStatus, String, Vec<(Instant, String)>) {
        let output = tokio::time::timeout(Duration::from_secs(120), self.child.wait_with_output())
            .await
            .expect("lisa-ops ends")
            .expect("lisa-ops can be waited for");
        self.reader.await.expect("stderr read");
        let lines = self.lines.lock().expect("lock").clone();
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            lines,
        )
    }
}

fn example(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json")
}

/// `dir/ID.json`: an example with another modelId, edited.
fn model_file(dir: &Path, id: &str, base: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut definition = example(base);
    definition["modelId"] = json!(id);
    edit(&mut definition);
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, definition.to_string()).expect("write");
    path
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

fn first_line(lines: &[(Instant, String)], matches: impl Fn(&str) -> bool) -> Option<Instant> {
    lines.iter().find(|(_, l)| matches(l)).map(|(at, _)| *at)
}

fn joined(lines: &[(Instant, String)]) -> String {
    lines.iter().map(|(_, l)| format!("{l}\n")).collect()
}

/// While the registration keeps a create waiting, heartbeats say so; moto reports no resource
/// events, so no resource count is printed at all (never `0/22`); once the stack settles, the
/// status follows at once, not a polling pause later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_create_reports_its_wait_and_its_status_as_soon_as_the_stack_settles() {
    let d = deploy::deployment("progress").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = model_file(dir.path(), "slow-a", "titan-express-v1.json", |_| {});
    d.registrar.pause(true);
    let run = Running::spawn(
        &[
            "models",
            "create",
            text(&file),
            "--deployment-name",
            &d.name,
        ],
        &[("LISA_HEARTBEAT_SECONDS", "1")],
    );
    run.until(|l| l == "slow-a: creating").await;
    // Long enough for the wait (a look every 4 s, give or take a fifth) to find the stack
    // still working three times.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let answered = Instant::now();
    d.registrar.pause(false);
    let (status, out, lines) = run.finish().await;
    let said = joined(&lines);
    assert_eq!(status.code(), Some(0), "{said}");
    let answer: Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(answer["model"]["status"], "InService");

    // Every expectation is checked, then all that failed are reported together.
    let mut failed = Vec::new();
    if lines.iter().any(|(_, l)| l.contains("resources")) {
        failed.push("a count of resources, where CloudFormation reported none");
    }
    let settled = first_line(&lines, |l| l.contains("CREATE_COMPLETE"))
        .unwrap_or_else(|| panic!("the stack's CREATE_COMPLETE is shown:\n{said}"));
    let heartbeats: Vec<&str> = lines
        .iter()
        .filter(|(at, l)| *at < settled && l.contains("waiting"))
        .map(|(_, l)| l.as_str())
        .collect();
    if heartbeats.len() < 2 {
        failed.push("a heartbeat each time the stack was found still waiting");
    }
    if !heartbeats
        .iter()
        .all(|l| l.contains("CREATE_IN_PROGRESS") && l.contains("so far"))
    {
        failed.push("each heartbeat saying what the stack is doing and for how long");
    }
    let printed = first_line(&lines, |l| l == "slow-a: InService")
        .unwrap_or_else(|| panic!("the status is printed:\n{said}"));
    let gap = printed.saturating_duration_since(settled);
    eprintln!(
        "settle to status: {:.3} s after the CREATE_COMPLETE line, {:.3} s after the registration's answer",
        gap.as_secs_f64(),
        printed.saturating_duration_since(answered).as_secs_f64()
    );
    // Reading the record takes a few calls; one more polling pause (4 s less a fifth at least)
    // is what must not be there.
    if gap >= Duration::from_secs(3) {
        failed.push("the status within a moment of the stack settling");
    }
    assert!(failed.is_empty(), "missing: {failed:?}\n{said}");
}

/// `models watch` follows the current operation to its end, answers at once for a settled model,
/// and its exit code says whether the model is where it should be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_the_current_operation_and_exits_by_where_the_model_settled() {
    let d = deploy::deployment("watch").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let dn = ["--deployment-name", d.name.as_str()];
    let file = model_file(dir.path(), "watch-a", "titan-express-v1.json", |_| {});
    d.registrar.pause(true);
    let started = lisa(&[&["models", "create", text(&file), "--no-wait"][..], &dn].concat()).await;
    assert_eq!(code(&started), 0, "{}", stderr(&started));
    assert_eq!(stdout_json(&started)["model"]["status"], "Creating");

    let run = Running::spawn(&[&["models", "watch", "watch-a"][..], &dn].concat(), &[]);
    run.until(|l| l == "watch-a: Creating").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    d.registrar.pause(false);
    let (status, out, lines) = run.finish().await;
    let said = joined(&lines);
    assert_eq!(status.code(), Some(0), "{said}");
    let answer: Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(answer["model"]["status"], "InService", "{said}");
    assert!(said.contains("watch-a: InService"), "{said}");

    // Settled: the status at once, with no polling pause first.
    let asked = Instant::now();
    let settled = lisa(&[&["models", "watch", "watch-a"][..], &dn].concat()).await;
    let took = asked.elapsed();
    assert_eq!(code(&settled), 0, "{}", stderr(&settled));
    assert_eq!(stdout_json(&settled)["model"]["status"], "InService");
    assert_eq!(
        stderr(&settled).matches("watch-a: InService").count(),
        1,
        "{}",
        stderr(&settled)
    );
    assert!(
        took < Duration::from_secs(3),
        "a settled model took {took:?}"
    );

    // A model that failed: non-zero, with the reason.
    d.registrar
        .fail("watch-f", "the model never answered its health check");
    let failing = model_file(dir.path(), "watch-f", "titan-express-v1.json", |_| {});
    let created =
        lisa(&[&["models", "create", text(&failing), "--no-wait"][..], &dn].concat()).await;
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    let failed = lisa(&[&["models", "watch", "watch-f"][..], &dn].concat()).await;
    assert_eq!(code(&failed), 3, "{}", stderr(&failed));
    assert_eq!(stdout_json(&failed)["model"]["status"], "Failed");
    assert!(
        stderr(&failed).contains("never answered its health check"),
        "{}",
        stderr(&failed)
    );

    // No such model: refused, as `models get` is.
    let unknown = lisa(&[&["models", "watch", "nope"][..], &dn].concat()).await;
    assert_eq!(code(&unknown), 1, "{}", stderr(&unknown));
    assert!(unknown.stdout.is_empty());
}

/// `deploy --dry-run` prints exactly what `diff` prints for the same folder, whose models
/// change, appear and disappear, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_and_deploy_dry_run_print_the_same_plan() {
    let d = deploy::deployment("plan").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let models = dir.path().join("models");
    std::fs::create_dir(&models).expect("mkdir");
    let dn = ["--deployment-name", d.name.as_str()];
    for id in ["plan-a", "plan-b"] {
        model_file(&models, id, "titan-express-v1.json", |_| {});
    }
    let deployed = lisa(&[&["deploy", text(&models)][..], &dn].concat()).await;
    assert_eq!(code(&deployed), 0, "{}", stderr(&deployed));

    model_file(&models, "plan-a", "titan-express-v1.json", |d| {
        d["streaming"] = json!(false)
    });
    std::fs::remove_file(models.join("plan-b.json")).expect("rm");
    model_file(&models, "plan-c", "titan-express-v1.json", |_| {});

    let diff = lisa(&[&["diff", text(&models)][..], &dn].concat()).await;
    let dry = lisa(&[&["deploy", text(&models), "--dry-run"][..], &dn].concat()).await;
    assert_eq!(code(&diff), 0, "{}", stderr(&diff));
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    for line in [
        "~ update     plan-a",
        "+ create     plan-c",
        "? absent     plan-b",
    ] {
        assert!(
            stdout(&diff).contains(line),
            "{line} in:\n{}",
            stdout(&diff)
        );
    }
    assert_eq!(stdout(&dry), stdout(&diff), "deploy --dry-run against diff");

    let listed = stdout_json(&lisa(&[&["models", "list"][..], &dn].concat()).await);
    let models: Vec<(&str, &Value)> = listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| (m["modelId"].as_str().unwrap_or(""), &m["streaming"]))
        .collect();
    assert_eq!(
        models,
        [("plan-a", &json!(true)), ("plan-b", &json!(true))],
        "the dry run changed nothing"
    );
}

/// Writes an environment file for `name` (`edit` may break it).
fn environment_file(
    dir: &Path,
    name: &str,
    network: &(String, Vec<String>),
    edit: impl FnOnce(&mut Value),
) -> PathBuf {
    let mut config = json!({
        "deploymentName": name,
        "vpcId": network.0,
        "subnetIds": network.1,
        "modelsBucketName": "example-lisa-model-weights",
        "loadBalancerIngressCidr": "10.0.0.0/16",
        "litellmEndpoint": "https://litellm.internal.example.com",
        "litellmMasterKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:litellm-master-key-AbCdEf"
    });
    edit(&mut config);
    let path = dir.join(format!("{name}-{}.json", unique_suffix()));
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

async fn bootstrap_stack_exists(name: &str) -> bool {
    let clients = deploy::clients().await;
    lisa_deploy::StackOps::new(clients, None)
        .describe(&format!("{name}-bootstrap"))
        .await
        .expect("describe")
        .is_some()
}

/// Bootstrap checks the packages and the network before it uploads anything, and reports every
/// problem of a run at once with exit code 2: the operator must change something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_reports_every_problem_it_can_see_before_uploading_anything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = deploy::unique("checks");
    let network = deploy::network(&deploy::clients().await).await;
    let config = environment_file(dir.path(), &name, &network, |_| {});
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");

    let text_as_zip = lisa(&[
        "bootstrap",
        "--config",
        text(&config),
        "--registrar-zip",
        text(&readme),
    ])
    .await;
    assert_eq!(code(&text_as_zip), 2, "{}", stderr(&text_as_zip));
    let said = stderr(&text_as_zip);
    assert!(
        said.contains("--registrar-zip") && said.contains("not a zip archive"),
        "{said}"
    );
    assert!(text_as_zip.stdout.is_empty());
    assert!(!bootstrap_stack_exists(&name).await, "nothing was deployed");

    // Every problem at once: a package for another machine, one that cannot be executed, a VPC
    // and a subnet that do not exist.
    let arm = package::package(
        dir.path(),
        "arm",
        "bootstrap",
        &package::executable(package::AARCH64),
        0o755,
    );
    let private = package::package(
        dir.path(),
        "private",
        "bootstrap",
        &package::executable(package::X86_64),
        0o644,
    );
    let missing_vpc = "vpc-0123456789abcdef0";
    let missing_subnet = "subnet-0123456789abcdef0";
    let broken = environment_file(dir.path(), &name, &network, |c| {
        c["vpcId"] = json!(missing_vpc);
        c["subnetIds"][1] = json!(missing_subnet);
    });
    let everything = lisa(&[
        "bootstrap",
        "--config",
        text(&broken),
        "--registrar-zip",
        text(&arm),
        "--lifecycle-zip",
        text(&private),
    ])
    .await;
    assert_eq!(code(&everything), 2, "{}", stderr(&everything));
    let said = stderr(&everything);
    for wanted in [
        "--registrar-zip",
        "arm64",
        "--lifecycle-zip",
        "mode 0644",
        missing_vpc,
        missing_subnet,
        "nothing was uploaded",
    ] {
        assert!(said.contains(wanted), "{wanted} in:\n{said}");
    }
    assert!(!bootstrap_stack_exists(&name).await, "nothing was deployed");

    // --skip-preflight leaves the network alone (the calls may not be allowed); the packages are
    // still checked, on this machine.
    let skipped = lisa(&[
        "bootstrap",
        "--config",
        text(&broken),
        "--registrar-zip",
        text(&arm),
        "--skip-preflight",
    ])
    .await;
    assert_eq!(code(&skipped), 2, "{}", stderr(&skipped));
    assert!(stderr(&skipped).contains("arm64"), "{}", stderr(&skipped));
    assert!(
        !stderr(&skipped).contains(missing_vpc),
        "{}",
        stderr(&skipped)
    );

    // Packages as scripts/package-functions makes them, on a network that exists: deployed.
    let registrar = package::runnable(dir.path(), "registrar");
    let lifecycle = package::runnable(dir.path(), "lifecycle");
    let good = lisa(&[
        "bootstrap",
        "--config",
        text(&config),
        "--registrar-zip",
        text(&registrar),
        "--lifecycle-zip",
        text(&lifecycle),
    ])
    .await;
    assert_eq!(code(&good), 0, "{}", stderr(&good));
    assert_eq!(stdout_json(&good)["change"], "created");
}

/// The preflight's warnings (moto has no EC2 quotas to read) reach the operator on a create, a
/// resize and a deploy, and not when the checks are turned off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_warnings_reach_the_operator_on_create_resize_and_deploy() {
    let d = deploy::deployment("preflightwarnings").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let dn = ["--deployment-name", d.name.as_str()];
    let warning = "preflight warning: could not read the vCPU quota";

    let hosted = model_file(dir.path(), "warn-h", "mistral-vllm.json", |_| {});
    let created = lisa(&[&["models", "create", text(&hosted)][..], &dn].concat()).await;
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    assert!(
        stderr(&created).contains(&format!("warn-h: {warning}")),
        "{}",
        stderr(&created)
    );

    let resize = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/updates/autoscaling.json");
    let resized = lisa(&[&["models", "update", "warn-h", text(&resize)][..], &dn].concat()).await;
    assert_eq!(code(&resized), 0, "{}", stderr(&resized));
    assert!(
        stderr(&resized).contains(&format!("warn-h: {warning}")),
        "the resize's warning:\n{}",
        stderr(&resized)
    );

    let folder = dir.path().join("fleet");
    std::fs::create_dir(&folder).expect("mkdir");
    model_file(&folder, "warn-d", "mistral-vllm.json", |_| {});
    let deployed = lisa(&[&["deploy", text(&folder)][..], &dn].concat()).await;
    assert_eq!(code(&deployed), 0, "{}", stderr(&deployed));
    assert!(
        stderr(&deployed).contains(&format!("warn-d: {warning}")),
        "the deploy's warning:\n{}",
        stderr(&deployed)
    );

    let bigger = dir.path().join("bigger.json");
    std::fs::write(
        &bigger,
        json!({"autoScalingInstanceConfig": {"maxCapacity": 5}}).to_string(),
    )
    .expect("write");
    let unchecked = lisa(
        &[
            &[
                "models",
                "update",
                "warn-h",
                text(&bigger),
                "--skip-preflight",
            ][..],
            &dn,
        ]
        .concat(),
    )
    .await;
    assert_eq!(code(&unchecked), 0, "{}", stderr(&unchecked));
    assert!(
        !stderr(&unchecked).contains("preflight"),
        "{}",
        stderr(&unchecked)
    );
}

/// Problems in a file given to `models create` or `models update` do not claim that nothing was
/// written (nothing ever is); an update that changes nothing says the status once; `models
/// delete` answers the same shape with and without `--no-wait`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_say_what_happened_once_and_in_one_shape() {
    let d = deploy::deployment("answers").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let dn = ["--deployment-name", d.name.as_str()];

    let typo = model_file(dir.path(), "ans-bad", "titan-express-v1.json", |d| {
        d["streamng"] = d["streaming"].take();
    });
    let refused = lisa(&[&["models", "create", text(&typo)][..], &dn].concat()).await;
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("streamng"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !stderr(&refused).contains("nothing written"),
        "{}",
        stderr(&refused)
    );
    let bad_update = dir.path().join("bad-update.json");
    std::fs::write(&bad_update, r#"{"streming": true}"#).expect("write");
    let refused =
        lisa(&[&["models", "update", "ans-a", text(&bad_update)][..], &dn].concat()).await;
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    assert!(
        !stderr(&refused).contains("nothing written"),
        "{}",
        stderr(&refused)
    );

    for id in ["ans-a", "ans-b"] {
        let file = model_file(dir.path(), id, "titan-express-v1.json", |_| {});
        let created = lisa(&[&["models", "create", text(&file)][..], &dn].concat()).await;
        assert_eq!(code(&created), 0, "{}", stderr(&created));
    }
    let same = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/updates/metadata.json");
    let unchanged = lisa(&[&["models", "update", "ans-a", text(&same)][..], &dn].concat()).await;
    assert_eq!(code(&unchanged), 0, "{}", stderr(&unchanged));
    assert_eq!(stdout_json(&unchanged)["model"]["status"], "InService");
    assert_eq!(
        stderr(&unchanged).matches("ans-a: InService").count(),
        1,
        "{}",
        stderr(&unchanged)
    );

    let followed = lisa(&[&["models", "delete", "ans-a"][..], &dn].concat()).await;
    assert_eq!(code(&followed), 0, "{}", stderr(&followed));
    let started = lisa(&[&["models", "delete", "ans-b", "--no-wait"][..], &dn].concat()).await;
    assert_eq!(code(&started), 0, "{}", stderr(&started));
    for (output, id) in [(&followed, "ans-a"), (&started, "ans-b")] {
        assert_eq!(
            stdout_json(output),
            json!({"status": "success", "message": format!("Model {id} has been deleted successfully.")})
        );
    }
}
