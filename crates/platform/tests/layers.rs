//! The platform's areas form layers: an area imports only from the layers below it, so no two
//! areas import each other and none imports upward (ARCHITECTURE.md, "The platform's areas").
//! The compiler allows any `crate::` path inside one crate; this test reads the sources and
//! refuses the ones that break the order, naming the file, the line and the area imported.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// From the bottom up. An area may use the areas of the layers before its own.
const LAYERS: &[&[&str]] = &[
    // Tables, and services that use no other area.
    &[
        "entities",
        "migrations",
        "tls",
        "geolocation",
        "health",
        "ratelimit",
        "telemetry",
    ],
    &["audit"],
    // The queue, then what runs on it.
    &["jobs"],
    &["email", "idempotency"],
    // Accounts and the guards every route uses.
    // The content rules and the hook on user text, which the areas above call.
    &["moderation"],
    &["identity"],
    // Areas with routes of their own for signed-in users.
    &["profiles", "media", "realtime"],
    &["notifications"],
    // Operators' routes over the areas below.
    &["admin", "analytics"],
    // The error log and the metrics, which read every area below.
    &["observability"],
];

/// The wiring every area may use: the state handed to handlers, the module contract and the
/// crate root that lists the areas.
const WIRING: &[&str] = &["state", "module", "lib"];

fn layer_of(area: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&area))
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The area a file of `src/` belongs to: its folder, or its own name for a single file.
fn area_of(relative: &Path) -> String {
    let first = relative
        .components()
        .next()
        .expect("a path under src")
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn every_area_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let area = area_of(relative);
        if WIRING.contains(&area.as_str()) {
            continue;
        }
        let Some(own) = layer_of(&area) else {
            broken.push(format!(
                "{}: the area `{area}` is in no layer of this test",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (number, line) in text.lines().enumerate() {
            // Code only: a doc comment may name any area.
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let used: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if used.is_empty() || used == area || WIRING.contains(&used.as_str()) {
                    continue;
                }
                match layer_of(&used) {
                    Some(theirs) if theirs < own => {}
                    _ => broken.push(format!(
                        "{}:{}: `{area}` imports `{used}`, which is not below it",
                        relative.display(),
                        number + 1
                    )),
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layers:\n{}",
        broken.join("\n")
    );
}
