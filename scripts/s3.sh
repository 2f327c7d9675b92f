# Sourced by test scripts: a throwaway S3-compatible server (moto, from PyPI, in its own
# venv keyed by scripts/moto/requirements.txt) on a free 127.0.0.1 port, with one bucket.
# s3_start exports SEXTANT_TEST_S3_ENDPOINT and SEXTANT_TEST_S3_BUCKET; s3_stop ends it.

S3_PID=""

s3_stop() {
  if [ -n "$S3_PID" ]; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
    S3_PID=""
  fi
}

s3_start() {
  local venv="$ROOT/target/moto-venv" req="$ROOT/scripts/moto/requirements.txt" port
  ensure_venv "$venv" "$req"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$ROOT/target/moto.log" 2>&1 &
  S3_PID=$!
  local ok=""
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then ok=1; break; fi
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$ok" ] || { cat "$ROOT/target/moto.log"; echo "moto did not start" >&2; return 1; }
  # CreateBucket: moto does not check signatures.
  curl -fsS -X PUT "http://127.0.0.1:$port/sextant-test" >/dev/null
  export SEXTANT_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export SEXTANT_TEST_S3_BUCKET="sextant-test"
  say "s3: moto on $SEXTANT_TEST_S3_ENDPOINT, bucket $SEXTANT_TEST_S3_BUCKET"
}
