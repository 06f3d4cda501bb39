//! The layer map of ARCHITECTURE.md, checked: each top-level module of `src/` may use only the
//! modules of the layers below its own (never one beside it, never one above), and every
//! source file is named in ARCHITECTURE.md.

use std::path::{Path, PathBuf};

/// The layers, bottom first; the same table as ARCHITECTURE.md's map.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["seeded"],
    &["geo", "layout", "parallel", "backend"],
    &["format", "export"],
    &["encoder", "bank"],
    &["attention"],
    &["probe"],
    &["model"],
    &["convert"],
    &["wasm"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The `crate::NAME` paths that `source` (a file of top-level module `module`) uses outside
/// comments, each that is not below `module`'s layer, as `line: text`.
fn upward_uses(module: &str, source: &str) -> Vec<String> {
    let Some(own) = layer_of(module) else {
        return vec![format!("module {module} is in no layer of the map")];
    };
    let mut bad = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // `crate::{A, B}` and `crate::Type` name lib.rs's re-exports, which hide the module they
            // come from: only the browser binding, at the top, uses them.
            if name.is_empty() || name.starts_with(char::is_uppercase) {
                if (rest.starts_with('{') || name.starts_with(char::is_uppercase)) && module != "wasm" {
                    bad.push(format!("{}: {} (name the module, not a re-export)", n + 1, line.trim()));
                }
                continue;
            }
            if name == module {
                continue;
            }
            match layer_of(&name) {
                Some(l) if l < own => {}
                _ => bad.push(format!("{}: {}", n + 1, line.trim())),
            }
        }
    }
    bad
}

#[test]
fn no_module_uses_one_beside_or_above_its_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for path in sources(&src) {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "bin" {
            continue; // the crate's root re-exports every layer; the CLI is a crate of its own
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for v in upward_uses(&module, &text) {
            bad.push(format!("src/{}:{v}", rel.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "imports outside the layer map (ARCHITECTURE.md):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_catches_an_upward_import() {
    // A bank file that reached up into attention, or sideways into the encoder.
    assert_eq!(upward_uses("bank", "use crate::attention::cpu::Head;").len(), 1);
    assert_eq!(
        upward_uses("bank", "    let x = crate::encoder::weights::bias_name(n);").len(),
        1
    );
    assert_eq!(upward_uses("format", "use crate::Model;").len(), 1);
    // Downward, own-module and commented uses pass.
    assert!(
        upward_uses(
            "attention",
            "use crate::bank::BankView; use crate::attention::HeadSpec;"
        )
        .is_empty()
    );
    assert!(upward_uses("bank", "/// See [`crate::model::Model`].").is_empty());
    assert!(upward_uses("wasm", "use crate::{Backend, Model};").is_empty());
}

#[test]
fn every_source_file_is_on_the_architecture_map() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let src = root.join("src");
    let missing: Vec<String> = sources(&src)
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .filter(|p| !map.contains(p.as_str()))
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md does not name: {missing:?}");
}
