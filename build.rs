//! Embeds the repository's prompt library (`prompts/<tool>/*.md`) as the
//! starter library that `dockhand init --starter` copies into a new project.
//! The list is generated here, so whatever is under prompts/ at build time
//! (new versions included) is what the binary carries.

#![allow(clippy::print_stdout)] // cargo reads a build script's stdout

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("starter.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
