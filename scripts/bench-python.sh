#!/usr/bin/env bash
# Python benchmark (not run in CI): Sextant's package, built --release, against luml-sdk
# 0.4.0 in the same run. Uses its own venv (target/py-bench-venv) so the test venv keeps
# its dev build. Extra arguments go to bench.py (--points, --array-points, --json).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PY_VENV="$ROOT/target/py-bench-venv"
PY_REQ="$ROOT/crates/sextant-python/bench/requirements-bench.txt"
source scripts/python-venv.sh
ensure_python_venv
say "python bench: build sextant --release into $PY_VENV"
(cd crates/sextant-python && maturin develop --release --quiet)
say "python bench"
python crates/sextant-python/bench/bench.py "$@"
