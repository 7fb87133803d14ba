#!/usr/bin/env bash
# bench/span.sh: the SPAN-from-published-arrays benchmark (bench/span.sql) in one command.
#
#   bash bench/span.sh [psql options]      e.g. bash bench/span.sh -v accounts=1000 -v runs=3
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs bench/span.sql in it.
#   bash bench/span.sh --here [psql options]
#       runs bench/span.sql against the server of the current PG* environment
#       (creates and drops tables span_bench_* in the current database).
#
# Environment: PM_SERVER_OPTS (server options of the throwaway cluster),
# PM_PORT (its port, default 54336).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/driver.sh"
bench_sql bench/span.sql 54336 "$@"
