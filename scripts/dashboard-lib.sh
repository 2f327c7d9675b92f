# Set-up steps for the dashboard scripts (sourced after lib.sh). Each checks first and
# installs only what is missing, by name from crates.io, npm or Debian (nothing else is
# reachable from CI): wasm-bindgen 0.2.130 (= the workspace pin), trunk 0.21.14, wasm-opt
# from npm binaryen@132 (= Trunk.toml), clang for SQLite in wasm, Chromium for tests.

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
DASHBOARD_TOOLS="$ROOT/crates/sextant-dashboard/tools"

ensure_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lock file pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
    say "installing trunk $TRUNK_VERSION (about ten minutes, once)"
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
}

ensure_wasm_opt() {
  command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ first" >&2; exit 1; }
  if ! "$DASHBOARD_TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
    say "installing wasm-opt (npm binaryen@132)"
    npm install --prefix "$DASHBOARD_TOOLS" --no-audit --no-fund
  fi
  # Trunk runs the wasm-opt it finds on PATH and checks its version against Trunk.toml.
  export PATH="$DASHBOARD_TOOLS/node_modules/.bin:$PATH"
}

ensure_clang() {
  # The snapshot reader compiles SQLite to wasm (sqlite-wasm-rs), which needs clang.
  if ! command -v clang >/dev/null; then
    say "installing clang (for SQLite in wasm)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y clang; else sudo apt-get install -y clang; fi
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium (end-to-end tests)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y chromium chromium-driver; else sudo apt-get install -y chromium chromium-driver; fi
  fi
}

ensure_e2e_node_modules() {
  if [ ! -d "$ROOT/tests/e2e/node_modules/playwright-core" ]; then
    say "installing playwright-core (npm)"
    npm install --prefix "$ROOT/tests/e2e" --no-audit --no-fund
  fi
}

ensure_dashboard_tools() {
  ensure_rust
  ensure_wasm_bindgen
  ensure_trunk
  ensure_wasm_opt
  ensure_clang
}

# Prints the built dashboard's file sizes, raw and gzipped.
dashboard_sizes() {
  local f
  for f in "$ROOT"/dist/*.wasm "$ROOT"/dist/*.js; do
    [ -e "$f" ] || continue
    printf '  %-48s %9d bytes  %9d gzip\n' "$(basename "$f")" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
  done
}
