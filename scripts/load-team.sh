#!/usr/bin/env bash
# The team tier under load (a benchmark, not run in CI): WRITERS writer processes (native
# `http://` trackers and Node clients posting batches) × POINTS points each, spread over
# two `sextant serve` replicas of one PostgreSQL, with a reader charting a series
# (max_points=1000) on replica B throughout. Checks that every acknowledged point is
# stored exactly once, and prints points/s and the reader's p50/p99 (also written to
# target/load-team.md).
#
#   bash scripts/load-team.sh            # 16 writers (4 of them Node) x 250,000 points
#   SEXTANT_LOAD_WRITERS=4 SEXTANT_LOAD_NODE=1 SEXTANT_LOAD_POINTS=20000 bash scripts/load-team.sh
#
# Uses a throwaway PostgreSQL (scripts/pg.sh) unless SEXTANT_TEST_POSTGRES names one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/pg.sh"
cd "$ROOT"

WRITERS="${SEXTANT_LOAD_WRITERS:-16}"
NODE="${SEXTANT_LOAD_NODE:-4}"
POINTS="${SEXTANT_LOAD_POINTS:-250000}"
FLUSH="${SEXTANT_LOAD_FLUSH:-25000}"
[ "$NODE" -le "$WRITERS" ] || { echo "SEXTANT_LOAD_NODE must be <= SEXTANT_LOAD_WRITERS" >&2; exit 2; }

ensure_rust
command -v node >/dev/null || { echo "node (20 or later) not found" >&2; exit 1; }
say "building sextant and the writer (release)"
cargo build --release -q -p sextant --bin sextant --example team_writer
BIN="$ROOT/target/release/sextant"
WRITER="$ROOT/target/release/examples/team_writer"

pg_start
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  pg_stop
}
trap cleanup EXIT

SCHEMA="load_$$"
STORE="$SEXTANT_TEST_POSTGRES?schema=$SCHEMA"
SECRET="$("$BIN" --store "$STORE" token create load-writer --role write 2>/dev/null)"
READER="$("$BIN" --store "$STORE" token create load-reader --role read 2>/dev/null)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
PORTS=("$(free_port)" "$(free_port)")
for i in 0 1; do
  "$BIN" --store "$STORE" serve --port "${PORTS[$i]}" >"$WORK/replica$i.log" 2>&1 &
  PIDS+=($!)
done
for i in 0 1; do
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $READER" "http://127.0.0.1:${PORTS[$i]}/api/health" && break
    sleep 0.1
  done
done

say "$WRITERS writers ($NODE Node) x $POINTS points through replicas :${PORTS[0]} and :${PORTS[1]}"
# The reader charts writer 0's series on replica B until the writers are done.
python3 - "$WORK" "${PORTS[1]}" "$READER" >"$WORK/reader.json" <<'PY' &
import json, os, sys, time, urllib.request
work, port, token = sys.argv[1], sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}/api/experiments/load-0/metrics/loss?max_points=1000"
lat, errors, deadline = [], 0, time.time() + 1800
while not os.path.exists(f"{work}/done") and time.time() < deadline:
    t = time.perf_counter()
    try:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
        lat.append((time.perf_counter() - t) * 1000)
    except Exception:
        errors += 1  # before writer 0 has created its run
    time.sleep(0.2)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(round((len(lat) - 1) * p)))] if lat else 0.0
print(json.dumps({"reads": len(lat), "not_yet": errors, "p50_ms": q(0.5), "p99_ms": q(0.99)}))
PY
READ_PID=$!

start=$(date +%s.%N)
WPIDS=()
for i in $(seq 0 $((WRITERS - 1))); do
  port="${PORTS[$((i % 2))]}"
  if [ "$i" -ge $((WRITERS - NODE)) ]; then
    SEXTANT_TOKEN="$SECRET" node tests/node/http_client.mjs "http://127.0.0.1:$port" "load-$i" "$POINTS" "$FLUSH" >"$WORK/w$i.out" 2>&1 &
  else
    "$WRITER" "http://127.0.0.1:$port?token=$SECRET" "load-$i" "$POINTS" "$FLUSH" >"$WORK/w$i.out" 2>&1 &
  fi
  WPIDS+=($!)
done
failed=0
for p in "${WPIDS[@]}"; do wait "$p" || failed=$((failed + 1)); done
end=$(date +%s.%N)
touch "$WORK/done"
wait "$READ_PID" || true
if [ "$failed" -gt 0 ]; then
  for f in "$WORK"/w*.out; do echo "== $f"; tail -3 "$f"; done
  echo "$failed writers failed" >&2
  exit 1
fi

say "checking every point is stored exactly once"
# Native writers log s*0.25 at step s, Node writers s*0.5.
psql "$SEXTANT_TEST_POSTGRES" -qAt -F ' ' -c "
  SELECT e.id, count(*), min(p.step), max(p.step), sum(p.value), e.created_by
    FROM \"$SCHEMA\".points p
    JOIN \"$SCHEMA\".metric_keys k ON k.id = p.key_id
    JOIN \"$SCHEMA\".experiments e ON e.seq = k.experiment
   GROUP BY e.id, e.created_by ORDER BY e.id" >"$WORK/counts.txt"
python3 - "$WORK/counts.txt" "$WRITERS" "$NODE" "$POINTS" <<'PY'
import sys
path, writers, node, points = sys.argv[1], *map(int, sys.argv[2:])
rows = {r.split()[0]: r.split()[1:] for r in open(path) if r.strip()}
bad = []
for i in range(writers):
    factor = 0.5 if i >= writers - node else 0.25
    want = [str(points), "0", str(points - 1), factor * points * (points - 1) / 2, "load-writer"]
    got = rows.get(f"load-{i}")
    if not got or got[:3] != want[:3] or abs(float(got[3]) - want[3]) > 1e-6 * want[3] or got[4] != want[4]:
        bad.append((f"load-{i}", got))
if bad or len(rows) != writers:
    sys.exit(f"stored points differ from what was acknowledged: {bad} ({len(rows)} runs)")
print(f"all {writers} runs hold exactly {points} points each, attributed to token load-writer")
PY

python3 - "$start" "$end" "$WRITERS" "$NODE" "$POINTS" "$WORK" "$FLUSH" <<'PY' | tee target/load-team.md
import glob, json, sys
start, end = float(sys.argv[1]), float(sys.argv[2])
writers, node, points, work = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
secs = end - start
total = writers * points
reader = json.load(open(f"{work}/reader.json"))
native = [json.loads(open(f).read().strip().splitlines()[-1]) for f in sorted(glob.glob(f"{work}/w*.out"))
          if open(f).read().strip().startswith("{")]
flush99 = max((w["flush_p99_ms"] for w in native), default=0)
print(f"| measure | figure |\n|---|---|")
print(f"| writers | {writers} ({writers - node} native http:// trackers, {node} Node) x {points:,} points, 2 replicas, 1 PostgreSQL |")
print(f"| ingest | {total:,} points in {secs:.1f} s = **{total / secs:,.0f} points/s** (goal >= 300,000) |")
print(f"| native tracker flush of {int(sys.argv[7]):,} points, worst writer's p99 | {flush99:.0f} ms |")
print(f"| chart read on replica B during the load (max_points=1000) | p50 {reader['p50_ms']:.1f} ms, p99 {reader['p99_ms']:.1f} ms over {reader['reads']} reads |")
PY
