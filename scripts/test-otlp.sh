#!/usr/bin/env bash
# OTLP/HTTP traces on `sextant serve`, tested with the real OpenTelemetry Python SDK and
# exporter (in target/otlp-venv, keyed by scripts/otlp/requirements.txt) against a server
# over a temp sqlite:// store. `--bench N` instead measures spans/s over N exports of 100
# (SEXTANT_BIN picks the binary, e.g. target/release/sextant, for a meaningful figure).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust

VENV="$ROOT/target/otlp-venv"
REQ="$ROOT/scripts/otlp/requirements.txt"
ensure_venv "$VENV" "$REQ"

NODE_DIR="$ROOT/tests/otlp-node"
node_want="$(sha256sum "$NODE_DIR/package-lock.json" | cut -c1-16)"
if [ "$(cat "$NODE_DIR/node_modules/.lock-hash" 2>/dev/null)" != "$node_want" ]; then
  say "otlp: npm ci (JS exporters)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$node_want" > "$NODE_DIR/node_modules/.lock-hash"
fi

BIN="${SEXTANT_BIN:-$ROOT/target/debug/sextant}"
if [ -z "${SEXTANT_BIN:-}" ]; then
  say "otlp: building sextant"
  cargo build -q -p sextant --bin sextant
fi

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

TOKEN="otlp-test-token"
"$BIN" --store "sqlite://$TMP/store" serve --port 0 --max-body-mib 1 \
  --token "$TOKEN" 2>"$TMP/serve.log" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.log" | head -1 || true)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "sextant serve did not start"; cat "$TMP/serve.log"; exit 1; }

say "otlp: Python exporter -> $URL/v1/traces"
if [ "${1:-}" = "--bench" ]; then
  "$VENV/bin/python" scripts/otlp/test_otlp.py "$URL" "$TOKEN" --bench "${2:-100}"
else
  OTLP_TRACE_FILE="$TMP/trace-id" "$VENV/bin/python" scripts/otlp/test_otlp.py "$URL" "$TOKEN" $((1 << 20))
  say "otlp: JS exporters (protobuf and JSON) -> $URL/v1/traces"
  timeout 120 node "$NODE_DIR/test.mjs" "$URL" "$TOKEN"
  say "otlp: the trace as the CLI shows it"
  "$BIN" --store "sqlite://$TMP/store" trace otlp-trainer "$(cat "$TMP/trace-id")" 2>&1 | tee "$TMP/trace.txt"
  grep -q "llm-call" "$TMP/trace.txt" && grep -q "root-svc" "$TMP/trace.txt"
fi
kill -0 "$SERVER_PID" || { echo "server died"; cat "$TMP/serve.log"; exit 1; }
say "otlp: all passed"
