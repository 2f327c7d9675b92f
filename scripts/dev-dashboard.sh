#!/usr/bin/env bash
# Dashboard development: `trunk serve` with the project's own tools (wasm-bindgen 0.2.130,
# npm binaryen's wasm-opt, offline), rebuilding and reloading on every change, and /api
# proxied to a sextant server on port 5000 (Trunk.toml's [[proxy]]). Starts that server
# over STORE (default sqlite://./experiments) unless one already answers there.
#   bash scripts/dev-dashboard.sh            # then open http://127.0.0.1:8080/
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/dashboard-lib.sh"
cd "$ROOT"
ensure_dashboard_tools
STORE="${STORE:-sqlite://./experiments}"
# trunk refuses to start when a [watch] ignore path is missing.
mkdir -p target dist www/node_modules

say "fetching crates (trunk builds offline)"
cargo fetch
if ! curl -fsS http://127.0.0.1:5000/api/health >/dev/null 2>&1; then
  say "starting sextant serve on 127.0.0.1:5000 over $STORE"
  cargo build -q -p sextant --bin sextant
  target/debug/sextant --store "$STORE" serve --port 5000 &
  server=$!
  trap 'kill $server 2>/dev/null' EXIT
  for _ in $(seq 1 100); do
    curl -fsS http://127.0.0.1:5000/api/health >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
say "trunk serve on http://127.0.0.1:8080/ (Ctrl-C stops)"
trunk serve --address 127.0.0.1 --port 8080
