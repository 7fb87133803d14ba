#!/usr/bin/env bash
# bench/whatif.sh: the what-if margin (pgbench) and snapshot benchmark in one command.
#
#   bash bench/whatif.sh [-T seconds] [-s runs]
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs the benchmark in it
#
#   bash bench/whatif.sh --here [-d dbname] [-T seconds] [-s runs]
#       runs it against the server in the current PG* environment (database
#       dbname, else PGDATABASE), using the portmargin installed there (no
#       build, no install; CREATE EXTENSION IF NOT EXISTS).  It drops and
#       rebuilds schema wb and table whatif_snapshot_timing in that database.
#
# Steps: bench/whatif.sql part=setup (reference schema wb, demo book of 1,000
# accounts, one account with 50 BTC positions); pgbench of
# bench/whatif_pgbench.sql (one wb.whatif_margin call with two random orders
# per transaction) for -T seconds each: 1 client in simple and in prepared
# query mode, then 2 clients (-j 2) in both modes, with per-transaction
# latency logs from which p50/p90/p99/p99.9/max are computed; then
# bench/whatif.sql part=snapshot (-s timed runs of wb.snapshot_margins()
# and of count(*) FROM wb.account_margin) and part=layers (one what-if call
# layer by layer).
#
# Environment: PGBENCH (default /usr/lib/postgresql/15/bin/pgbench),
# PM_SERVER_OPTS (server options of the throwaway cluster; default below),
# PM_PORT (its port, default 54336: clashes with neither test/run.sh's 54329
# nor the other benchmarks' 54337-54339).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

here=0
if [ "${1:-}" = --here ]; then here=1; shift; fi

seconds=20 runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    -d) export PGDATABASE="$2"; shift 2 ;;
    -T) seconds="$2"; shift 2 ;;
    -s) runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--here] [-d dbname] [-T seconds] [-s snapshot_runs]" >&2; exit 2 ;;
  esac
done

# the throwaway-cluster path re-enters this script with --here: print the machine once
if [ "${PM_WHATIF_INNER:-0}" != 1 ]; then
  . "$root/bench/machine.sh"
fi

if [ "$here" = 0 ]; then
  export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c jit=off}"
  export PM_PORT="${PM_PORT:-54336}"
  export PM_WHATIF_INNER=1
  exec bash test/run.sh exec bash "$root/bench/whatif.sh" --here -T "$seconds" -s "$runs"
fi

PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
PSQL=(psql -X -v ON_ERROR_STOP=1)
echo "server:  PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} database ${PGDATABASE:-${PGUSER:-}}"

"${PSQL[@]}" -v part=setup -f bench/whatif.sql
read -r account btc_lo btc_hi < <(psql -X -At -F ' ' -c "SELECT account_id, btc_lo, btc_hi FROM wb.whatif_bench")

tmp=$(mktemp -d /tmp/whatif.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

echo
echo "== pgbench: wb.whatif_margin($account, two random BTC instruments $btc_lo..$btc_hi, +-1..10 contracts each), -T $seconds per run"
. "$root/bench/pgbench_latency.sh"
pgbench_latency_header
run_pgbench() {
  pgbench_latency whatif "$1" "$2" "$seconds" bench/whatif_pgbench.sql \
    -D account="$account" -D btc_lo="$btc_lo" -D btc_hi="$btc_hi" || exit 1
}
run_pgbench simple 1
run_pgbench prepared 1
run_pgbench simple 2
run_pgbench prepared 2
echo "(percentiles by nearest rank over every logged transaction; first_ms: the slowest first"
echo " transaction of a connection; >2ms: share of transactions over 2 ms)"
echo "pgbench -r, last run (prepared, 2 clients):"
sed -n '/^statement latencies/,$p' "$tmp/last.out"

echo
"${PSQL[@]}" -v part=snapshot -v runs="$runs" -f bench/whatif.sql
echo
"${PSQL[@]}" -v part=layers -f bench/whatif.sql
