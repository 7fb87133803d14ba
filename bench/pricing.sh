#!/usr/bin/env bash
# bench/pricing.sh: the pricing benchmark (bench/pricing.sql) in one command.
#
#   bash bench/pricing.sh [psql options]
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs bench/pricing.sql in it; e.g.
#       bash bench/pricing.sh -v rows=200000 -v runs=3
#
#   bash bench/pricing.sh --here [psql options]
#       runs bench/pricing.sql against the server in the current PG*
#       environment, using the portmargin already installed there (no build,
#       no install).  It creates tables bench_options, bench_options_subset
#       and functions bench_plpgsql_* in the current database.
#
# Environment: PM_SERVER_OPTS (server options of the throwaway cluster;
# default below), PM_PORT (its port, default 54339 so that it does not clash
# with test/run.sh's default 54329).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi

. "$root/bench/machine.sh"

if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/pricing.sql
fi

# parallel workers and JIT are also set per session by pricing.sql
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_parallel_workers_per_gather=0 -c jit=off}"
export PM_PORT="${PM_PORT:-54339}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/pricing.sql
