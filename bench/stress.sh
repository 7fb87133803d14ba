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
# PM_PORT (its port, default 54338).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi
. "$root/bench/machine.sh"
if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/stress.sql
fi
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_worker_processes=8 -c max_parallel_workers=8 -c jit=off}"
export PM_PORT="${PM_PORT:-54338}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/stress.sql
