#!/usr/bin/env bash
# Builds the npm package (www/) and runs every web test: the stores' native tests, the
# wasm tests in headless Chromium (conformance for idb://, localstorage://, memory://;
# localStorage running full; the IndexedDB upgrade path; IndexedDB chart queries equal to
# downsample over the points; the JS tracker's flush queue),
# the Node SQLite store's conformance under Node (sextant-node), and the package's Node
# tests (npm pack + install, Node API, sqlite:// stores read by the native CLI and luml-sdk,
# export, the TypeScript types, tracing through the real OpenTelemetry SDK) and Playwright
# tests (IndexedDB across reloads and tabs, tracing, examples).
# Installs what it needs first, skipping whatever is already there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

WASM_BINDGEN_VERSION=0.2.130
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# The runner's default (20 s for a whole test binary) is tight on a loaded 2-core machine.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

ensure_rust
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes, once)"
  # Without --locked: its lock file pins a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
missing=()
[ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ] || missing+=(chromium chromium-driver)
# The snapshot module compiles SQLite's C for wasm32 (sqlite-wasm-rs), which needs clang.
command -v clang >/dev/null || missing+=(clang)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update
  $SUDO apt-get install -y "${missing[@]}"
fi
command -v node >/dev/null || { echo "node (20 or later) not found" >&2; exit 1; }
if [ ! -f www/node_modules/.package-lock.json ] || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
  say "installing the package's dev dependencies (binaryen, playwright-core, typescript, OpenTelemetry)"
  npm --prefix www ci --no-audit --no-fund
fi

say "web stores, native half (key/value and file stores, snapshots)"
cargo test -p sextant-web -p sextant-snapshot-wasm
say "wasm tests in headless Chromium"
cargo test -p sextant-web --target wasm32-unknown-unknown
say "the SQLite store in wasm over Node's fs: conformance under Node"
cargo test -p sextant-node --target wasm32-unknown-unknown
say "clippy for wasm32"
cargo clippy -p sextant-web -p sextant-snapshot-wasm -p sextant-node --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p sextant-web --features node-sqlite --target wasm32-unknown-unknown -- -D warnings
say "the native CLI, which reads the stores the Node tests write"
cargo build -p sextant
export SEXTANT_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sextant"
# luml-sdk reads a Node-written store: the Python tests' venv (made once, then reused).
source scripts/python-venv.sh
ensure_python_venv
export SEXTANT_LUML_PYTHON="$PY_VENV/bin/python"
say "building the npm package"
npm --prefix www run build
say "Node and Playwright tests of the packed package"
npm --prefix www test
say "all web tests passed"
