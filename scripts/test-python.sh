#!/usr/bin/env bash
# The Python package's tests: a venv with maturin, pytest, numpy, luml-sdk 0.4.0 and
# opentelemetry-sdk from PyPI (rebuilt only when the requirements file changes), the
# package built into it by `maturin develop` (dev profile, shares target/ with cargo),
# the `sextant` binary for http:// tests, then pytest; last, the built wheel alone in a
# bare Python 3.10 venv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
source scripts/python-venv.sh
ensure_python_venv

say "python: build the sextant package (maturin develop)"
(cd crates/sextant-python && maturin develop --quiet)
say "python: the sextant binary (http:// tests)"
cargo build -q -p sextant --bin sextant
export SEXTANT_BIN="$ROOT/target/debug/sextant"
say "python: type-check the package and its stubs (mypy)"
python -m mypy --ignore-missing-imports crates/sextant-python/python/sextant
say "python: pytest"
python -m pytest -q crates/sextant-python/tests "$@"

# The wheel alone, in a bare venv of the oldest Python it supports (abi3, >= 3.10).
say "python: the wheel in a bare Python 3.10 venv"
rm -rf target/py-wheels
(cd crates/sextant-python && maturin build --quiet --profile dev -o "$ROOT/target/py-wheels")
"$(find_python310)" -m venv --clear target/py-wheel-venv
target/py-wheel-venv/bin/pip install -q --disable-pip-version-check --no-index target/py-wheels/sextant-*.whl
target/py-wheel-venv/bin/python crates/sextant-python/tests/smoke_wheel.py
