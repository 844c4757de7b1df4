//! Whole-process time and peak memory of `lisa-synth synth`, for 1 and for 1,000 definitions, and
//! of `validate` and `synth` given a 50 MB input.
//!
//! Run with `cargo bench -p lisa-synth --bench cli`. Cargo builds the package's binary in the
//! bench profile before running any bench of the package, and hands its path to this
//! program as `CARGO_BIN_EXE_lisa-synth` (`target/release/lisa-synth`); nothing is built here.
//!
//! Each scenario runs once to warm the page cache, then [`REPETITIONS`] times; the median and
//! minimum wall time and the largest peak RSS of those runs are printed. Every run's output is
//! checked, and a wrong output (a failed run, not 1,000 files, a template that is not JSON) makes
//! this program exit non-zero. The targets on a 2-core machine are printed beside the figures:
//! 1,000 models written to a directory in under 0.2 s, peak memory under 50 MB. Timing misses
//! are reported, not failed on: the machine is shared.
//!
//! Peak RSS comes from `getrusage(RUSAGE_CHILDREN)`, which only ever grows, so each run goes
//! through a fresh copy of this program (`--measure-child`) whose only child is the run.
//!
//! Without `--bench` (e.g. `cargo test --benches`) each scenario runs once, as a smoke test.

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Measured runs per scenario (after one warm-up run).
const REPETITIONS: usize = 10;
/// Definitions in the large scenario.
const MANY: usize = 1_000;
/// Size of the oversized input.
const BIG_INPUT_BYTES: usize = 50 * 1_000_000;
/// The targets.
const MANY_WALL_TARGET: Duration = Duration::from_millis(200);
const PEAK_RSS_TARGET_BYTES: u64 = 50 * 1_000_000;

const MEASURE_CHILD: &str = "--measure-child";

type Failure = String;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some(MEASURE_CHILD) {
        measure_child(&args[1..])
    } else {
        run_benchmarks(args.iter().any(|a| a == "--bench"))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("cli bench FAILED: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// One run of the binary, as measured by the `--measure-child` helper.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    peak_rss_bytes: u64,
}

/// `--measure-child STDOUT STDERR PROGRAM ARGS...`: runs PROGRAM with its standard output and
/// error sent to the two files, then prints `<wall ns> <peak RSS KiB> <exit code>`.
fn measure_child(args: &[String]) -> Result<(), Failure> {
    let [stdout, stderr, program, rest @ ..] = args else {
        return Err(format!(
            "usage: {MEASURE_CHILD} STDOUT STDERR PROGRAM ARGS..."
        ));
    };
    let create = |p: &str| File::create(p).map_err(|e| format!("cannot create {p}: {e}"));
    let (stdout, stderr) = (create(stdout)?, create(stderr)?);
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let wall = start.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_err(|e| format!("getrusage: {e}"))?;
    // Linux reports ru_maxrss in KiB.
    println!(
        "{} {} {}",
        wall.as_nanos(),
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
    Ok(())
}

/// Runs `lisa-synth ARGS` through a fresh helper process; returns the measurement and the run's
/// standard output. A non-zero exit of lisa-synth is a failure.
fn measured_run(work: &Path, args: &[String]) -> Result<(Run, String), Failure> {
    measured_run_expecting(work, args, 0)
}

/// [`measured_run`], with the exit code the run must end with.
fn measured_run_expecting(
    work: &Path,
    args: &[String],
    expected_code: i32,
) -> Result<(Run, String), Failure> {
    let stdout_path = work.join("run.stdout");
    let stderr_path = work.join("run.stderr");
    let helper = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let output = Command::new(helper)
        .arg(MEASURE_CHILD)
        .arg(&stdout_path)
        .arg(&stderr_path)
        .arg(binary())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the measuring helper: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout);
    let parsed = || -> Option<(u64, u64, i32)> {
        let mut fields = report.split_whitespace();
        let wall_ns = fields.next()?.parse().ok()?;
        let rss_kib = fields.next()?.parse().ok()?;
        let code = fields.next()?.parse().ok()?;
        Some((wall_ns, rss_kib, code))
    };
    let Some((wall_ns, rss_kib, code)) = parsed() else {
        return Err(format!(
            "measuring helper failed ({}): {report}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    };
    let stdout = std::fs::read_to_string(&stdout_path)
        .map_err(|e| format!("cannot read {}: {e}", stdout_path.display()))?;
    if code != expected_code {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        return Err(format!(
            "`lisa-synth {}` exited with {code}, not {expected_code}:\n{stderr}",
            args.join(" ")
        ));
    }
    let run = Run {
        wall: Duration::from_nanos(wall_ns),
        peak_rss_bytes: rss_kib.saturating_mul(1024),
    };
    Ok((run, stdout))
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_lisa-synth")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

fn seed_path() -> PathBuf {
    workspace().join("examples/models/mistral-vllm.json")
}

/// Checks one template as printed or written: JSON with resources.
fn check_template(text: &str, what: &str) -> Result<(), Failure> {
    let template: Value =
        serde_json::from_str(text).map_err(|e| format!("{what} is not JSON: {e}"))?;
    match template.get("Resources").and_then(Value::as_object) {
        Some(resources) if !resources.is_empty() => Ok(()),
        _ => Err(format!("{what} has no Resources")),
    }
}

/// Writes `count` variations of the seed example (distinct modelIds) into `dir`; returns the
/// modelIds.
fn write_definitions(dir: &Path, count: usize) -> Result<Vec<String>, Failure> {
    let seed_text = std::fs::read_to_string(seed_path())
        .map_err(|e| format!("cannot read the seed example: {e}"))?;
    let seed: Value = serde_json::from_str(&seed_text).map_err(|e| format!("seed example: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let id = format!("mistral-vllm-{i:04}");
        let mut definition = seed.clone();
        definition["modelId"] = Value::String(id.clone());
        let text = serde_json::to_string_pretty(&definition).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{id}.json"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        ids.push(id);
    }
    Ok(ids)
}

/// Writes the seed example with enough environment variables to make `bytes` of JSON.
fn write_big_definition(path: &Path, bytes: usize) -> Result<(), Failure> {
    let seed_text = std::fs::read_to_string(seed_path())
        .map_err(|e| format!("cannot read the seed example: {e}"))?;
    let mut seed: Value =
        serde_json::from_str(&seed_text).map_err(|e| format!("seed example: {e}"))?;
    let value = "x".repeat(60);
    let per_variable = 60 + 20;
    let environment: serde_json::Map<String, Value> = (0..bytes / per_variable)
        .map(|i| (format!("VAR_{i:07}"), Value::String(value.clone())))
        .collect();
    seed["containerConfig"]["environment"] = Value::Object(environment);
    let text = serde_json::to_string(&seed).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Checks an --out directory: exactly one template per modelId, each a template.
fn check_out_dir(dir: &Path, ids: &[String]) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .count();
    if entries != ids.len() {
        return Err(format!(
            "{} holds {entries} files, expected {}",
            dir.display(),
            ids.len()
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        let path = dir.join(format!("lisa-{id}.template.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("missing or unreadable {}: {e}", path.display()))?;
        // Parsing every file would dominate the bench; the first, the last and every 97th.
        if i == 0 || i + 1 == ids.len() || i % 97 == 0 {
            check_template(&text, &path.display().to_string())?;
        } else if !text.starts_with('{') || !text.contains(&format!("\"LISA model {id} ")) {
            return Err(format!("{} is not this model's template", path.display()));
        }
    }
    Ok(())
}

/// The figures of one scenario.
#[derive(Debug)]
struct Summary {
    median: Duration,
    min: Duration,
    peak_rss_bytes: u64,
}

fn summarize(runs: &[Run]) -> Summary {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    walls.sort();
    let median = if walls.is_empty() {
        Duration::ZERO
    } else if walls.len() % 2 == 1 {
        walls[walls.len() / 2]
    } else {
        (walls[walls.len() / 2 - 1] + walls[walls.len() / 2]) / 2
    };
    Summary {
        median,
        min: walls.first().copied().unwrap_or_default(),
        peak_rss_bytes: runs.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mb(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1e6;
    format!("{mb:.1} MB")
}

fn run_benchmarks(bench_mode: bool) -> Result<(), Failure> {
    let (warm_ups, repetitions) = if bench_mode { (1, REPETITIONS) } else { (0, 1) };
    let temp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let work = temp.path();
    println!("lisa-synth synth, whole process: {}", binary());
    println!(
        "{} measured run(s) per scenario after {warm_ups} warm-up run(s){}",
        repetitions,
        if bench_mode {
            ""
        } else {
            " (smoke test: pass --bench, as `cargo bench` does, to measure)"
        }
    );

    // One definition, template to standard output.
    let seed = seed_path().display().to_string();
    let one_args = vec!["synth".to_owned(), seed];
    let mut one_runs = Vec::new();
    for i in 0..warm_ups + repetitions {
        let (run, stdout) = measured_run(work, &one_args)?;
        check_template(&stdout, "the standard output of `synth mistral-vllm.json`")?;
        if i >= warm_ups {
            one_runs.push(run);
        }
    }

    // 1,000 definitions into a fresh --out directory each run. The directories are only removed
    // at the end: on ext4, creating files right after deleting thousands of others spends most
    // of its time looking for inodes that were not recently freed, which would time the file
    // system rather than lisa-synth (run the bench twice in quick succession and it shows).
    let definitions = work.join("definitions");
    let ids = write_definitions(&definitions, MANY)?;
    let mut many_runs = Vec::new();
    for i in 0..warm_ups + repetitions {
        let out = work.join(format!("out-{i}"));
        let args = vec![
            "synth".to_owned(),
            definitions.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        let (run, _) = measured_run(work, &args)?;
        check_out_dir(&out, &ids)?;
        if i >= warm_ups {
            many_runs.push(run);
        }
    }

    // A 50 MB input (the seed with a huge environment): refused (exit 1) by validate and synth
    // alike, since no payload is over 6 MiB; what matters is the memory it takes to say so.
    let big = work.join("big.json");
    write_big_definition(&big, BIG_INPUT_BYTES)?;
    let mut big_runs: Vec<(String, Vec<Run>)> = Vec::new();
    for command in ["validate", "synth"] {
        let args = vec![command.to_owned(), big.display().to_string()];
        let mut runs = Vec::new();
        for i in 0..warm_ups + repetitions {
            let (run, stdout) = measured_run_expecting(work, &args, 1)?;
            if !stdout.is_empty() {
                return Err(format!("`{command}` of a refused input printed a product"));
            }
            if i >= warm_ups {
                runs.push(run);
            }
        }
        big_runs.push((format!("{command} of a 50 MB input"), runs));
    }

    let one = summarize(&one_runs);
    let many = summarize(&many_runs);
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "scenario", "median", "min", "peak RSS"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        "1 definition -> stdout",
        ms(one.median),
        ms(one.min),
        mb(one.peak_rss_bytes)
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10}",
        format!("{MANY} definitions -> --out DIR"),
        ms(many.median),
        ms(many.min),
        mb(many.peak_rss_bytes)
    );
    for (name, runs) in &big_runs {
        let summary = summarize(runs);
        println!(
            "{:<34} {:>10} {:>10} {:>10}",
            name,
            ms(summary.median),
            ms(summary.min),
            mb(summary.peak_rss_bytes)
        );
    }
    #[allow(clippy::cast_possible_truncation)]
    let per_model = many.median / MANY as u32;
    println!(
        "{MANY} definitions: {:.0} µs per model (median run / {MANY})",
        per_model.as_secs_f64() * 1e6
    );
    println!(
        "target: {MANY} models in under {} s: {}",
        MANY_WALL_TARGET.as_secs_f64(),
        verdict(many.median < MANY_WALL_TARGET)
    );
    let peak = one.peak_rss_bytes.max(many.peak_rss_bytes);
    println!(
        "target: peak memory under {}: {}",
        mb(PEAK_RSS_TARGET_BYTES),
        verdict(peak < PEAK_RSS_TARGET_BYTES)
    );
    Ok(())
}
