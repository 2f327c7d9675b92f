#!/usr/bin/env bash
# The dashboard's tests: view-logic unit tests (native), clippy for wasm32, then the
# end-to-end test in headless Chromium against a real server over the built dist/.
# Screenshots land in tests/e2e/artifacts/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/dashboard-lib.sh"
cd "$ROOT"
ensure_rust

say "dashboard unit tests (native)"
cargo test -p sextant-view -p sextant-dashboard

bash "$ROOT/scripts/build-dashboard.sh"

say "dashboard clippy (wasm32, with and without the snapshot reader)"
cargo clippy --target wasm32-unknown-unknown -p sextant-dashboard -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p sextant-dashboard --features snapshot --bins -- -D warnings

say "building the test server (embeds dist/)"
cargo build -p sextant-dashboard --example serve
ensure_chromium
ensure_e2e_node_modules

say "end-to-end test (headless Chromium)"
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
SEXTANT_SERVE_BIN="$target_dir/debug/examples/serve" node --test --test-concurrency=1 \
  tests/e2e/dashboard.test.mjs tests/e2e/views.test.mjs tests/e2e/evals.test.mjs
say "dashboard tests passed (screenshots in tests/e2e/artifacts/)"
