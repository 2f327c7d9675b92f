#!/usr/bin/env bash
# Ingest and chart-query figures for the postgres:// store (not run in CI). Uses a
# throwaway PostgreSQL unless SEXTANT_TEST_POSTGRES names one; SEXTANT_BENCH_POINTS sets
# the big series' length (default 10,000,000).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/pg.sh"
cd "$ROOT"
pg_start
SEXTANT_BENCH_RUN=1 cargo bench -p sextant-postgres --bench postgres
