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

echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:     $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "memory:  $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r)"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  dirty=$(git -C "$root" status --porcelain -- src sql Makefile | wc -l)
  echo "source:  $(git -C "$root" log -1 --format='%h %cs') ($dirty modified file(s) in src/ sql/ Makefile)"
fi

if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/pricing.sql
fi

# parallel workers and JIT are also set per session by pricing.sql
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_parallel_workers_per_gather=0 -c jit=off}"
export PM_PORT="${PM_PORT:-54339}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/pricing.sql
