//! The documentation holds together: every relative link and `#anchor` in the Markdown files
//! resolves, and each generated reference page under `docs/src/reference/` is what the binaries
//! print now. `LISA_UPDATE_DOCS=1` rewrites the generated pages instead of comparing them.
//!
//! `lisa-ops`' pages are compared when its binary sits beside `lisa-synth`'s in the target
//! directory (a workspace build puts it there); a build of this crate alone cannot make it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const REFERENCE: &str = "docs/src/reference";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

fn markdown_files() -> Vec<PathBuf> {
    let root = workspace();
    let mut files: Vec<PathBuf> = ["README.md", "CHANGELOG.md", "benches/RESULTS.md"]
        .iter()
        .map(|name| root.join(name))
        .filter(|path| path.is_file())
        .collect();
    collect_markdown(&root.join("docs"), &mut files);
    files.sort();
    files
}

fn collect_markdown(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_markdown(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            into.push(path);
        }
    }
}

/// The lines outside fenced code blocks, with their line numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// GitHub's anchor for a heading: lowercase, spaces to '-', other punctuation dropped, and
/// `-1`, `-2`... after a heading that came before.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if level == 0 || level > 6 || !trimmed[level..].starts_with(' ') {
            continue;
        }
        let slug: String = trimmed[level..]
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// The targets of inline links `[text](target)` outside code.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b']' if !in_code && bytes.get(i + 1) == Some(&b'(') => {
                if let Some(end) = line[i + 2..].find(')') {
                    let target = line[i + 2..i + 2 + end].trim();
                    let target = target.split_whitespace().next().unwrap_or_default();
                    targets.push(target.to_string());
                    i += 2 + end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    targets
}

fn broken_links() -> Vec<String> {
    let root = workspace();
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = fs::read_to_string(&file).expect("a Markdown file is readable");
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (number, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let resolved = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().expect("a file has a folder").join(path)
                };
                if !resolved.exists() {
                    broken.push(format!("{shown}:{number}: {target}: no such file"));
                    continue;
                }
                let Some(anchor) = anchor else { continue };
                if resolved.extension().is_none_or(|ext| ext != "md") {
                    continue;
                }
                let heading_text =
                    fs::read_to_string(&resolved).expect("a linked page is readable");
                if !anchors(&heading_text).contains(anchor) {
                    broken.push(format!("{shown}:{number}: {target}: no such heading"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let broken = broken_links();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

fn help(binary: &Path, command: &[&str]) -> String {
    let output = Command::new(binary)
        .args(command)
        .arg("--help")
        .env("COLUMNS", "100")
        .env_remove("LISA_HEARTBEAT_SECONDS")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{} {command:?} --help failed",
        binary.display()
    );
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The subcommands a help text lists under `Commands:`, without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("      "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every command's help, depth first: (the words after the binary's name, the help).
fn command_tree(binary: &Path) -> Vec<(Vec<String>, String)> {
    let mut pages = Vec::new();
    let mut pending = vec![Vec::<String>::new()];
    while let Some(words) = pending.pop() {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let text = help(binary, &refs);
        for name in subcommands(&text).into_iter().rev() {
            let mut child = words.clone();
            child.push(name);
            pending.push(child);
        }
        pages.push((words, text));
    }
    pages
}

const GENERATED: &str = "<!-- Generated from the binary's --help by lisa-synth/tests/docs.rs; do not edit. \
     `LISA_UPDATE_DOCS=1 cargo nextest run -p lisa-synth --test docs` rewrites it. -->";

fn command_page(name: &str, binary: &Path) -> String {
    let mut page = format!("# `{name}` commands\n\n{GENERATED}\n");
    for (words, text) in command_tree(binary) {
        let full = std::iter::once(name.to_string())
            .chain(words)
            .collect::<Vec<_>>()
            .join(" ");
        page.push_str(&format!(
            "\n## `{full}`\n\n```text\n{}\n```\n",
            text.trim_end()
        ));
    }
    page
}

/// The exit-code paragraph of a binary's top-level help, from the constant it prints.
fn exit_codes(binary: &Path) -> String {
    let text = help(binary, &[]);
    let paragraph: Vec<&str> = text
        .split("\n\n")
        .filter(|paragraph| paragraph.trim_start().starts_with("Exit codes"))
        .collect();
    assert!(
        !paragraph.is_empty(),
        "{} --help names no exit codes",
        binary.display()
    );
    paragraph.join("\n\n").trim().to_string()
}

/// What a binary prints on standard output for `args`.
fn printed(binary: &Path, args: &[&str]) -> String {
    let output = Command::new(binary).args(args).output().expect("runs");
    assert!(output.status.success(), "{} {args:?}", binary.display());
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn generated_pages() -> Vec<(PathBuf, String)> {
    let synth = PathBuf::from(env!("CARGO_BIN_EXE_lisa-synth"));
    let ops = synth.with_file_name(format!("lisa-ops{}", std::env::consts::EXE_SUFFIX));
    let reference = workspace().join(REFERENCE);
    let mut pages = vec![
        (
            reference.join("lisa-synth.md"),
            command_page("lisa-synth", &synth),
        ),
        (
            reference.join("model-definition.schema.json"),
            printed(&synth, &["schema"]),
        ),
        (
            reference.join("model-update.schema.json"),
            printed(&synth, &["schema", "--update"]),
        ),
    ];
    if ops.is_file() {
        pages.push((
            reference.join("lisa-ops.md"),
            command_page("lisa-ops", &ops),
        ));
        let codes = format!(
            "# Exit codes\n\n{GENERATED}\n\nAs each command's `--help` states them.\n\n\
             ## `lisa-synth`\n\n```text\n{}\n```\n\n## `lisa-ops`\n\n```text\n{}\n```\n",
            exit_codes(&synth),
            exit_codes(&ops)
        );
        pages.push((reference.join("exit-codes.md"), codes));
    } else {
        eprintln!(
            "{} is not built: lisa-ops' reference pages are not checked",
            ops.display()
        );
    }
    pages
}

#[test]
fn generated_reference_pages_match_the_binaries() {
    let update = std::env::var_os("LISA_UPDATE_DOCS").is_some_and(|value| value == "1");
    let mut stale = Vec::new();
    for (path, expected) in generated_pages() {
        if update {
            fs::create_dir_all(path.parent().expect("a page has a folder")).expect("mkdir");
            fs::write(&path, &expected).expect("the page is written");
            continue;
        }
        let current = fs::read_to_string(&path).unwrap_or_default();
        if current != expected {
            let line = current
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| "its length".to_string(), |n| format!("line {}", n + 1));
            stale.push(format!("{}: differs at {line}", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated pages (LISA_UPDATE_DOCS=1 rewrites them):\n{}",
        stale.join("\n")
    );
}
