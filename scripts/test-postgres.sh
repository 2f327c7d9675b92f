#!/usr/bin/env bash
# The team tier's tests against a real PostgreSQL: a throwaway cluster (scripts/pg.sh)
# unless SEXTANT_TEST_POSTGRES=postgres://… names one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/pg.sh"
cd "$ROOT"
pg_start
say "PostgreSQL store tests"
cargo test -p sextant-postgres
say "sextant CLI and serve replicas over PostgreSQL"
cargo test -p sextant --test postgres_cli
