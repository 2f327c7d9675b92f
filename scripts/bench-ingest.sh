#!/usr/bin/env bash
# Ingest load (not run in CI): 8 concurrent clients logging 10,000-point batches for a
# fixed time into one `sextant serve` over a fresh SQLite store, once per wire encoding
# (JSON, the binary batch, the binary batch gzip-compressed), then the same batches
# written straight into a SQLite store in-process (the limit). One line per run in
# target/bench-ingest.txt. SEXTANT_INGEST_SECONDS / _CLIENTS / _BATCH change the load.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SECONDS_EACH="${SEXTANT_INGEST_SECONDS:-10}"
CLIENTS="${SEXTANT_INGEST_CLIENTS:-8}"
BATCH="${SEXTANT_INGEST_BATCH:-10000}"
OUT="$TARGET/bench-ingest.txt"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say "building sextant and the load client (release)"
cargo build --release -p sextant --bin sextant
cargo build --release -p sextant-server --example ingest_load
SEXTANT="$TARGET/release/sextant"
LOAD="$TARGET/release/examples/ingest_load"
: >"$OUT"

for enc in json binary gzip; do
  say "ingest over HTTP, $enc: $CLIENTS clients x $BATCH-point batches for ${SECONDS_EACH}s"
  mkdir -p "$WORK/$enc"
  "$SEXTANT" --store "sqlite://$WORK/$enc" serve --port 0 2>"$WORK/$enc.log" &
  SERVER_PID=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/$enc.log" | head -1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$WORK/$enc.log"; echo "server did not start" >&2; exit 1; }
  "$LOAD" --url "$url" --encoding "$enc" --clients "$CLIENTS" --batch "$BATCH" \
    --seconds "$SECONDS_EACH" | tee -a "$OUT"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
done

say "the limit: the same batches straight into a SQLite store, in-process"
mkdir -p "$WORK/direct"
"$LOAD" --direct "$WORK/direct" --clients "$CLIENTS" --batch "$BATCH" --seconds "$SECONDS_EACH" |
  tee -a "$OUT"
say "wrote $OUT"
