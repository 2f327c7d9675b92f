#!/usr/bin/env bash
# The search language (issue 14.1): parser and evaluator tables, the corpus agreeing across
# the memory and SQLite stores, the CLI and HTTP flags, the core on wasm32, and luml-sdk's
# own validator accepting the corpus (in the shared Python test venv, which has luml-sdk).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
say "search: parser, evaluator and corpus (core)"
cargo test -q -p sextant-core --lib search
say "search: memory and SQLite stores agree; CLI and HTTP"
cargo test -q -p sextant-sqlite --test search
cargo test -q -p sextant-server --test search
cargo test -q -p sextant --test search_cli
say "search: the core still builds for wasm32"
cargo check -q -p sextant-core --target wasm32-unknown-unknown
say "search: luml-sdk 0.4.0 accepts the corpus and rejects Sextant's extensions"
source scripts/python-venv.sh
ensure_python_venv
"$PY_VENV/bin/python" scripts/luml_search_check.py
