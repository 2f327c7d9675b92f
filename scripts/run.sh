#!/usr/bin/env bash
# The main job: build, log a demo run into the default store (./experiments), show it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust
say "building sextant"
cargo build --release -p sextant
SEXTANT="$ROOT/target/release/sextant"
say "logging a demo run into sqlite://./experiments"
id=$("$SEXTANT" demo)
echo "demo run: $id"
"$SEXTANT" ls
"$SEXTANT" show "$id"
