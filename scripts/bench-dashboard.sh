#!/usr/bin/env bash
# Dashboard benchmark (prints figures; not a pass/fail test): a 10,000,000-point metric
# (first chart paint, each zoom's re-query), 10,000 runs (table load, scroll frame times,
# sort), and the dashboard's wasm size. BENCH_STORE=sqlite runs the chart part on the
# SQLite store (as `sextant ui` does) instead of memory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/dashboard-lib.sh"
cd "$ROOT"
ensure_rust
[ -f dist/index.html ] || bash "$ROOT/scripts/build-dashboard.sh"

say "building the server (release, embeds dist/)"
cargo build --release -p sextant-dashboard --example serve
ensure_chromium
ensure_e2e_node_modules

target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
say "benchmark"
SEXTANT_SERVE_BIN="$target_dir/release/examples/serve" node tests/e2e/bench.mjs
