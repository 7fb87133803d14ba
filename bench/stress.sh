#!/usr/bin/env bash
# bench/stress.sh: the stress-report benchmark (bench/stress.sql) in one command.
#
#   bash bench/stress.sh [psql options]      e.g. bash bench/stress.sh -v runs=3 -v big=200000
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs bench/stress.sql in it.
#   bash bench/stress.sh --here [psql options]
#       runs bench/stress.sql against the server of the current PG* environment
#       (creates and drops schema stress_bench and tables stress_bench_* in the current database).
#
# Environment: PM_SERVER_OPTS (server options of the throwaway cluster),
# PM_PORT (its port, default 54341).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/driver.sh"
bench_sql bench/stress.sql 54341 "$@"
