//! No import cycles between the domain's modules: a type two modules share lives in a lower
//! module (e.g. `status.rs`, `payment_model.rs`, `codes.rs`), never in one of the two.
//!
//! Reads `crates/domain/src/*.rs` and takes every `crate::x` path (`use crate::x::…`,
//! `use crate::{x, …}`, `crate::x::item` in code) as an edge to the module `x`. Comments (doc
//! links included) and `#[cfg(test)]` items (a module's own unit tests) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `src` without comments and without `#[cfg(test)]` items.
fn production_code(src: &str) -> String {
    let without_comments: String = src
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = String::new();
    let mut rest = without_comments.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let semi = item.find(';');
        let brace = item.find('{');
        let end = match (semi, brace) {
            (Some(s), Some(b)) if s < b => s + 1,
            (Some(s), None) => s + 1,
            (_, Some(b)) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (i, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The modules `code` names through `crate::`.
fn referenced_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a::X, b}`: the first segment of each entry (nesting is not used here).
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for entry in group.split(',') {
                let name = ident(entry.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(after);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The `crate::` graph of the domain's top-level modules.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("crates/domain/src") {
        let path = entry.expect("a directory entry").path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            let text = std::fs::read_to_string(&path).expect("a source file");
            sources.insert(name.to_owned(), text);
        }
    }
    sources
        .iter()
        .map(|(name, text)| {
            let deps = referenced_modules(&production_code(text))
                .into_iter()
                .filter(|m| m != name && sources.contains_key(m))
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

/// One cycle of `graph`, as the path that closes it, if there is any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn the_domain_modules_import_each_other_without_a_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 10, "read the modules: {graph:?}");
    assert!(graph["booking"].contains("error"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle between domain modules: {} — move what they share to a lower module",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_parser_sees_every_kind_of_reference_and_ignores_tests_and_comments() {
    let code = production_code(
        "use crate::a::X;\nuse crate::{b::Y, c};\nfn f() { crate::d::g(); }\n\
         /// see [`crate::e::Z`]\n#[cfg(test)]\nmod tests { use crate::f::W; }\n\
         #[cfg(test)]\nuse crate::g;\nfn h() { crate::i::j() }\n",
    );
    let found: Vec<String> = referenced_modules(&code).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "d", "i"]);
    let cyclic: BTreeMap<String, BTreeSet<String>> = [
        ("x", vec!["y"]),
        ("y", vec!["z"]),
        ("z", vec!["x"]),
        ("w", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(find_cycle(&cyclic).unwrap(), ["x", "y", "z", "x"]);
}
