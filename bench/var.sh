#!/usr/bin/env bash
# bench/var.sh: the VaR / ES benchmark (bench/var.sql) in one command.
#
#   bash bench/var.sh [psql options]          build, install, throwaway cluster
#   bash bench/var.sh --here [psql options]   against the server in PG*, no build
#
# e.g. a quick run: bash bench/var.sh -v scenarios=10000 -v days=500 -v runs=1
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi
. "$root/bench/machine.sh"
if [ "$here" = 1 ]; then
  exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/var.sql
fi
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c jit=off}"
export PM_PORT="${PM_PORT:-54337}"
exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f bench/var.sql
