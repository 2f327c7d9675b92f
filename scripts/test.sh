#!/usr/bin/env bash
# Runs every test Sextant has. Installs what it needs first (idempotent).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust

say "format"
cargo fmt --all -- --check
say "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
say "core builds for wasm32 (no platform code in it)"
cargo check -p sextant-core --target wasm32-unknown-unknown
say "native tests"
cargo test --workspace
say "benchmarks compile"
cargo bench --workspace --no-run
say "browser and npm package tests"
bash scripts/test-web.sh
say "dashboard tests"
bash scripts/test-dashboard.sh
bash scripts/test-postgres.sh
say "all tests passed"
