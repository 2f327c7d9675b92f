//! luml-sdk 0.4's on-disk formats, written once for every Sextant build that needs them:
//! the native SQLite store (`sextant-sqlite`) and the browser's snapshot module
//! (`sextant-snapshot-wasm`) compile this same code, so a snapshot exported in a browser
//! and one exported by `sextant export` are the same bytes. The layout itself is described
//! in `docs/store-layout.md`.

pub mod evals;
pub mod expdb;
pub mod schema;
pub mod snapshot;
pub mod sql;
pub mod time;
