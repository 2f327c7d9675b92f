#!/usr/bin/env bash
# The main job: build, log a demo run into the default store (./experiments), serve the
# dashboard over it at http://127.0.0.1:5000 (Ctrl-C stops).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust

say "building the dashboard"
bash scripts/build-dashboard.sh
say "building sextant (embeds dist/)"
cargo build --release -p sextant
SEXTANT="$ROOT/target/release/sextant"
say "building the Python package (a wheel in target/wheels)"
PYBUILD="$ROOT/target/py-build-venv"
if [ ! -x "$PYBUILD/bin/maturin" ]; then
  python3 -m venv "$PYBUILD"
  "$PYBUILD/bin/pip" install -q --disable-pip-version-check "maturin>=1.7,<2"
fi
(cd crates/sextant-python && "$PYBUILD/bin/maturin" build --quiet --release -o "$ROOT/target/wheels")
echo "install it with: pip install $(ls "$ROOT"/target/wheels/sextant-*.whl | tail -1)"
say "logging a demo run into sqlite://./experiments"
id=$("$SEXTANT" demo)
echo "demo run: $id"
"$SEXTANT" ls
say "serving the dashboard"
exec "$SEXTANT" ui --port "${SEXTANT_PORT:-5000}"
