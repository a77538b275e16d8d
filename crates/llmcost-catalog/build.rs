//! Embeds every `catalog/*.toml` file of this crate (`crates/llmcost-catalog/catalog/`,
//! which the repository's root `catalog` links to) into the crate.
//!
//! A catalog that cannot be read fails the build: a binary without prices is never built.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fail(what: &str, path: &Path, e: &dyn std::fmt::Display) -> ! {
    panic!(
        "llmcost-catalog: {what} {}: {e}\n\
         The price catalog (*.toml files, and breadth/*.toml) must be readable at build time \
         in the crate's `catalog/` folder (crates/llmcost-catalog/catalog in the repository). \
         Restore it from a full checkout (`git checkout -- crates/llmcost-catalog/catalog`), \
         or set LLMCOST_CATALOG_SRC to a folder holding the catalog files.",
        path.display()
    )
}

/// The `*.toml` files directly in `dir`; an unreadable folder fails the build.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| fail("cannot read", dir, &e));
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| fail("cannot list", dir, &e))
            .path();
        if path.extension().is_some_and(|x| x == "toml") {
            files.push(path);
        }
    }
    files
}

fn main() {
    println!("cargo:rerun-if-env-changed=LLMCOST_CATALOG_SRC");
    let dir = match std::env::var_os("LLMCOST_CATALOG_SRC") {
        Some(d) => PathBuf::from(d),
        None => {
            let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| fail("no CARGO_MANIFEST_DIR for", Path::new("."), &"unset"));
            manifest.join("catalog")
        }
    };
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = toml_files(&dir);
    if files.is_empty() {
        fail("no *.toml price files in", &dir, &"empty folder");
    }
    files.sort();
    let mut out = String::from(
        "/// Embedded catalog files: (file name, contents).\npub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| fail("a file name that is not UTF-8:", f, &"rename it"));
        let abs = f
            .canonicalize()
            .unwrap_or_else(|e| fail("cannot resolve", f, &e));
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    // The breadth layer: generated data in catalog/breadth/.
    let bdir = dir.join("breadth");
    println!("cargo:rerun-if-changed={}", bdir.display());
    let mut bfiles = toml_files(&bdir);
    bfiles.sort_by_key(|p| {
        // genai-prices first: it wins where files name the same model.
        let n = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        (!n.starts_with("genai"), n)
    });
    out.push_str(
        "/// Embedded breadth files: (file name, contents).\npub(crate) static BREADTH: &[(&str, &str)] = &[\n",
    );
    for f in &bfiles {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| fail("a file name that is not UTF-8:", f, &"rename it"));
        let abs = f
            .canonicalize()
            .unwrap_or_else(|e| fail("cannot resolve", f, &e));
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| fail("no OUT_DIR for", Path::new("."), &"unset"));
    let dest = out_dir.join("embedded.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| fail("cannot write", &dest, &e));
}
