//! Embeds the repository's prompt library (`prompts/<tool>/*.md`) as the
//! starter library that `dockhand init --starter` copies into a new project.
//! The list is generated here, so whatever is under prompts/ at build time
//! (new versions included) is what the binary carries.

#![allow(clippy::print_stdout)] // cargo reads a build script's stdout

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// The schema compiler, shared with the library (src/validate/schema/).
#[path = "src/validate/schema/compile.rs"]
mod compile;
#[allow(dead_code)]
#[path = "src/validate/schema/layout.rs"]
mod layout;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

/// Compile `schemas/v1.NN.json.gz` (oldest first) into one blob that the
/// library reads in place: `OUT_DIR/schemas.bin`, and `OUT_DIR/schemas.rs`
/// with the version list (`SHIPPED`) and the blob (`BLOB`).
fn schemas(manifest: &Path, out_dir: &Path) {
    use std::io::Read as _;
    println!("cargo::rerun-if-changed=schemas");
    println!("cargo::rerun-if-changed=src/validate/schema/compile.rs");
    println!("cargo::rerun-if-changed=src/validate/schema/layout.rs");
    let mut versions: Vec<(u32, String, PathBuf)> = std::fs::read_dir(manifest.join("schemas"))
        .expect("schemas/ is readable")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix('v')?.strip_suffix(".json.gz")?.to_owned();
            let minor = version.strip_prefix("1.")?.parse().ok()?;
            Some((minor, version, e.path()))
        })
        .collect();
    versions.sort();
    let mut writer = compile::Writer::default();
    for (_, version, path) in &versions {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).expect("schema file opens"))
            .read_to_end(&mut json)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: serde_json::Value =
            serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writer
            .add_version(version, &doc)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let blob = out_dir.join("schemas.bin");
    std::fs::write(&blob, writer.finish()).expect("OUT_DIR is writable");
    let list: Vec<String> = versions.iter().map(|(_, v, _)| format!("{v:?}")).collect();
    let code = format!(
        "/// Kubernetes minor versions with embedded schemas, oldest first.\n\
         const SHIPPED: &[&str] = &[{}];\n\
         /// The compiled schemas of every shipped version (see layout.rs).\n\
         static BLOB: &[u8] = include_bytes!({:?});\n",
        list.join(", "),
        blob.display()
    );
    std::fs::write(out_dir.join("schemas.rs"), code).expect("OUT_DIR is writable");
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let prompts = manifest.join("prompts");
    println!("cargo::rerun-if-changed=prompts");
    println!("cargo::rerun-if-changed=dockhand.toml");
    let mut files = Vec::new();
    walk(&prompts, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The starter library: (path relative to the project root, text), sorted by path.\n\
         pub(crate) const STARTER: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&manifest).expect("under the manifest dir");
        let rel = rel
            .iter()
            .map(|c| c.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display()).expect("string");
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// This repository's dockhand.toml (its `[vars]` fill the starter prompts).\n\
         pub(crate) const REPO_CONFIG: &str = include_str!({:?});",
        manifest.join("dockhand.toml").display()
    )
    .expect("string");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out_dir.join("starter.rs"), code).expect("OUT_DIR is writable");
    schemas(&manifest, &out_dir);
}
