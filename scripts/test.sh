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
say "PostgreSQL store tests (a throwaway cluster)"
bash scripts/test-postgres.sh
say "OTLP ingest with the real Python and JS exporters"
bash scripts/test-otlp.sh
say "MLflow tracking API with the real MLflow client"
bash scripts/test-mlflow.sh
say "Python package tests"
bash scripts/test-python.sh
say "search language (and luml-sdk's own validator on its corpus)"
bash scripts/test-search.sh
say "soak: 8 processes x 25 demo runs and 2 luml-sdk writers into one new store"
SEXTANT_SOAK_RUNS=25 SEXTANT_SOAK_LUML_PYTHON="${PY_VENV:-$ROOT/target/py-venv}/bin/python" \
  cargo test -p sextant --test soak -- --nocapture
say "fuzz: the batch decoder and the snapshot importer (bounded)"
SEXTANT_FUZZ_CASES=100000 cargo test -p sextant-core -p sextant-luml --test fuzz_batch --test fuzz_snapshot -- --nocapture
say "all tests passed"
