#!/usr/bin/env bash
# Builds the dashboard into dist/ with `trunk build --release`. `sextant ui` (the
# sextant-server crate) embeds dist/ when it is compiled, so build this first, then
# `cargo build --release -p sextant`. Installs its tools first, each only when missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/dashboard-lib.sh"
cd "$ROOT"
ensure_dashboard_tools

say "fetching crates (trunk builds offline)"
cargo fetch
# Trunk copies the example training page (www/examples) and the npm package it imports
# (www/src, www/pkg) into dist/, so a run logged there shows in the dashboard on the same
# origin. Build the package's wasm once if it is missing.
mkdir -p www/examples
if [ -f www/package.json ] && [ ! -f www/pkg/sextant_web_bg.wasm ]; then
  say "building the npm package's wasm (www/pkg) for the example page"
  npm --prefix www install --no-audit --no-fund
  npm --prefix www run build
fi

say "trunk build --release"
trunk build --release

say "dashboard built into dist/"
dashboard_sizes
