# A throwaway PostgreSQL 15 for tests. Source it, then call `pg_start`: unless
# SEXTANT_TEST_POSTGRES is already set (an existing server), it installs Debian's
# `postgresql` when the binaries are missing, initdb's a cluster in a temp folder as the
# `postgres` OS user (PostgreSQL refuses root), starts it on a free 127.0.0.1 port with
# password authentication (so wrong-password tests mean something) and TLS from a
# throwaway CA, exports the URL (and the CA as SEXTANT_TEST_POSTGRES_CA) and stops and
# removes it when the calling shell exits.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/pg/data" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_TMP/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_TMP:-}" ] && rm -rf "$PG_TMP"
  PG_TMP=""
}

# A CA and a server certificate for 127.0.0.1/localhost, so TLS tests verify a real chain.
pg_certs() {
  local d="$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sextant-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" >/dev/null 2>&1 || { echo "openssl failed to make a test CA" >&2; return 1; }
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$d/ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext" -out "$d/server.crt" >/dev/null 2>&1
  chown postgres "$d/server.key" "$d/server.crt"
  chmod 600 "$d/server.key"
}

pg_start() {
  if [ -n "${SEXTANT_TEST_POSTGRES:-}" ]; then
    echo "using the PostgreSQL in SEXTANT_TEST_POSTGRES"
    return 0
  fi
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "installing Debian's postgresql (initdb missing at $PG_BIN)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  command -v psql >/dev/null || { echo "psql missing after install" >&2; return 1; }
  command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
  PG_TMP="$(mktemp -d)"
  chmod o+x "$PG_TMP"
  mkdir "$PG_TMP/pg"
  chown postgres "$PG_TMP/pg"
  trap pg_stop EXIT
  local port password=sextant-test
  port="$(pg_free_port)"
  printf '%s\n' "$password" > "$PG_TMP/pg/pw"
  chown postgres "$PG_TMP/pg/pw"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_TMP/pg/data" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_TMP/pg/pw" >"$PG_TMP/pg/initdb.log" 2>&1 \
    || { cat "$PG_TMP/pg/initdb.log" >&2; return 1; }
  pg_certs "$PG_TMP/pg"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_TMP/pg/data" -w -l "$PG_TMP/pg/log" \
    -o "-p $port -k $PG_TMP/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c ssl=on -c ssl_cert_file=$PG_TMP/pg/server.crt -c ssl_key_file=$PG_TMP/pg/server.key" start >/dev/null \
    || { cat "$PG_TMP/pg/log" >&2; return 1; }
  export SEXTANT_TEST_POSTGRES="postgres://postgres:$password@127.0.0.1:$port/postgres"
  export SEXTANT_TEST_POSTGRES_CA="$PG_TMP/pg/ca.crt"
  psql "$SEXTANT_TEST_POSTGRES" -qAtc 'select version()'
}
