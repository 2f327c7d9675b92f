#!/usr/bin/env bash
# The team tier's tests against a real PostgreSQL: a throwaway cluster (scripts/pg.sh)
# unless SEXTANT_TEST_POSTGRES=postgres://… names one, and attachment bytes in S3 on a
# throwaway S3-compatible server (moto, scripts/s3.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/pg.sh"
source "$ROOT/scripts/s3.sh"
cd "$ROOT"
pg_start
s3_start
# pg_start's trap stops PostgreSQL; stop moto too.
trap 's3_stop; pg_stop' EXIT
say "PostgreSQL store tests"
cargo test -p sextant-postgres
say "sextant CLI and serve replicas over PostgreSQL"
cargo test -p sextant --test postgres_cli
