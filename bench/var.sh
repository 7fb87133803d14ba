#!/usr/bin/env bash
# bench/var.sh: the VaR / ES benchmark (bench/var.sql) and its numpy peer
# (bench/var_numpy.py) in one command; prints the ratio of portmargin's time
# to numpy's compute time for the Monte Carlo ES margin.
#
#   bash bench/var.sh [psql options]          build, install, throwaway cluster
#   bash bench/var.sh --here [psql options]   against the server in PG*, no build
#
# e.g. a quick run: bash bench/var.sh -v scenarios=10000 -v days=500 -v runs=1
# NUMPY_RUNS (default: the psql variable runs, else 3) sets the numpy runs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ "${1:-}" = --here ]; then
  shift
  runs=${NUMPY_RUNS:-$(echo "$*" | sed -n 's/.*runs=\([0-9]*\).*/\1/p')}
  . "$root/bench/machine.sh"
  psql -X -v ON_ERROR_STOP=1 "$@" -f bench/var.sql
  echo
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 bench/var_numpy.py "${runs:-3}"
  exit 0
fi
export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c jit=off}"
export PM_PORT="${PM_PORT:-54337}"
exec bash test/run.sh exec bash "$root/bench/var.sh" --here "$@"
