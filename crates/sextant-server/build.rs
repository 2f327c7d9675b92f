//! Picks the folder `rust-embed` embeds: the built dashboard (`dist/` at the workspace root,
//! or $SEXTANT_DASHBOARD_DIST), so `cargo install` gives a self-contained `sextant ui`. When
//! it has not been built, an empty folder is embedded and the server says how to build it
//! instead of serving a blank page.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=SEXTANT_DASHBOARD_DIST");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let dist = std::env::var("SEXTANT_DASHBOARD_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../../dist"));
    // New or removed files change the folder's listing; rust-embed tracks the files it saw.
    println!("cargo:rerun-if-changed={}", dist.display());
    let folder = if dist.join("index.html").is_file() {
        dist.canonicalize().unwrap_or(dist)
    } else {
        let empty = out.join("no-dashboard");
        if let Err(e) = std::fs::create_dir_all(&empty) {
            println!("cargo:warning=could not create {}: {e}", empty.display());
        }
        empty
    };
    println!("cargo:rustc-env=SEXTANT_ASSETS_DIR={}", folder.display());
}
