#!/usr/bin/env bash
# MLflow's tracking REST API on `sextant serve`, tested with the real MLflow client
# (mlflow-skinny, in target/mlflow-venv keyed by scripts/mlflow/requirements.txt) against a
# server over a temp sqlite:// store; values are read back through the client, Sextant's
# CLI and its JSON API.
#
# `--bench N` instead measures MLflow client `log_batch` throughput (N points, 1,000 per
# call) against `sextant serve` and against `mlflow server` with a SQLite backend (full
# `mlflow`, in target/mlflow-bench-venv from scripts/mlflow/requirements-bench.txt; CI does
# not run it). SEXTANT_BIN picks the binary, e.g. target/release/sextant.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_rust


BENCH=""
if [ "${1:-}" = "--bench" ]; then
  BENCH="${2:-100000}"
  VENV="$ROOT/target/mlflow-bench-venv"
  ensure_venv "$VENV" "$ROOT/scripts/mlflow/requirements-bench.txt"
else
  VENV="$ROOT/target/mlflow-venv"
  ensure_venv "$VENV" "$ROOT/scripts/mlflow/requirements.txt"
fi

BIN="${SEXTANT_BIN:-$ROOT/target/debug/sextant}"
if [ -z "${SEXTANT_BIN:-}" ]; then
  say "mlflow: building sextant"
  cargo build -q -p sextant --bin sextant
fi

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

TOKEN="mlflow-test-token"
# start_server STORE NAME: serves STORE on a free port; sets URL.
start_server() {
  "$BIN" --store "$1" serve --port 0 --token "$TOKEN" 2>"$TMP/$2.log" &
  local pid=$!
  PIDS+=("$pid")
  URL=""
  for _ in $(seq 1 100); do
    URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/$2.log" | head -1 || true)"
    [ -n "$URL" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "sextant serve did not start"; cat "$TMP/$2.log"; exit 1
}
start_server "sqlite://$TMP/store" serve
SERVER_PID="${PIDS[-1]}"
SEXTANT_URL="$URL"
export MLFLOW_TRACKING_TOKEN="$TOKEN"

if [ -z "$BENCH" ]; then
  say "mlflow: the MLflow client -> $URL"
  timeout 300 "$VENV/bin/python" scripts/mlflow/test_mlflow.py "$URL" "$TOKEN" "sqlite://$TMP/store" "$BIN"
  kill -0 "$SERVER_PID" || { echo "server died"; cat "$TMP/serve.log"; exit 1; }

  say "mlflow: import an MLflow SQLite store written by the real client"
  mkdir "$TMP/mlflow-src"
  timeout 300 "$VENV/bin/python" scripts/mlflow/test_mlflow.py --import-write "$TMP/mlflow-src"
  SRC="mlflow+sqlite://$TMP/mlflow-src/mlflow.db"
  DST="sqlite://$TMP/imported"
  "$BIN" --store "$DST" import "$SRC"
  start_server "$DST" imported
  timeout 300 "$VENV/bin/python" scripts/mlflow/test_mlflow.py --import-check \
    "sqlite:///$TMP/mlflow-src/mlflow.db" "$URL" "$TOKEN"
  snapshot() { # every experiment as `show --json` prints it
    "$BIN" --store "$DST" --json ls | "$VENV/bin/python" -c 'import json,sys; print("\n".join(e["id"] for e in json.load(sys.stdin)))' \
      | while read -r id; do "$BIN" --store "$DST" --json show "$id"; done
  }
  snapshot > "$TMP/before.json"
  "$BIN" --store "$DST" import "$SRC"
  snapshot > "$TMP/after.json"
  [ -s "$TMP/before.json" ] || { echo "import: nothing to compare"; exit 1; }
  cmp "$TMP/before.json" "$TMP/after.json" || { echo "re-import changed the store"; diff "$TMP/before.json" "$TMP/after.json" | head -20; exit 1; }
  echo "re-import: store unchanged"

  say "mlflow: import through the REST API (mlflow+http://) from the first server"
  "$BIN" --store "sqlite://$TMP/from-http" import "mlflow+$SEXTANT_URL"
  start_server "sqlite://$TMP/from-http" from-http
  timeout 300 "$VENV/bin/python" scripts/mlflow/test_mlflow.py --import-check "$SEXTANT_URL" "$URL" "$TOKEN"

  say "mlflow: the MLflow client over a postgres:// store (a throwaway cluster)"
  source "$ROOT/scripts/pg.sh"
  pg_start
  trap 'cleanup; pg_stop' EXIT
  sep="?"; case "$SEXTANT_TEST_POSTGRES" in *\?*) sep="&";; esac
  PG_STORE="${SEXTANT_TEST_POSTGRES}${sep}schema=mlflow_$$_$(date +%s)"
  start_server "$PG_STORE" serve-pg
  timeout 300 "$VENV/bin/python" scripts/mlflow/test_mlflow.py "$URL" "$TOKEN" "$PG_STORE" "$BIN"
  say "mlflow: all passed"
  exit 0
fi

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "mlflow: mlflow server (SQLite backend) on port $PORT"
(cd "$TMP" && exec "$VENV/bin/mlflow" server --backend-store-uri "sqlite:///$TMP/mlflow.db" \
  --artifacts-destination "$TMP/mlartifacts" --host 127.0.0.1 --port "$PORT" >"$TMP/mlflow.log" 2>&1) &
PIDS+=("$!")
MLFLOW_URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  curl -sf "$MLFLOW_URL/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$MLFLOW_URL/health" >/dev/null || { echo "mlflow server did not start"; cat "$TMP/mlflow.log"; exit 1; }

say "mlflow: log_batch of $BENCH points, 1,000 per call"
S="$("$VENV/bin/python" scripts/mlflow/test_mlflow.py --bench "$URL" "$TOKEN" --points "$BENCH")"
M="$("$VENV/bin/python" scripts/mlflow/test_mlflow.py --bench "$MLFLOW_URL" --points "$BENCH")"
say "mlflow: import the mlflow server's runs through its REST API (mlflow+http://)"
"$BIN" --store "sqlite://$TMP/from-mlflow" import "mlflow+$MLFLOW_URL"
start_server "sqlite://$TMP/from-mlflow" from-mlflow
MLFLOW_TRACKING_TOKEN="" "$VENV/bin/python" scripts/mlflow/test_mlflow.py --import-check "$MLFLOW_URL" "$URL" "$TOKEN"
echo "sextant serve: $S"
echo "mlflow server: $M"
"$VENV/bin/python" -c "
import json, sys
s, m = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f\"MLflow client log_batch: sextant {s['points_per_s']:,.0f} points/s, mlflow {m['points_per_s']:,.0f} points/s: {s['points_per_s'] / m['points_per_s']:.1f}x\")
print(f\"prebuilt log-batch JSON: sextant {s['raw_points_per_s']:,.0f} points/s, mlflow {m['raw_points_per_s']:,.0f} points/s: {s['raw_points_per_s'] / m['raw_points_per_s']:.1f}x\")
" "$S" "$M"
