#!/usr/bin/env bash
# bench/sharded.sh: a book on one node vs two shards over postgres_fdw (issue 14, doc/sharding.md).
#
#   bash bench/sharded.sh [accounts [positions_per_account]]     default 10000 x 100 = 1M positions
#
# Builds and installs the extension, starts three throwaway clusters (one node
# that is both the single node and the coordinator, two shards: user postgres,
# Unix sockets in a temporary directory, ports PM_PORT .. PM_PORT+2, default
# 54365; removed on exit), loads generate_demo_book's instruments and market
# data (1,000 accounts' book) on all three, replaces its positions with
# accounts x positions_per_account generated ones (instruments and
# quantities by formula), sends them to the shards through the coordinator's
# partitioned table (portmargin.create_sharded_book) and times, best of 3:
#   per account on the single node, scenario set as a scalar sub-select and as
#   CROSS JOIN (SELECT preset(...)); per account on the shards, both forms and
#   margin_summary(portfolio_margin(...)) (only the summary fetched);
#   firm-wide and per-underlying totals from partial states (single node vs
#   firm_margin / margin_by_underlying); and, from EXPLAIN (ANALYZE, VERBOSE),
#   the rows each form fetches from the shards and, by re-running each Remote
#   SQL on a shard with COPY ... TO STDOUT, the bytes of those rows as text
#   (postgres_fdw's wire format, without the protocol's per-row framing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
accounts=${1:-10000}
per=${2:-100}
PG_BIN=${PM_PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"
port0=${PM_PORT:-54365}
. "$root/bench/machine.sh"
make -s PG_CONFIG="$PG_BIN/pg_config" >/dev/null
if [ "$(id -u)" = 0 ]; then make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null; else sudo make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null; fi
tmp=$(mktemp -d /tmp/portmargin-shbench.XXXXXX)
db=pm_bench
cluster_opts="-c shared_buffers=512MB -c work_mem=256MB -c max_parallel_workers_per_gather=0 -c jit=off"
. "$root/test/lib/three_clusters.sh"
echo "== data: $accounts accounts x $per positions"
t0=$(date +%s.%N)
c >/dev/null <<SQL
SELECT portmargin.generate_demo_book('venue', 1000, 0.42);
DELETE FROM venue.positions;
DELETE FROM venue.open_orders;
INSERT INTO venue.accounts (account_id, name) SELECT a, 'bench ' || a FROM generate_series(1001, $accounts) a;
-- account a holds $per consecutive instruments (in instrument_id order) from an offset of its own; quantities -10 .. 10, not 0
CREATE TEMP TABLE ins AS SELECT row_number() OVER (ORDER BY instrument_id) - 1 AS r, instrument_id FROM venue.instruments;
INSERT INTO venue.positions (account_id, instrument_id, quantity)
SELECT a, ins.instrument_id, CASE WHEN (a * 31 + j * 17) % 21 = 10 THEN 1 ELSE (a * 31 + j * 17) % 21 - 10 END
FROM generate_series(1, $accounts) a CROSS JOIN generate_series(0, $per - 1) j
JOIN ins ON ins.r = ((a * 7 + j) % (SELECT count(*) FROM ins));
VACUUM ANALYZE venue.positions;
SQL
for t in accounts instruments index_prices forwards implied_vols rates; do
  c -c "\\copy venue.$t TO STDOUT" > "$tmp/$t.copy"
  s1 -c "\\copy venue.$t FROM '$tmp/$t.copy'"; s2 -c "\\copy venue.$t FROM '$tmp/$t.copy'"
done
for f in s1 s2; do $f -c "SELECT portmargin.create_shard_view('venue')" >/dev/null; done
c >/dev/null <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$tmp', port '$((port0 + 1))', dbname 'pm_bench', extensions 'portmargin', async_capable 'true', fetch_size '10000', batch_size '1000');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$tmp', port '$((port0 + 2))', dbname 'pm_bench', extensions 'portmargin', async_capable 'true', fetch_size '10000', batch_size '1000');
CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres');
SELECT portmargin.create_sharded_book(ARRAY['shard1', 'shard2'], 'venue_shards', 'venue');
SQL
t1=$(date +%s.%N)
c -c "INSERT INTO venue_shards.positions SELECT account_id, instrument_id, quantity, entry_price FROM venue.positions"
t2=$(date +%s.%N)
for f in s1 s2; do $f -c "VACUUM ANALYZE venue.positions"; done
# the coordinator's statistics of the foreign partitions (postgres_fdw fetches the shards' rows to sample them), as
# doc/sharding.md advises after a large load: whether to send an aggregate is a cost decision
t3=$(date +%s.%N)
c -c "ANALYZE venue_shards.margin_positions_1" -c "ANALYZE venue_shards.margin_positions_2"
t4=$(date +%s.%N)
echo "positions: $(c -c "SELECT count(*) FROM venue.positions") on the single node; shard 1: $(s1 -c "SELECT count(*) FROM venue.positions"), shard 2: $(s2 -c "SELECT count(*) FROM venue.positions")"
echo "instruments: $(c -c "SELECT count(*) FROM venue.instruments"), underlyings: $(c -c "SELECT string_agg(DISTINCT underlying, ' ') FROM venue.instruments")"
awk -v a="$t0" -v b="$t1" -v d="$t2" -v e="$t3" -v f="$t4" 'BEGIN {printf "loading: book on the single node %.1f s; positions sent to the shards through the coordinator (batch_size 1000) %.1f s; ANALYZE of the two foreign partitions on the coordinator %.1f s\n", b - a, d - b, f - e}'

args="p.quantity, p.underlying, p.kind, p.option_type, p.strike, p.t, p.forward, p.vol, p.settlement, p.multiplier, p.index_price"
single_from="venue.positions q JOIN venue.instrument_market p0 USING (instrument_id)
  CROSS JOIN LATERAL (SELECT q.account_id, q.quantity, p0.underlying, p0.kind, p0.option_type, p0.strike, p0.t,
                             p0.forward, p0.vol, p0.settlement, p0.multiplier, p0.index_price) p"
declare -A Q
Q[single_sub]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc'))) m FROM $single_from GROUP BY p.account_id) x"
Q[single_cross]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.portfolio_margin($args, s.scenarios) m FROM $single_from CROSS JOIN (SELECT portmargin.preset('deribit-btc') AS scenarios) s GROUP BY p.account_id) x"
Q[shard_sub]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc'))) m FROM venue_shards.margin_positions p GROUP BY p.account_id) x"
Q[shard_cross]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.portfolio_margin($args, s.scenarios) m FROM venue_shards.margin_positions p CROSS JOIN (SELECT portmargin.preset('deribit-btc') AS scenarios) s GROUP BY p.account_id) x"
Q[shard_summary]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.margin_summary(portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc')))) m FROM venue_shards.margin_positions p GROUP BY p.account_id) x"
Q[shard_fn]="SELECT count(*), sum((margin).initial_margin) FROM venue_shards.margin_by_account(portmargin.preset('deribit-btc'))"
Q[single_firm]="SELECT (portmargin.finalize_margin(portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc'))))).initial_margin FROM $single_from"
Q[shard_firm]="SELECT (margin).initial_margin FROM venue_shards.firm_margin(portmargin.preset('deribit-btc'))"
Q[single_und]="SELECT count(*), sum((m).initial_margin) FROM (SELECT p.underlying, portmargin.finalize_margin(portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc')))) m FROM $single_from GROUP BY p.underlying) x"
Q[shard_und]="SELECT count(*), sum((margin).initial_margin) FROM venue_shards.margin_by_underlying(portmargin.preset('deribit-btc'))"
# the same rollups written out as a query (so that EXPLAIN shows the foreign scans)
und_q="SELECT u.underlying, portmargin.merge_margin_states(u.st) FROM (
  SELECT p.underlying, portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc'))) st FROM venue_shards.margin_positions_1 p GROUP BY p.underlying
  UNION ALL
  SELECT p.underlying, portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc'))) st FROM venue_shards.margin_positions_2 p GROUP BY p.underlying) u GROUP BY u.underlying"
best() {  # best of 3 wall-clock times (ms) of query $1, with partitionwise aggregation on; prints "ms result"
  local b="" r="" t
  for _ in 1 2 3; do
    out=$(c -c "SET enable_partitionwise_aggregate = on" -c "\\timing on" -c "$1")
    t=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
    r=$(echo "$out" | grep -v '^Time:' | tail -n 1)
    if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN {exit !(t < b)}'; then b=$t; fi
  done
  printf '%8.0f ms  %s\n' "$b" "$r"
}
echo "== timings (best of 3; the result: rows, sum of initial margin)"
for k in single_sub single_cross shard_sub shard_cross shard_summary shard_fn single_firm shard_firm single_und shard_und; do
  printf '%-13s ' "$k"; best "${Q[$k]}"
done
fetched() {  # rows (EXPLAIN ANALYZE VERBOSE) and text bytes (Remote SQL re-run with COPY on shard 1 and 2) fetched by query $1
  local plan rows sqls bytes=0 k=0 sql b t0 ms=""
  plan=$(c -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) $1")
  rows=$(echo "$plan" | grep -A0 'Foreign Scan' | sed -n 's/.*(actual rows=\([0-9]*\) loops=\([0-9]*\)).*/\1 \2/p' | awk '{s += $1 * $2} END {print s}')
  sqls=$(echo "$plan" | sed -n 's/^ *Remote SQL: //p' | sed "s/\$1::portmargin.scenario_set/portmargin.preset('deribit-btc')/g")
  while IFS= read -r sql; do
    k=$((k + 1))
    t0=$(date +%s%N)
    if [ "$k" = 1 ]; then b=$(s1 -c "\\copy ($sql) TO STDOUT" | wc -c); else b=$(s2 -c "\\copy ($sql) TO STDOUT" | wc -c); fi
    ms="$ms $(( ($(date +%s%N) - t0) / 1000000 ))"
    bytes=$((bytes + b))
  done <<< "$sqls"
  echo "$rows rows, $bytes bytes from $k foreign scans (each Remote SQL alone on its shard, COPY to a pipe:$ms ms)"
  [ -n "${PM_BENCH_PLANS:-}" ] && echo "$plan" | sed 's/^/#   /'
  return 0
}
c -c "ALTER SERVER shard1 OPTIONS (SET async_capable 'false')" -c "ALTER SERVER shard2 OPTIONS (SET async_capable 'false')"
printf '%-13s ' "shard_sub, async_capable off"; best "${Q[shard_sub]}"
printf '%-13s ' "shard_firm, async_capable off"; best "${Q[shard_firm]}"
c -c "ALTER SERVER shard1 OPTIONS (SET async_capable 'true')" -c "ALTER SERVER shard2 OPTIONS (SET async_capable 'true')"
# postgres_fdw reads through a cursor, which the shard plans for the first 10% of the rows (cursor_tuple_fraction):
# nested loops over the indexes instead of hash joins; the libpq option sets it to 1 in the shards' sessions
c -c "ALTER SERVER shard1 OPTIONS (ADD options '-c cursor_tuple_fraction=1')" -c "ALTER SERVER shard2 OPTIONS (ADD options '-c cursor_tuple_fraction=1')"
for k in shard_sub shard_summary shard_firm; do printf '%-13s ' "$k, cursor_tuple_fraction=1"; best "${Q[$k]}"; done
c -c "ALTER SERVER shard1 OPTIONS (DROP options)" -c "ALTER SERVER shard2 OPTIONS (DROP options)"
echo "== fetched by the coordinator"
printf '%-13s %s\n' shard_sub "$(fetched "${Q[shard_sub]}")"
printf '%-13s %s\n' shard_cross "$(fetched "${Q[shard_cross]}")"
printf '%-13s %s\n' shard_summary "$(fetched "${Q[shard_summary]}")"
printf '%-13s %s\n' shard_und "$(fetched "$und_q")"
for f in s1 s2; do
  printf '%-13s %s\n' "$f alone" "$(c -c "SELECT 1" >/dev/null; $f -c "\\timing on" -c "SELECT count(*), sum((m).initial_margin) FROM (SELECT p.account_id, portmargin.portfolio_margin($args, portmargin.preset('deribit-btc')) m FROM venue.margin_positions p GROUP BY p.account_id) x" | tr '\n' ' ')"
done
