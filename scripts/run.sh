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
say "logging a demo run into sqlite://./experiments"
id=$("$SEXTANT" demo)
echo "demo run: $id"
"$SEXTANT" ls
say "serving the dashboard"
exec "$SEXTANT" ui --port "${SEXTANT_PORT:-5000}"
