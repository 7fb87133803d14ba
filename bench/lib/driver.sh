# bench/lib/driver.sh: sourced by the drivers of the SQL benchmarks (bench/margin.sh, bench/span.sh,
# bench/stress.sh).  bench_sql FILE PORT [--here] [psql options]: prints the machine (bench/machine.sh),
# then runs FILE with psql, either against the server of the current PG* environment (--here: the
# portmargin installed there, no build) or in a throwaway cluster that test/run.sh exec builds, installs
# and starts (PM_SERVER_OPTS: its server options; PM_PORT: its port, default PORT).
bench_sql() {
  local sql=$1 port=$2
  shift 2
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  cd "$root"
  local here=0
  if [ "${1:-}" = --here ]; then here=1; shift; fi
  . "$root/bench/machine.sh"
  if [ "$(nproc)" -lt 3 ]; then
    echo "note:    $(nproc) CPUs: with 2 workers the leader and both workers share them"
  fi
  if [ "$here" = 1 ]; then
    exec psql -X -v ON_ERROR_STOP=1 "$@" -f "$sql"
  fi
  export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c max_worker_processes=8 -c max_parallel_workers=8 -c jit=off}"
  export PM_PORT="${PM_PORT:-$port}"
  exec bash test/run.sh exec psql -X -v ON_ERROR_STOP=1 "$@" -f "$sql"
}
