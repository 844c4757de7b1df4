//! No import cycles between the files of any crate in the workspace: a module that uses another
//! is never used back by it, directly or through others, so each file can be read after the
//! files it uses. The test builds each crate's module tree from its `mod` declarations, reads
//! every `use` and every inline `crate::`/`super::` path outside test modules, follows a name
//! re-exported by a module (`pub use child::Name`) to the file that defines it, and fails naming
//! each ring of files it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One module of a crate's tree.
struct Module {
    file: PathBuf,
    parent: Option<usize>,
    children: BTreeMap<String, usize>,
    /// The file's text without comments and without its test module.
    code: String,
}

/// A crate's module tree, from one root file.
struct Tree {
    modules: Vec<Module>,
}

impl Tree {
    fn read(root: &Path) -> Tree {
        let mut tree = Tree {
            modules: Vec::new(),
        };
        tree.add(root.to_path_buf(), None, true);
        tree
    }

    fn add(&mut self, file: PathBuf, parent: Option<usize>, owns_dir: bool) -> usize {
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code = without_tests(&without_comments(&text));
        let index = self.modules.len();
        self.modules.push(Module {
            file: file.clone(),
            parent,
            children: BTreeMap::new(),
            code: code.clone(),
        });
        // A root or a `mod.rs` keeps its children beside it; `x.rs` keeps them in `x/`.
        let dir = if owns_dir {
            file.parent().expect("a file has a folder").to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in declared_modules(&code) {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            let (child_file, child_owns_dir) = if flat.is_file() {
                (flat, false)
            } else if nested.is_file() {
                (nested, true)
            } else {
                continue;
            };
            let child = self.add(child_file, Some(index), child_owns_dir);
            self.modules[index].children.insert(name, child);
        }
        index
    }

    /// The module and the item name `path` (as written in module `from`) reaches, or `None` for
    /// a path into another crate.
    fn resolve(&self, from: usize, path: &[String], depth: u32) -> Option<usize> {
        let (mut current, rest) = match path.first().map(String::as_str) {
            Some("crate") => (0, &path[1..]),
            Some("self") => (from, &path[1..]),
            Some("super") => {
                let mut current = from;
                let mut rest = path;
                while rest.first().map(String::as_str) == Some("super") {
                    current = self.modules[current].parent?;
                    rest = &rest[1..];
                }
                (current, rest)
            }
            Some(first) if self.modules[from].children.contains_key(first) => (from, path),
            _ => return None,
        };
        let mut rest = rest;
        while let Some(child) = rest
            .first()
            .and_then(|name| self.modules[current].children.get(name))
        {
            current = *child;
            rest = &rest[1..];
        }
        // A name the module re-exports from elsewhere is that module's.
        if let Some(name) = rest.first().filter(|_| depth < 8) {
            for (exported, source) in uses(&self.modules[current].code, Exports::Only) {
                if exported == *name
                    && let Some(target) = self.resolve(current, &source, depth + 1)
                {
                    return Some(target);
                }
            }
        }
        Some(current)
    }

    /// Each file's set of files it uses.
    fn edges(&self) -> BTreeMap<usize, BTreeSet<usize>> {
        let mut edges = BTreeMap::new();
        for (index, module) in self.modules.iter().enumerate() {
            let targets: &mut BTreeSet<usize> = edges.entry(index).or_default();
            // A re-export (`pub use`) passes a name on; it is a use only when the module's own
            // code names it too.
            let own_code = without_uses(&module.code);
            let reexports_used = uses(&module.code, Exports::Only)
                .into_iter()
                .filter(|(name, _)| names_word(&own_code, name));
            let paths = uses(&module.code, Exports::Left)
                .into_iter()
                .chain(reexports_used)
                .map(|(_, path)| path)
                .chain(inline_paths(&module.code));
            for path in paths {
                if let Some(target) = self.resolve(index, &path, 0)
                    && target != index
                {
                    targets.insert(target);
                }
            }
        }
        edges
    }
}

/// The code without its `use` statements.
fn without_uses(code: &str) -> String {
    let mut kept = String::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use ") {
        kept.push_str(&rest[..at]);
        match rest[at..].find(';') {
            Some(end) => rest = &rest[at + end + 1..],
            None => return kept,
        }
    }
    kept.push_str(rest);
    kept
}

/// Whether `name` appears in `code` as a whole word.
fn names_word(code: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        !code[..at].chars().next_back().is_some_and(is_word)
            && !code[at + name.len()..].chars().next().is_some_and(is_word)
    })
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text before a `#[cfg(test)]` test module (tests may use what they like).
fn without_tests(code: &str) -> String {
    let mut rest = code;
    let mut kept = String::new();
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = rest[at + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod tests") || after.starts_with("pub(crate) mod tests") {
            kept.push_str(&rest[..at]);
            return kept;
        }
        kept.push_str(&rest[..at + 1]);
        rest = &rest[at + 1..];
    }
    kept.push_str(rest);
    kept
}

fn declared_modules(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// Which `use` statements to read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exports {
    /// Only `pub use` (and `pub(crate) use`): the names a module passes on.
    Only,
    /// Only the others: the names a module uses itself.
    Left,
}

/// The `use` statements' paths, each with the name it brings in.
fn uses(code: &str, which: Exports) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use ") {
        let before = rest[..at].trim_end();
        let exported = before.ends_with("pub") || before.ends_with("pub(crate)");
        let Some(end) = rest[at..].find(';') else {
            break;
        };
        let statement: String = rest[at + 4..at + end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        rest = &rest[at + end + 1..];
        if exported != (which == Exports::Only) {
            continue;
        }
        expand(&statement, &mut Vec::new(), &mut found);
    }
    found
}

/// `at` where `word` starts a statement (at the start or after white space, `;`, `{` or `}`).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|at| at + from) {
        let starts = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ';' | '{' | '}' | ')'));
        if starts {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b, c::{d as e}}` as (`b`, a::b), (`e`, a::c::d).
fn expand(tree: &str, prefix: &mut Vec<String>, into: &mut Vec<(String, Vec<String>)>) {
    for part in split_top(tree) {
        if let Some(open) = part.find("::{") {
            let inner = &part[open + 3..part.len() - 1];
            let added: Vec<String> = part[..open].split("::").map(str::to_owned).collect();
            let depth = prefix.len();
            prefix.extend(added);
            expand(inner, prefix, into);
            prefix.truncate(depth);
            continue;
        }
        let (path, alias) = match part.split_once("as") {
            Some((path, alias)) if path.ends_with(|c: char| c.is_alphanumeric() || c == '_') => {
                (path, Some(alias))
            }
            _ => (part.as_str(), None),
        };
        let mut full = prefix.clone();
        full.extend(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        if full.last().map(String::as_str) == Some("self") {
            full.pop();
        }
        if full.last().map(String::as_str) == Some("*") {
            full.pop();
        }
        let name = alias.map_or_else(|| full.last().cloned().unwrap_or_default(), str::to_owned);
        into.push((name, full));
    }
}

/// The comma-separated parts of a brace group, braces kept whole.
fn split_top(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.retain(|p| !p.is_empty());
    parts
}

/// Paths written inline: `crate::a::B` and `super::a::B`.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start).map(|at| at + from) {
            from = at + start.len();
            let preceded = code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let in_use = code[..at]
                .rfind("use ")
                .is_some_and(|u| !code[u..at].contains(';'));
            if preceded || in_use {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    paths
}

/// The rings of the graph: strongly connected groups of more than one file (Tarjan).
fn rings(edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        rings: Vec<Vec<usize>>,
    }
    fn visit(state: &mut State<'_>, node: usize) {
        let number = state.index.len();
        state.index.insert(node, number);
        state.low.insert(node, number);
        state.stack.push(node);
        state.on_stack.insert(node);
        let next: Vec<usize> = state
            .edges
            .get(&node)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for target in next {
            if !state.index.contains_key(&target) {
                visit(state, target);
                let low = state.low[&node].min(state.low[&target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(&target) {
                let low = state.low[&node].min(state.index[&target]);
                state.low.insert(node, low);
            }
        }
        if state.low[&node] == state.index[&node] {
            let mut ring = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(&top);
                ring.push(top);
                if top == node {
                    break;
                }
            }
            if ring.len() > 1 {
                state.rings.push(ring);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        rings: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, *node);
        }
    }
    state.rings
}

/// Every crate root of the workspace: each member's `src/lib.rs`, `src/main.rs` and
/// `src/bin/*.rs`.
fn roots() -> Vec<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf();
    let mut roots = Vec::new();
    for entry in fs::read_dir(&workspace).expect("workspace").flatten() {
        let src = entry.path().join("src");
        if !entry.path().join("Cargo.toml").is_file() || !src.is_dir() {
            continue;
        }
        for name in ["lib.rs", "main.rs"] {
            if src.join(name).is_file() {
                roots.push(src.join(name));
            }
        }
        if let Ok(bins) = fs::read_dir(src.join("bin")) {
            roots.extend(
                bins.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "rs")),
            );
        }
    }
    roots.sort();
    roots
}

#[test]
fn no_file_of_any_crate_uses_a_file_that_uses_it_back() {
    let roots = roots();
    assert!(roots.len() >= 8, "crate roots found: {roots:?}");
    let mut found = Vec::new();
    let mut files = 0;
    for root in roots {
        let tree = Tree::read(&root);
        files += tree.modules.len();
        for ring in rings(&tree.edges()) {
            let mut names: Vec<String> = ring
                .iter()
                .map(|m| tree.modules[*m].file.display().to_string())
                .collect();
            names.sort();
            found.push(names.join(" <-> "));
        }
    }
    assert!(files > 150, "only {files} files read");
    assert!(found.is_empty(), "import rings:\n{}", found.join("\n"));
}

#[test]
fn the_reader_sees_a_ring_through_a_re_export() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        fs::write(path, text).expect("write");
    };
    write("lib.rs", "mod a;\nmod b;\npub use a::Thing;\n");
    write("a.rs", "use crate::b::Other;\npub struct Thing;\n");
    write(
        "b.rs",
        "pub struct Other;\nfn f() -> crate::Thing { crate::Thing }\n",
    );
    let tree = Tree::read(&dir.path().join("lib.rs"));
    assert_eq!(
        rings(&tree.edges()).len(),
        1,
        "a.rs and b.rs use each other"
    );
    write(
        "b.rs",
        "pub struct Other;\n#[cfg(test)]\nmod tests {\n    use crate::Thing;\n}\n",
    );
    let tree = Tree::read(&dir.path().join("lib.rs"));
    assert!(
        rings(&tree.edges()).is_empty(),
        "a test module's use is not counted"
    );
}
