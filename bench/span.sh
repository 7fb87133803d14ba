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
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi
. "$root/bench/machine.sh"
if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/span.sql
fi
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_worker_processes=8 -c max_parallel_workers=8 -c jit=off}"
export PM_PORT="${PM_PORT:-54336}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/span.sql
