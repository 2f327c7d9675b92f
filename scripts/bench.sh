#!/usr/bin/env bash
# Runs the benchmarks and writes target/bench-report.md: each figure beside its naive
# baseline and its limit measured in the same run, plus instructions per span under
# callgrind when valgrind is installed (counts are stable on a noisy machine; times are
# not). Not run in CI (CI only compiles the benches).
#
# Parts (all by default; SEXTANT_BENCH_PARTS="logging ingest wide web search postgres spans
# dashboard python js" picks):
#   logging   durable log_dynamic vs luml-like per-point commits (baseline) and the raw
#             rusqlite inserts of the same rows into the same table (the limit)
#   ingest    8 HTTP clients into one `sextant serve` over SQLite: JSON (baseline), binary,
#             binary+gzip, and the same batches written straight to the store (the limit)
#   wide      the wide chart query on a 10M-point SQLite series vs reading every point
#   postgres  the same on PostgreSQL (a throwaway cluster; needs root to install it)
#   web       IndexedDB in headless Chromium (release wasm, crates/sextant-web/tests/idb_bench.rs):
#             the wide chart query and zooms on a SEXTANT_BENCH_POINTS series (chunk summaries
#             vs every point, then downsample), and writes of 1M points (the store's batches vs
#             one put per point vs 1024-point rows put blindly, the layout's limit); needs
#             wasm-bindgen-cli, chromium and chromedriver (scripts/test-web.sh installs them)
#   search    search filters over 10,000 runs: store search vs load all, then filter
#   spans     tracing span overhead vs tracing off, and the Registry alone (the limit)
#   dashboard the dashboard in Chromium over a 10M-point SQLite run: first chart paint and
#             each zoom's re-query; 10,000 runs in the table (scripts/bench-dashboard.sh)
#   python    the Python package against luml-sdk (scripts/bench-python.sh)
#   js        the npm package in headless Chromium and Node (www/bench/run.mjs): IndexedDB
#             writes vs one put per point, logDynamic per call, and per-span overhead of
#             tracker.span() and spanExporter() vs an untraced async function
# SEXTANT_BENCH_POINTS sets the series length of `wide`, `web` and `postgres` (default 10M).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
REPORT="$TARGET/bench-report.md"
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT
PARTS="${SEXTANT_BENCH_PARTS:-logging ingest wide web search postgres spans dashboard python js}"
want() { [[ " $PARTS " == *" $1 "* ]]; }

# The figure criterion prints for one benchmark id: "time: [low median high]" -> "median unit".
median_of() {
  awk -v id="$2" '$0 ~ id {found=1} found && /time:/ {print $(NF-3), $(NF-2); exit}' "$1" 2>/dev/null
}
# The value after "LABEL" on the first line that has it, up to the next comma or paren.
after() {
  # `|| true`: a part not run leaves no log, which must not end the script (set -e).
  grep -m1 -F "$2" "$1" 2>/dev/null | sed -e "s|.*$2[: ]*||" -e 's/[,(].*//' -e 's/ *$//' || true
}
# From an "idb LABEL, max_points=N: X ms median …, naive Y ms median …" line (the first
# argument is "LABEL, max_points=N"): the summaries' median (fast) or the naive one (naive).
idb_query() {
  grep -m1 -F "idb $1: " "$LOGS/web.txt" 2>/dev/null | sed -E \
    -e "s/.*max_points=[0-9]+: ([0-9.]+) ms median.*naive ([0-9.]+) ms median.*/\1 ms|\2 ms/" |
    cut -d'|' -f"$([ "$2" = fast ] && echo 1 || echo 2)" || true
}
# "N points/s" with thousands separators.
rate() { [ -n "${1:-}" ] && printf "%'.0f points/s" "$1" || echo "not measured"; }
# The field of an ingest line: "ingest MODE: R points/s, … p99 X ms …".
ingest_field() {
  grep -m1 "^ingest $2:" "$LOGS/ingest.txt" 2>/dev/null | awk -v f="$3" '
    f=="rate" {print $3}
    f=="p99" {for (i=1;i<=NF;i++) if ($i=="p99") print $(i+1)}'
}

if want logging; then
  say "native logging (sustained durable vs naive vs raw rusqlite)"
  cargo bench -p sextant --bench log_dynamic 2>&1 | tee "$LOGS/logging.txt"
fi
if want ingest; then
  say "HTTP ingest load"
  bash scripts/bench-ingest.sh 2>&1 | tee "$LOGS/ingest-run.txt"
  cp "$TARGET/bench-ingest.txt" "$LOGS/ingest.txt" 2>/dev/null || true
fi
if want wide; then
  say "wide chart query (SQLite pyramid vs reading every point)"
  cargo bench -p sextant-sqlite --bench wide_series 2>&1 | tee "$LOGS/wide.txt"
fi
if want web; then
  say "IndexedDB chart queries and writes (headless Chromium)"
  CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" WASM_BINDGEN_TEST_TIMEOUT=3600 \
    cargo test --release -p sextant-web --target wasm32-unknown-unknown --test idb_bench \
    -- --include-ignored --nocapture 2>&1 | tee "$LOGS/web.txt" || echo "web: failed" >>"$LOGS/web.txt"
fi
if want postgres; then
  say "PostgreSQL ingest and wide chart query"
  bash scripts/bench-postgres.sh 2>&1 | tee "$LOGS/postgres.txt" || echo "postgres: failed" >>"$LOGS/postgres.txt"
fi
if want search; then
  say "search filters over many runs (store search vs load all, then filter)"
  cargo bench -p sextant-sqlite --bench search 2>&1 | tee "$LOGS/search.txt"
fi
instructions=""
if want spans; then
  say "tracing span overhead"
  cargo bench -p sextant-tracing --bench span_overhead 2>&1 | tee "$LOGS/span.txt"
  if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
    say "instructions per span (callgrind)"
    bin="$(ls -t "$TARGET"/release/deps/span_overhead-* | grep -v '\.d$' | head -1)"
    out="$LOGS/cg.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --bench "flushed inline" \
      --profile-time 2 >/dev/null 2>&1
    floor_out="$LOGS/cg-floor.out"
    valgrind --tool=callgrind --callgrind-out-file="$floor_out" "$bin" --bench "Registry alone" \
      --profile-time 2 >/dev/null 2>&1
    # work() is the instrumented function: its inclusive cost per call is the traced
    # thread's cost; the benchmark loop's per span is all of it (the flush included).
    read -r traced spans < <(callgrind_annotate --tree=caller "$out" 2>/dev/null |
      grep -B1 '\*  ???:span_overhead::work ' | head -1 |
      awk '{gsub(",","",$1); n=$0; sub(/.*\(/,"",n); sub(/x\).*/,"",n); gsub(",","",n); print $1, n}')
    loop="$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
      awk '/Bencher<M>::iter_custom/ {gsub(",","",$1); print $1; exit}')"
    read -r floor floor_spans < <(callgrind_annotate --tree=caller "$floor_out" 2>/dev/null |
      grep -B1 '\*  ???:span_overhead::work ' | head -1 |
      awk '{gsub(",","",$1); n=$0; sub(/.*\(/,"",n); sub(/x\).*/,"",n); gsub(",","",n); print $1, n}')
    if [ -n "${spans:-}" ] && [ "$spans" -gt 0 ]; then
      instructions="$((traced / spans)) instructions per span on the traced thread, $((loop / spans)) with its flush (rendering the stored text, freeing)"
      if [ -n "${floor_spans:-}" ] && [ "$floor_spans" -gt 0 ]; then
        instructions="$instructions; the Registry alone: $((floor / floor_spans))"
      fi
    fi
  fi
fi

if want dashboard; then
  say "dashboard in Chromium (10M-point SQLite run, 10,000 runs)"
  BENCH_STORE=sqlite bash scripts/bench-dashboard.sh 2>&1 | tee "$LOGS/dashboard.txt"
fi
if want python; then
  say "Python package vs luml-sdk"
  bash scripts/bench-python.sh 2>&1 | tee "$LOGS/python.txt"
fi
if want js; then
  say "npm package in Chromium and Node"
  npm --prefix www run build
  node www/bench/run.mjs 2>&1 | tee "$LOGS/js.txt"
fi

L="$LOGS/logging.txt"
durable="$(after "$L" 'sustained durable logging')"
naive="$(after "$L" 'naive per-point commit')"
raw1="$(after "$L" 'raw rusqlite limit, 1 row(s) per INSERT')"
raw64="$(after "$L" 'raw rusqlite limit, 64 row(s) per INSERT')"
raw500="$(after "$L" 'raw rusqlite limit, 500 row(s) per INSERT')"
vs_raw="$(after "$L" 'sustained durable / best raw insert')"
PG="$LOGS/postgres.txt"
{
  echo "# Benchmark report"
  echo
  echo "Generated by scripts/bench.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. Times on a shared machine are" \
    "noisy; ratios measured side by side and instruction counts are the figures to compare."
  echo "Parts run: $PARTS."
  echo
  echo "| figure | value | naive baseline | limit | goal |"
  echo "|---|---|---|---|---|"
  if want logging; then
    echo "| durable \`log_dynamic\`, 1M points, SQLite | $(rate "${durable/ points\/s/}") | $(rate "${naive/ points\/s/}") (luml-like commit per point) | $(rate "${raw500/ points\/s/}") (raw 500-row INSERTs; 64-row: $(rate "${raw64/ points\/s/}"), single-row prepared: $(rate "${raw1/ points\/s/}")) | ≥ 1.0× the best raw insert: ${vs_raw:-?} |"
  fi
  if want ingest; then
    for enc in binary gzip; do
      echo "| HTTP ingest, 8 clients → \`sextant serve\` (SQLite), $enc batches | $(rate "$(ingest_field x "$enc" rate)"), write p99 $(ingest_field x "$enc" p99) ms | $(rate "$(ingest_field x json rate)") JSON, p99 $(ingest_field x json p99) ms | $(rate "$(ingest_field x direct rate)") (same batches straight to the store) | ≥ 1M points/s, p99 ≤ 100 ms |"
    done
  fi
  if want wide; then
    echo "| wide chart query, full range, max_points=1000 (SQLite) | $(median_of "$LOGS/wide.txt" 'full range, 1000 points \(pyramid\)') | $(median_of "$LOGS/wide.txt" 'full range, naive') (all points, then downsample) | | ≤ 30 ms |"
    echo "| 100k-step zoom, max_points=1000 (SQLite) | $(median_of "$LOGS/wide.txt" '100k-step zoom, 1000 points') | $(median_of "$LOGS/wide.txt" '100k-step zoom, naive') | | |"
  fi
  if want web; then
    W="$LOGS/web.txt"
    web_points="$(grep -m1 '^idb store write:' "$W" 2>/dev/null | sed -E 's/idb store write: ([0-9,]+) points.*/\1/' || true)"
    echo "| wide chart query, full range, max_points=1000 (IndexedDB, ${web_points:-?} points, Chromium) | $(idb_query 'full range, max_points=1000' fast) (first after writing: $(after "$W" 'first query after writing')) | $(idb_query 'full range, max_points=1000' naive) (every point, then downsample) | | ≤ 100 ms |"
    for q in "full range, max_points=4000" "zoom 2M steps, max_points=4000" "zoom 1M steps, max_points=1000" \
      "zoom 500k steps, max_points=1000" "zoom 100k steps, max_points=1000" "zoom 10k steps, max_points=1000"; do
      echo "| $q (IndexedDB) | $(idb_query "$q" fast) | $(idb_query "$q" naive) | | ≤ 100 ms |"
    done
    echo "| IndexedDB write, 1M points (Chromium, strict durability) | $(after "$W" 'points: store') | $(after "$W" 'one put per point') (one put per point, one transaction) | $(after "$W" '1024-point rows put blindly') (1024-point rows, no reads or summaries) | |"
  fi
  if want postgres; then
    echo "| wide chart query, full range, max_points=1000 (PostgreSQL, exact) | $(after "$PG" 'max_points=1000: median') | $(after "$PG" 'downsampling in the client: median') (all rows to the client) | | |"
    echo "| zoomed query, 5,000 steps (PostgreSQL) | $(after "$PG" 'zoomed query (5,000 steps), max_points=1000: median') | | | |"
    echo "| PostgreSQL ingest, 1 writer | $(after "$PG" 'ingest, 1 writer' | sed 's/.*= //') | | | |"
  fi
  if want search; then
    for store in sqlite memory; do
      for f in "one metric" "the issue's filter" "tags or param"; do
        echo "| search, $f, 10,000 runs ($store) | $(median_of "$LOGS/search.txt" "search/$store $f \\(search\\)") | $(median_of "$LOGS/search.txt" "search/$store $f \\(naive\\)") (list all, then filter) | | ≤ 50 ms |"
      done
    done
  fi
  if want spans; then
    echo "| span via tracing, flushed by another thread | $(median_of "$LOGS/span.txt" 'flushed by another thread') | $(median_of "$LOGS/span.txt" 'tracing off') (tracing off) | $(median_of "$LOGS/span.txt" 'Registry alone') (tracing-subscriber's Registry under a layer that records nothing) | ≤ 0.5 µs over tracing off |"
    echo "| span via tracing, flushed inline (all CPU) | $(median_of "$LOGS/span.txt" 'flushed inline') | $(median_of "$LOGS/span.txt" 'tracing off') (tracing off) | | |"
  fi
  if want js; then
    J="$LOGS/js.txt"
    js_median() { grep -m1 -F "$1" "$J" 2>/dev/null | sed -E 's/.*best, ([0-9.]+ µs) median.*/\1/' || true; }
    echo "| JS \`tracker.span(name, fn)\` per span (Chromium), overhead | $(grep -m1 'tracker.span' "$J" 2>/dev/null | sed -E 's/.*overhead .* best, ([0-9.]+ µs) median.*/\1/' || true) | $(js_median 'untraced async fn') (an untraced async fn, all of it) | | ≤ 3 µs |"
    echo "| JS \`spanExporter().export([span])\` per span (Chromium) | $(js_median 'spanExporter().export') | | | ≤ 3 µs |"
  fi
  if want dashboard; then
    D="$LOGS/dashboard.txt"
    echo "| dashboard: first chart paint of a 10M-point run (SQLite, \`max_points\` query + draw) | $(after "$D" 'first chart paint') | | | ≤ 300 ms after the page is up |"
    echo "| dashboard: zoom re-query (request sent → finer points painted) | median $(after "$D" 're-query: median') | | | ≤ 100 ms |"
  fi
  echo
  echo "## Raw lines"
  echo
  echo '```'
  grep -h -E '^(sustained|naive|speed-up|raw rusqlite|bytes/point)' "$L" 2>/dev/null || true
  cat "$LOGS/ingest.txt" 2>/dev/null || true
  grep -h -E '^wide query' "$LOGS/wide.txt" 2>/dev/null || true
  grep -h -E '^idb ' "$LOGS/web.txt" 2>/dev/null || true
  grep -h -E '^(ingest|wide query|same chart|zoomed)' "$PG" 2>/dev/null || true
  [ -n "$instructions" ] && echo "spans under callgrind: $instructions"
  grep -h -E '^(first chart paint|zoom|re-query|table ready|scrolling|sort|text filter)' "$LOGS/dashboard.txt" 2>/dev/null || true
  grep -h -E '(us/call|points/s|throughput|load average)' "$LOGS/python.txt" 2>/dev/null || true
  sed -n '/^IndexedDB/,$p' "$LOGS/js.txt" 2>/dev/null || true
  echo '```'
} >"$REPORT"
say "wrote $REPORT"
cat "$REPORT"
