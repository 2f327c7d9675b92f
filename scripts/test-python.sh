#!/usr/bin/env bash
# The Python package's tests: a venv with maturin, pytest, numpy, luml-sdk 0.4.0 and
# opentelemetry-sdk from PyPI (rebuilt only when the requirements file changes), the
# package built into it by `maturin develop` (dev profile, shares target/ with cargo),
# the `sextant` binary for http:// tests, then pytest.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
source scripts/python-venv.sh
ensure_python_venv

say "python: build the sextant package (maturin develop)"
(cd crates/sextant-python && maturin develop --quiet)
say "python: the sextant binary (http:// tests)"
cargo build -q -p sextant --bin sextant
export SEXTANT_BIN="$ROOT/target/debug/sextant"
say "python: pytest"
python -m pytest -q crates/sextant-python/tests "$@"
