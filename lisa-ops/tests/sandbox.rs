//! `scripts/sandbox`, the local sandbox, end to end: `up` on free ports, then the real `lisa-ops`
//! with nothing but the environment `up` prints: a LiteLLM-only and a hosted model created and
//! registered by the packaged registration function (under the sandbox's Lambda stand-in, in its
//! LiteLLM stand-in), the first stopped and started by the packaged lifecycle function as its
//! schedule would (`scripts/sandbox fire`), the hosted one stopped and started again,
//! `lisa-ops serve` listing both over HTTP, both deleted (and gone from LiteLLM), then `down` and
//! nothing of the sandbox left running.
//!
//! Needs moto's venv (scripts/setup-tools.sh checks) and the function packages: it takes them
//! from LISA_REGISTRAR_ZIP and LISA_LIFECYCLE_ZIP (scripts/test.sh sets both); without them the
//! sandbox reuses target/package's or builds them (minutes).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest any one command may take (a create waits for its registration; a loaded
/// two-core machine makes everything slower).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(240);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(path: &str) -> String {
    root().join("examples").join(path).display().to_string()
}

/// What a finished command said.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn ok(self, what: &str) -> Ran {
        assert!(
            self.status.success(),
            "{what}: {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `command` to its end, or kills it after `COMMAND_TIMEOUT` and fails.
fn run(mut command: Command) -> Ran {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{shown} does not start: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{shown} did not finish within {COMMAND_TIMEOUT:?}; stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ran {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// A running sandbox in a state directory of its own; stopped when dropped (a failed test
/// leaves nothing running either).
struct Sandbox {
    state: tempfile::TempDir,
    /// The variables `up` printed as `export NAME=VALUE`.
    env: Vec<(String, String)>,
    stopped: bool,
}

impl Sandbox {
    fn command(state: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(root().join("scripts/sandbox"));
        command.arg("--state-dir").arg(state).args(args);
        command
    }

    fn up() -> Sandbox {
        let state = tempfile::tempdir().expect("a state directory");
        let mut command = Sandbox::command(
            state.path(),
            &["up", "--port-base", "0", "--model-load-seconds", "2"],
        );
        command
            .arg("--lisa-ops")
            .arg(env!("CARGO_BIN_EXE_lisa-ops"));
        let mut sandbox = Sandbox {
            state,
            env: Vec::new(),
            stopped: false,
        };
        let ran = run(command).ok("scripts/sandbox up");
        sandbox.env = ran
            .stdout
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|pair| pair.split_once('='))
            .filter(|(_, value)| !value.contains('$'))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        for name in [
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "LISA_ADMIN_TOKENS",
        ] {
            assert!(
                sandbox.env.iter().any(|(n, _)| n == name),
                "up printed no {name}:\n{}",
                ran.stdout
            );
        }
        sandbox
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .expect("printed by up")
    }

    fn status(&self) -> Value {
        let ran = run(Sandbox::command(self.state.path(), &["status", "--json"]));
        ran.json()
    }

    /// `lisa-ops ARGS` with only the sandbox's environment for AWS: no flags, no profile.
    fn lisa_ops(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lisa-ops"));
        command.args(args);
        for name in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "LISA_MOTO_ENDPOINT",
        ] {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(n, v)| (n, v)));
        command
    }

    fn lisa(&self, args: &[&str]) -> Ran {
        run(self.lisa_ops(args))
    }

    fn down(&mut self) -> Ran {
        self.stopped = true;
        run(Sandbox::command(self.state.path(), &["down"]))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.down();
        }
    }
}

/// The sandbox's LiteLLM, asked as the registration function asks it.
fn litellm_entries(status: &Value) -> Vec<Value> {
    let url = format!(
        "{}/model/info",
        status["litellm"]["url"].as_str().expect("LiteLLM's URL")
    );
    let key = status["litellm"]["masterKey"].as_str().expect("the key");
    let (code, body) = get(&url, key);
    assert_eq!(code, 200, "{body}");
    body["data"].as_array().expect("data").clone()
}

fn get(url: &str, token: &str) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let code = response.status().as_u16();
        (code, response.json().await.expect("a JSON body"))
    })
}

/// Whether the process still runs: gone, or a zombie (it has ended; its parent may be a
/// container's init that reaps late) are both not running.
fn running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().to_owned())
        })
        .is_some_and(|rest| !rest.starts_with('Z'))
}

/// The processes `status --json` lists.
fn pids(status: &Value) -> Vec<u64> {
    status["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["pid"].as_u64().expect("pid"))
        .collect()
}

fn model_status(ran: &Ran) -> String {
    ran.json()["model"]["status"]
        .as_str()
        .unwrap_or("none")
        .to_owned()
}

fn registered(entries: &[Value], model_id: &str) -> Option<Value> {
    entries
        .iter()
        .find(|e| e["model_name"] == model_id)
        .cloned()
}

#[test]
fn a_sandbox_runs_the_lifecycle_with_the_packaged_registrar_and_stops_leaving_nothing() {
    let mut sandbox = Sandbox::up();
    let status = sandbox.status();
    assert_eq!(status["running"], true, "{status:#}");
    assert!(pids(&status).len() >= 2, "moto and the agent: {status:#}");

    // A second `up` on the same state says that one runs, and starts nothing.
    let again = run(Sandbox::command(
        sandbox.state.path(),
        &["up", "--port-base", "0"],
    ));
    assert!(!again.status.success());
    assert!(again.stderr.contains("already runs"), "{}", again.stderr);
    assert_eq!(
        again.stderr.lines().count(),
        1,
        "one line: {}",
        again.stderr
    );

    // A LiteLLM-only model: InService once the packaged function registered it in LiteLLM.
    let titan = sandbox
        .lisa(&["models", "create", &example("models/titan-express-v1.json")])
        .ok("models create titan-express-v1");
    assert_eq!(model_status(&titan), "InService", "{}", titan.stdout);
    let entry = registered(&litellm_entries(&status), "titan-express-v1").expect("registered");
    assert_eq!(
        entry["litellm_params"]["model"],
        "bedrock/amazon.titan-text-express-v1"
    );

    // A schedule: the packaged lifecycle function, run as the schedule runs it, stops the model
    // while its schedule wants it stopped (and the registration function takes it out of
    // LiteLLM), then starts it while a new schedule wants it running.
    for (window, action, wanted) in [
        ((120, 180), "stop", "Stopped"),
        ((-120, 120), "start", "InService"),
    ] {
        let schedule = sandbox.state.path().join(format!("{action}.json"));
        std::fs::write(&schedule, daily_window_from_now(window)).expect("a schedule file");
        sandbox
            .lisa(&[
                "models",
                "schedule",
                "set",
                "titan-express-v1",
                schedule.to_str().expect("utf-8"),
            ])
            .ok("schedule set");
        let fired = run(Sandbox::command(
            sandbox.state.path(),
            &["fire", "titan-express-v1", action],
        ))
        .ok("scripts/sandbox fire");
        assert_eq!(fired.json()["outcome"], "done", "{}", fired.stdout);
        eventually(
            &format!("titan-express-v1 {wanted} after a scheduled {action}"),
            || model_status(&sandbox.lisa(&["models", "get", "titan-express-v1"])) == wanted,
        );
        let serving = wanted == "InService";
        eventually(
            &format!("titan-express-v1 in LiteLLM exactly while {wanted}"),
            || registered(&litellm_entries(&status), "titan-express-v1").is_some() == serving,
        );
    }

    // A hosted model: registered only once its task answers its health check.
    let mistral = sandbox
        .lisa(&["models", "create", &example("models/mistral-vllm.json")])
        .ok("models create mistral-vllm");
    assert_eq!(model_status(&mistral), "InService", "{}", mistral.stdout);
    let entry = registered(&litellm_entries(&status), "mistral-vllm").expect("registered");
    let api_base = entry["litellm_params"]["api_base"].as_str().unwrap_or("");
    assert!(api_base.ends_with("/v1"), "{entry}");
    assert!(
        sandbox.status()["hostedModelServers"]["mistral-vllm"].is_string(),
        "its task runs"
    );

    // Stopped: out of LiteLLM and its task gone; started: back.
    let stopped = sandbox
        .lisa(&[
            "models",
            "update",
            "mistral-vllm",
            &example("updates/stop.json"),
        ])
        .ok("stop");
    assert_eq!(model_status(&stopped), "Stopped", "{}", stopped.stdout);
    eventually("the stopped model leaves LiteLLM and its task ends", || {
        registered(&litellm_entries(&status), "mistral-vllm").is_none()
            && sandbox.status()["hostedModelServers"]["mistral-vllm"].is_null()
    });
    let started = sandbox
        .lisa(&[
            "models",
            "update",
            "mistral-vllm",
            &example("updates/start.json"),
        ])
        .ok("start");
    assert_eq!(model_status(&started), "InService", "{}", started.stdout);
    eventually("the started model is back in LiteLLM", || {
        registered(&litellm_entries(&status), "mistral-vllm").is_some()
    });

    // The Admin API over HTTP, with the token `up` printed.
    let mut serve = sandbox
        .lisa_ops(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lisa-ops serve starts");
    let address = listening_address(&mut serve);
    let (code, body) = get(
        &format!("http://{address}/models"),
        sandbox.var("LISA_ADMIN_TOKENS"),
    );
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(code, 200, "{body}");
    let mut listed: Vec<(String, String)> = body["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| {
            (
                m["modelId"].as_str().unwrap_or("").to_owned(),
                m["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("mistral-vllm".to_owned(), "InService".to_owned()),
            ("titan-express-v1".to_owned(), "InService".to_owned()),
        ]
    );

    // Deleted: gone from the registry and from LiteLLM.
    for model in ["titan-express-v1", "mistral-vllm"] {
        sandbox
            .lisa(&["models", "delete", model])
            .ok("models delete");
        let gone = sandbox.lisa(&["models", "get", model]);
        assert!(
            !gone.status.success(),
            "{model} still there: {}",
            gone.stdout
        );
    }
    eventually(
        "the deleted models leave LiteLLM, and the hosted one's task ends",
        || {
            litellm_entries(&status).is_empty()
                && sandbox.status()["hostedModelServers"] == serde_json::json!({})
        },
    );

    // Down: every process it started (the functions' instances too) has ended, and the
    // emulator's port is closed.
    let started = pids(&sandbox.status());
    assert!(
        started.len() >= 4,
        "moto, the agent, both functions: {started:?}"
    );
    let moto = status["moto"]["port"].as_u64().expect("moto's port");
    sandbox.down().ok("scripts/sandbox down");
    let left: Vec<u64> = started.into_iter().filter(|p| running(*p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
    assert!(TcpStream::connect(("127.0.0.1", moto as u16)).is_err());
    let after = sandbox.status();
    assert_eq!(after["running"], false, "{after:#}");
    for file in ["moto.pid", "agent.pid", "state.json"] {
        assert!(!sandbox.state.path().join(file).exists(), "{file} is left");
    }
    // Down again: nothing to do, and no error.
    sandbox.down().ok("a second down");
}

/// A schedule running the model every day (UTC) from `minutes.0` to `minutes.1` minutes from now:
/// far enough from now that no transition of it falls due during the test.
fn daily_window_from_now(minutes: (i64, i64)) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let minute_of_day = i64::try_from(now / 60 % 1440).expect("small");
    let clock = |offset: i64| {
        let m = (minute_of_day + offset).rem_euclid(1440);
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    serde_json::json!({
        "timeZone": "UTC",
        "daily": {"startTime": clock(minutes.0), "stopTime": clock(minutes.1)},
    })
    .to_string()
}

/// Waits (boundedly) until `done`: moto completes a stack update or delete without waiting for
/// its custom resource's answer (scripts/moto-server.py), so the registration may follow the
/// status a moment later, where CloudFormation would have waited for it.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads `lisa-ops serve`'s standard error to the line naming its address.
fn listening_address(server: &mut Child) -> String {
    let stderr = server.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split(" on http://").nth(1) {
                let _ = sender.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("lisa-ops serve says where it listens")
}
