#!/usr/bin/env bash
# bench/margin.sh: the portfolio-margin benchmark (bench/margin.sql) in one command.
#
#   bash bench/margin.sh [psql options]
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs bench/margin.sql in it; e.g. a quick run:
#       bash bench/margin.sh -v accounts=1000 -v runs=5
#
#   bash bench/margin.sh --here [psql options]
#       runs bench/margin.sql against the server in the current PG*
#       environment, using the portmargin already installed there (no build,
#       no install).  It creates tables positions, instruments and market in
#       the current database (dropping any that exist).  The server needs
#       max_parallel_workers >= 2 for the 2-worker timings.
#
# Environment: PM_SERVER_OPTS (server options of the throwaway cluster;
# default below), PM_PORT (its port, default 54338 so that it clashes with
# neither test/run.sh's 54329 nor bench/pricing.sh's 54339).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi

. "$root/bench/machine.sh"
if [ "$(nproc)" -lt 3 ]; then
  echo "note:    $(nproc) CPUs: with 2 workers the leader and both workers share them"
fi

if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/margin.sql
fi

# work_mem, parallel settings and JIT are also set per session by margin.sql
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_worker_processes=8 -c max_parallel_workers=8 -c jit=off}"
export PM_PORT="${PM_PORT:-54338}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/margin.sql
