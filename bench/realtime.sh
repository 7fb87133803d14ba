#!/usr/bin/env bash
# bench/realtime.sh: live margin (issue 12) in one command.
#
#   bash bench/realtime.sh [-T seconds] [-b big_accounts]
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs the benchmark in it
#
# Steps: the reference schema wb of bench/whatif.sql part=setup (a demo book
# of 1,000 accounts, one account with 50 BTC positions) with live margin on
# (portmargin.enable_live_margin); pgbench, -T seconds each, 1 and 2 clients,
# prepared: bench/realtime_pretrade.sql (a pre-trade check, rolled back; also
# sent as one pipeline, one round trip: pretrade-pl) and
# bench/realtime_trade.sql (a trade re-margined in its transaction); then
# ticks: the BTC index moved by 1%, committed, and process_margin_queue()
# timed (10 runs), next to the plain account_margin query over the same
# book; then the worker: the time from a committed tick until the accounts'
# margin_live rows are written, with start_live_margin_worker at a 10 ms
# poll; then the same tick on a book of -b accounts (default 100,000, about
# 1M positions: the demo book and 8 more option legs an account) against
# the plain snapshot of that book.
#
# Environment: PGBENCH (default /usr/lib/postgresql/15/bin/pgbench),
# PM_SERVER_OPTS, PM_PORT (default 54335).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=10 big=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --here) here=1; shift ;;
    -T) seconds="$2"; shift 2 ;;
    -b) big="$2"; shift 2 ;;
    *) echo "usage: $0 [-T seconds] [-b big_accounts]" >&2; exit 2 ;;
  esac
done

if [ "${here:-0}" = 0 ]; then
  . "$root/bench/machine.sh"
  export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=1GB -c jit=off -c max_wal_size=4GB}"
  export PM_PORT="${PM_PORT:-54335}"
  exec bash test/run.sh exec bash "$root/bench/realtime.sh" --here -T "$seconds" -b "$big"
fi

PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
tmp=$(mktemp -d /tmp/realtime.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

"${PSQL[@]}" -v part=setup -f bench/whatif.sql >/dev/null
read -r account btc_lo btc_hi < <(psql -X -At -F ' ' -c "SELECT account_id, btc_lo, btc_hi FROM wb.whatif_bench")
# a second account with the same 50 positions and collateral, for the second client (checks of one account
# are serialised by design; two clients check two accounts)
"${PSQL[@]}" <<SQL
INSERT INTO wb.accounts (account_id, name, method, call_level, liquidation_level, collateral_schedule, rulebook)
SELECT 1000001, name || ' (copy)', method, call_level, liquidation_level, collateral_schedule, rulebook
FROM wb.accounts WHERE account_id = $account;
INSERT INTO wb.positions SELECT 1000001, instrument_id, quantity, entry_price FROM wb.positions WHERE account_id = $account;
INSERT INTO wb.collateral SELECT 1000001, currency, balance FROM wb.collateral WHERE account_id = $account;
SQL
"${PSQL[@]}" -c "SELECT portmargin.enable_live_margin('wb')" >/dev/null
# the two accounts' aggregate state kept, as after any trade or accepted order (enable_live_margin, like a tick
# over many accounts, keeps none: an account's first order after it recomputes the account)
"${PSQL[@]}" -c "SELECT wb.refresh_live_margin(ARRAY[$account, 1000001]::bigint[])" >/dev/null

echo "== pgbench, -T $seconds per run, account $account (50 BTC positions; the second client: its copy) of a 1,000-account book, live margin on"
. "$root/bench/pgbench_latency.sh"
# before each run: the dead rows of the previous one vacuumed (the rolled-back checks leave about 1,000 a second in
# open_orders, which a recompute reads; autovacuum would take them within its naptime, a minute)
vacuum_live() { "${PSQL[@]}" -c "VACUUM wb.open_orders, wb.margin_live, wb.margin_live_state, wb.positions, wb.margin_calls"; }
pgbench_latency_header
# label, p99 target (ms), script, pipelined: each at 1 and 2 clients
while read -r label mark script pipelined <&3; do
  for c in 1 2; do
    vacuum_live
    PM_LATENCY_MARK_MS=$mark pgbench_latency "$label" prepared "$c" "$seconds" "$script" \
      -D account="$account" -D btc_lo="$btc_lo" -D btc_hi="$btc_hi" -D pipelined="$pipelined"
  done
done 3<<'RUNS'
pretrade 2 bench/realtime_pretrade.sql 0
pretrade-pl 2 bench/realtime_pretrade.sql 1
trade 3 bench/realtime_trade.sql 0
RUNS
echo "(>2ms for the pre-trade check, >3ms for the trade: the issue's p99 targets)"

# a tick: the BTC index moved and committed, then one pass of the queue, timed; the plain query next to it
tick_runs() {
  local schema=$1 runs=$2
  "${PSQL[@]}" -At <<SQL
CREATE TEMP TABLE t (what text, ms float8);
DO \$\$
DECLARE t0 timestamptz; n int;
BEGIN
  FOR k IN 1 .. $runs LOOP
    UPDATE $schema.index_prices SET price = price * CASE WHEN k % 2 = 0 THEN 1.01 ELSE 1 / 1.01 END WHERE underlying = 'BTC';
    t0 := clock_timestamp();
    n := $schema.process_margin_queue();
    INSERT INTO t VALUES ('tick (' || n || ' accounts re-margined)', extract(epoch FROM clock_timestamp() - t0) * 1000);
    t0 := clock_timestamp();
    PERFORM sum(initial_margin + maintenance_margin) FROM $schema.account_margin;
    INSERT INTO t VALUES ('plain account_margin query (every account margined)', extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END \$\$;
SELECT format('%s median %s ms  min %s ms  max %s ms  (%s runs)', rpad(what, 54),
              lpad(round(percentile_disc(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1)::text, 8),
              lpad(round(min(ms)::numeric, 1)::text, 8), lpad(round(max(ms)::numeric, 1)::text, 8), count(*))
FROM t GROUP BY what ORDER BY what DESC;
SQL
}
echo
echo "== a BTC tick on the 1,000-account book: process_margin_queue() after the committed tick"
tick_runs wb 10

echo
echo "== the worker: committed tick -> margin_live written, poll 10 ms (20 ticks, each its own session)"
"${PSQL[@]}" -c "SELECT portmargin.start_live_margin_worker('wb', '10 ms')" >/dev/null
for k in $(seq 1 20); do
  t0=$(psql -X -q -At -c "UPDATE wb.index_prices SET price = price * CASE WHEN $k % 2 = 0 THEN 1.01 ELSE 1 / 1.01 END WHERE underlying = 'BTC' RETURNING clock_timestamp()")
  psql -X -At -c "DO \$\$ BEGIN FOR i IN 1 .. 2000 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM wb.margin_queue); PERFORM pg_sleep(0.001); END LOOP; END \$\$" >/dev/null
  sleep 0.05
  psql -X -At -c "SELECT extract(epoch FROM max(updated_at) - '$t0'::timestamptz) * 1000 FROM wb.margin_live WHERE cause = 'tick'"
done | sort -n | awk '{v[NR] = $1} END {printf "staleness after a committed tick: median %.1f ms, max %.1f ms (%d ticks)\n", v[int((NR + 1) / 2)], v[NR], NR}'
"${PSQL[@]}" -c "SELECT portmargin.stop_live_margin_worker('wb')" >/dev/null

echo
echo "== a BTC tick on a book of $big accounts"
"${PSQL[@]}" <<SQL >/dev/null
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS big CASCADE;
SELECT portmargin.create_reference_schema('big');
SELECT portmargin.generate_demo_book('big', $big, 0.42);
-- the demo book holds about 3 positions an account; 8 more option legs on an underlying each account already holds
-- (spread over its strikes, expiries and both types, long and short, 1 to 3 contracts) make it about 10, as the
-- issue's 1M positions for 100,000 accounts
CREATE TEMP TABLE opt AS
SELECT underlying, instrument_id, row_number() OVER (PARTITION BY underlying ORDER BY instrument_id) - 1 AS rn,
       count(*) OVER (PARTITION BY underlying) AS n
FROM big.instruments WHERE kind = 'option';
INSERT INTO big.positions (account_id, instrument_id, quantity, entry_price)
SELECT a.account_id, o.instrument_id,
       CASE WHEN (a.account_id + k) % 3 = 0 THEN 1 ELSE -1 END * (1 + (a.account_id * k) % 3), NULL
FROM (SELECT p.account_id, min(i.underlying) AS underlying
      FROM big.positions p JOIN big.instruments i USING (instrument_id) GROUP BY p.account_id) a
CROSS JOIN generate_series(1, 8) k
JOIN (SELECT DISTINCT underlying, n FROM opt) c ON c.underlying = a.underlying
JOIN opt o ON o.underlying = a.underlying AND o.rn = (a.account_id * 31 + k * 17) % c.n
ON CONFLICT DO NOTHING;
VACUUM ANALYZE big.positions;
SQL
psql -X -At -c "SELECT format('%s accounts, %s positions', (SELECT count(*) FROM big.accounts), (SELECT count(*) FROM big.positions))"
"${PSQL[@]}" -c "SELECT portmargin.enable_live_margin('big')" >/dev/null
tick_runs big 3
