#!/usr/bin/env bash
# test/sharded.sh: a sharded book over postgres_fdw (issue 14, doc/sharding.md).
# Starts three throwaway clusters (a coordinator and two shards: user
# postgres, Unix sockets in a temporary directory, ports PM_SHARD_PORT ..
# PM_SHARD_PORT+2, removed on exit), loads generate_demo_book's book into the
# coordinator's reference schema (the single node), replicates accounts,
# instruments and market data to both shards and sends the positions to the
# shard of their account through the coordinator's partitioned table
# (portmargin.create_sharded_book); then asserts that the aggregates run on
# the shards (Remote SQL), concurrently (Async Append), give per-account
# margins text-identical to the single node, firm and per-underlying totals
# from merged partial states within 1e-12 relative, and that a stopped
# shard is an ERROR, never a partial total.  Run by test/run.sh (PATH has
# the PostgreSQL binaries, the extension is installed); prints "ok" /
# "not ok" lines and exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=${PM_PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"
port0=${PM_SHARD_PORT:-54330}
accounts=${PM_SHARD_ACCOUNTS:-2000}
tmp=$(mktemp -d /tmp/portmargin-shard.XXXXXX)
db=pm_shard
cluster_opts="-c max_parallel_workers_per_gather=0"
. "$root/test/lib/three_clusters.sh"
failed=0 n=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  n=$((n + 1))
  if [ "$2" = "$3" ]; then echo "ok $n - $1"
  else echo "not ok $n - $1"; echo "#   expected: $2"; echo "#   got:      $3" | head -c 2000; echo; failed=$((failed + 1)); fi
}

# the single node: the whole book on the coordinator
c -c "SELECT portmargin.generate_demo_book('venue', $accounts, 0.42)" >/dev/null
# the shards: the replicated tables (the demo book's, copied as a DBA would replicate them), the view
for t in accounts instruments index_prices forwards implied_vols rates; do
  c -c "\\copy venue.$t TO STDOUT" > "$tmp/$t.copy"
  s1 -c "\\copy venue.$t FROM '$tmp/$t.copy'"
  s2 -c "\\copy venue.$t FROM '$tmp/$t.copy'"
done
check "create_shard_view on a shard returns the view's name" "venue.margin_positions" \
  "$(s1 -c "SELECT portmargin.create_shard_view('venue')")"
s2 -c "SELECT portmargin.create_shard_view('venue')" >/dev/null

# the coordinator: one server per shard, async_capable, with extensions 'portmargin'
c >/dev/null <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$tmp', port '$((port0 + 1))', dbname 'pm_shard', extensions 'portmargin', async_capable 'true', fetch_size '10000', options '-c cursor_tuple_fraction=1');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '$tmp', port '$((port0 + 2))', dbname 'pm_shard', extensions 'portmargin', async_capable 'true', fetch_size '10000', options '-c cursor_tuple_fraction=1');
CREATE SERVER shard_noext FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$tmp', port '$((port0 + 1))', dbname 'pm_shard');
CREATE SERVER shard_old FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$tmp', port '$((port0 + 1))', dbname 'pm_old', extensions 'portmargin');
CREATE SERVER shard_none FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$tmp', port '$((port0 + 1))', dbname 'postgres', extensions 'portmargin');
CREATE USER MAPPING FOR postgres SERVER shard_old OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard_none OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard_noext OPTIONS (user 'postgres');
SQL
errq() {  # SQLSTATE and message of a statement that should fail ("none" if it does not)
  c -c "CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS \$f\$
          BEGIN EXECUTE q; RETURN 'none'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ' ' || SQLERRM; END \$f\$" \
    -c "SELECT pg_temp.err(\$q\$$1\$q\$)"
}
check "a server without extensions 'portmargin' is refused (22023, named)" \
  "22023 invalid value for argument \"servers\": foreign server shard_noext does not list extension portmargin" \
  "$(errq "SELECT portmargin.create_sharded_book(ARRAY['shard1', 'shard_noext'], 'bad')")"
check "an unknown server is refused (22023)" \
  "22023 invalid value for argument \"servers\": foreign server nosuch does not exist" \
  "$(errq "SELECT portmargin.create_sharded_book(ARRAY['nosuch'], 'bad')")"
check "a NULL list of servers is refused (22004)" "22004 argument \"servers\" must not be NULL" \
  "$(errq "SELECT portmargin.create_sharded_book(NULL, 'bad')")"
# a shard with another portmargin version (0.3.1, the previous release) or without it
s1 -d postgres -c "CREATE DATABASE pm_old"
s1 -d pm_old -c "CREATE EXTENSION portmargin VERSION '0.3.1'"
version=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$root/portmargin.control")
check "a shard running portmargin 0.3.1 is refused (22023, both versions named)" \
  "22023 invalid value for argument \"servers\": foreign server shard_old runs portmargin 0.3.1, this server $version" \
  "$(errq "SELECT portmargin.create_sharded_book(ARRAY['shard1', 'shard_old'], 'bad')")"
check "a shard without portmargin is refused (22023)" \
  "22023 invalid value for argument \"servers\": foreign server shard_none runs portmargin (not installed), this server $version" \
  "$(errq "SELECT portmargin.create_sharded_book(ARRAY['shard_none'], 'bad')")"
check "a refused call leaves nothing behind (its schema rolled back)" "" "$(c -c "SELECT nspname FROM pg_namespace WHERE nspname = 'bad'")"
check "create_sharded_book returns the partitioned table's name" "venue_shards.margin_positions" \
  "$(c -c "SELECT portmargin.create_sharded_book(ARRAY['shard1', 'shard2'], 'venue_shards', 'venue')")"
check "portmargin_versions: both shards run this version ($version, portmargin.control)" "1 shard1 $version|2 shard2 $version" \
  "$(c -c "SELECT string_agg(format('%s %s %s', shard, server, extversion), '|' ORDER BY shard) FROM venue_shards.portmargin_versions")"
# positions go to the shard of their account through the coordinator's hash partitioning
c -c "INSERT INTO venue_shards.positions SELECT account_id, instrument_id, quantity, entry_price FROM venue.positions"
total=$(c -c "SELECT count(*) FROM venue.positions")
n1=$(s1 -c "SELECT count(*) FROM venue.positions")
n2=$(s2 -c "SELECT count(*) FROM venue.positions")
check "the positions are split over both shards ($n1 + $n2 = $total)" "yes $total" \
  "$([ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && echo yes) $((n1 + n2))"
s1 -c "\\copy (SELECT DISTINCT account_id FROM venue.positions) TO '$tmp/acc1'"
s2 -c "\\copy (SELECT DISTINCT account_id FROM venue.positions) TO '$tmp/acc2'"
check "no account has positions on both shards" "0" "$(sort -n "$tmp/acc1" "$tmp/acc2" | uniq -d | wc -l)"

args="p.quantity, p.underlying, p.kind, p.option_type, p.strike, p.t, p.forward, p.vol, p.settlement, p.multiplier, p.index_price"
single_acc="SELECT p.account_id, portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc'))) AS m
            FROM venue.positions q JOIN venue.instrument_market p0 USING (instrument_id)
            CROSS JOIN LATERAL (SELECT q.account_id, q.quantity, p0.underlying, p0.kind, p0.option_type, p0.strike, p0.t,
                                       p0.forward, p0.vol, p0.settlement, p0.multiplier, p0.index_price) p
            GROUP BY p.account_id"
shard_acc="SELECT p.account_id, portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc'))) AS m
           FROM venue_shards.margin_positions p GROUP BY p.account_id"
plan=$(c -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (VERBOSE, COSTS OFF) $shard_acc")
[ -n "${PM_SHARD_DEBUG:-}" ] && echo "$plan" | sed 's/^/# /'
check "per account (partitioned table, enable_partitionwise_aggregate): both shards' Remote SQL has portfolio_margin" "2" \
  "$(echo "$plan" | grep 'Remote SQL:' | grep -c 'portmargin.portfolio_margin(')"
check "per account: an asynchronous Append runs the shards concurrently (both scans Async Foreign Scan)" "2" "$(echo "$plan" | grep -c 'Async Foreign Scan')"
check "per account: the scenario set goes to the shards as a parameter (an InitPlan, not a per-row preset() call)" "0" \
  "$(echo "$plan" | grep 'Remote SQL:' | grep -c 'preset(')"
plan_x=$(c -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (VERBOSE, COSTS OFF)
  SELECT p.account_id, portmargin.portfolio_margin($args, s.scenarios) FROM venue_shards.margin_positions p
  CROSS JOIN (SELECT portmargin.preset('deribit-btc') AS scenarios) s GROUP BY p.account_id")
check "per account, CROSS JOIN (SELECT preset(...)) form: flattened into a per-row STABLE preset() call, the aggregate stays on the coordinator" "0" \
  "$(echo "$plan_x" | grep 'Remote SQL:' | grep -c 'portfolio_margin')"

# text equality of every account's margin (all fields of portmargin.margin) with the single node
q_text="SELECT count(*) || ' ' || md5(string_agg(account_id || '=' || m::text, ';' ORDER BY account_id)) FROM"
single=$(c -c "$q_text ($single_acc) x")
check "per account, partitioned table: the margins are text-identical to the single node's" "$single" \
  "$(c -c "SET enable_partitionwise_aggregate = on" -c "$q_text ($shard_acc) x")"
check "per account, venue_shards.margin_by_account: text-identical to the single node's" "$single" \
  "$(c -c "$q_text (SELECT account_id, margin AS m FROM venue_shards.margin_by_account(portmargin.preset('deribit-btc'))) x")"
check "per account: the book has accounts with margin" "yes" \
  "$(c -c "SELECT CASE WHEN count(*) > 100 THEN 'yes' END FROM ($single_acc) x WHERE (m).initial_margin > 0")"

# margin_summary: computed on the shards with the aggregate, only the summary fetched
shard_sum="SELECT p.account_id, portmargin.margin_summary(portmargin.portfolio_margin($args, (SELECT portmargin.preset('deribit-btc')))) AS s
           FROM venue_shards.margin_positions p GROUP BY p.account_id"
plan_s=$(c -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (VERBOSE, COSTS OFF) $shard_sum")
[ -n "${PM_SHARD_DEBUG:-}" ] && echo "$plan_s" | sed "s/^/# /"
check "per account, margin_summary(portfolio_margin(...)): both shards' Remote SQL computes the summary" "2" \
  "$(echo "$plan_s" | grep 'Remote SQL:' | grep -c 'portmargin.margin_summary(portmargin.portfolio_margin(')"
# the summary is the single node's margin with pnl, unit_margins and units NULL, every other field equal
check "per account, margin_summary from the shards: every other field equal to the single node's margin, the three vectors NULL" "0" \
  "$(c -c "SET enable_partitionwise_aggregate = on" -c "SELECT count(*) FROM ($single_acc) x FULL JOIN ($shard_sum) y USING (account_id)
           WHERE x.account_id IS NULL OR y.account_id IS NULL
              OR to_jsonb(x.m) - 'pnl' - 'unit_margins' - 'units' IS DISTINCT FROM to_jsonb(y.s) - 'pnl' - 'unit_margins' - 'units'
              OR (y.s).pnl IS NOT NULL OR (y.s).unit_margins IS NOT NULL OR (y.s).units IS NOT NULL
              OR (x.m).pnl IS NULL")"

# firm and per-underlying totals from the shards' partial states; the rollups' plans (auto_explain) show the state pushed down
rel="abs(a - b) <= 1e-12 * greatest(abs(a), abs(b))"
single_firm="SELECT (portmargin.finalize_margin(portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc'))))) AS m
             FROM venue.positions q JOIN venue.instrument_market p0 USING (instrument_id)
             CROSS JOIN LATERAL (SELECT q.quantity, p0.underlying, p0.kind, p0.option_type, p0.strike, p0.t,
                                        p0.forward, p0.vol, p0.settlement, p0.multiplier, p0.index_price) p"
check "firm_margin: initial and maintenance margin within 1e-12 relative of the single node's (and positive)" "t" \
  "$(c -c "SELECT bool_and($rel AND a > 0) FROM (SELECT (x.m).initial_margin a, (y.margin).initial_margin b FROM ($single_firm) x, venue_shards.firm_margin(portmargin.preset('deribit-btc')) y
           UNION ALL SELECT (x.m).maintenance_margin, (y.margin).maintenance_margin FROM ($single_firm) x, venue_shards.firm_margin(portmargin.preset('deribit-btc')) y) z")"
single_und="SELECT p.underlying, portmargin.finalize_margin(portmargin.portfolio_margin_state($args, (SELECT portmargin.preset('deribit-btc')))) AS m
            FROM venue.positions q JOIN venue.instrument_market p0 USING (instrument_id)
            CROSS JOIN LATERAL (SELECT q.quantity, p0.underlying, p0.kind, p0.option_type, p0.strike, p0.t,
                                       p0.forward, p0.vol, p0.settlement, p0.multiplier, p0.index_price) p
            GROUP BY p.underlying"
und=$(c -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE $rel) FROM (
              SELECT (x.m).initial_margin a, (y.margin).initial_margin b FROM ($single_und) x
              FULL JOIN venue_shards.margin_by_underlying(portmargin.preset('deribit-btc')) y USING (underlying)
              UNION ALL
              SELECT (x.m).maintenance_margin, (y.margin).maintenance_margin FROM ($single_und) x
              FULL JOIN venue_shards.margin_by_underlying(portmargin.preset('deribit-btc')) y USING (underlying)) z")
nu=$(c -c "SELECT count(DISTINCT underlying) FROM venue.instruments i JOIN venue.positions USING (instrument_id)")
check "margin_by_underlying: every underlying's ($nu) initial and maintenance margin within 1e-12 relative" "$((2 * nu)) $((2 * nu))" "$und"
c -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" -c "SET auto_explain.log_nested_statements = on" \
  -c "SET auto_explain.log_verbose = on" -c "SELECT 'pm-marker-start'" \
  -c "SELECT count(*) FROM venue_shards.firm_margin(portmargin.preset('deribit-btc'))" \
  -c "SELECT count(*) FROM venue_shards.margin_by_underlying(portmargin.preset('deribit-btc'))" \
  -c "SELECT count(*) FROM venue_shards.margin_by_account(portmargin.preset('deribit-btc'))" >/dev/null
logged=$(sed -n '/pm-marker-start/,$p' "$tmp/coord.log")
check "rollups (auto_explain): the shards' Remote SQL of firm_margin and margin_by_underlying has portfolio_margin_state (4 scans), margin_by_account portfolio_margin (2)" "4 2" \
  "$(echo "$logged" | grep 'Remote SQL:' | grep -c 'portmargin.portfolio_margin_state(') $(echo "$logged" | grep 'Remote SQL:' | grep -c 'portmargin.portfolio_margin(')"
check "rollups: the shards run concurrently in each of the three (6 Async Foreign Scans)" "6" "$(echo "$logged" | grep -c 'Async Foreign Scan')"

# the coordinator's own reference schema over the sharded positions: its views read the shards
c -c "SET client_min_messages = warning" -c "SELECT portmargin.create_reference_schema('venue_c')" >/dev/null
for t in accounts collateral instruments index_prices forwards implied_vols rates; do
  c -c "INSERT INTO venue_c.$t SELECT * FROM venue.$t"
done
check "use_sharded_positions makes venue_c.positions a view over the shards" "venue_c.positions" \
  "$(c -c "SELECT portmargin.use_sharded_positions('venue_c', 'venue_shards')")"
# over the shards the coordinator's join reads each account's rows in another order than the single node:
# sums agree to rounding, so the numbers are compared within 1e-12 relative and the rest exactly
n_single=$(c -c "SELECT count(*) FROM venue.account_margin")
check "the single node's account_margin has the book's accounts" "yes" "$([ "$n_single" -gt 100 ] && echo yes)"
check "the coordinator's account_margin over the shards: the same accounts, methods and statuses, equity, initial and maintenance margin and excess within 1e-12 relative" \
  "$n_single $n_single" \
  "$(c -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE a.method = b.method AND a.status = b.status
             AND abs(a.equity - b.equity) <= 1e-12 * greatest(abs(a.equity), 1)
             AND abs(a.initial_margin - b.initial_margin) <= 1e-12 * greatest(abs(a.initial_margin), 1)
             AND abs(a.maintenance_margin - b.maintenance_margin) <= 1e-12 * greatest(abs(a.maintenance_margin), 1)
             AND abs(a.excess - b.excess) <= 1e-12 * greatest(abs(a.equity), abs(a.initial_margin), 1))
           FROM venue.account_margin a FULL JOIN venue_c.account_margin b USING (account_id)")"
check "... and account_unit_margin: the same units, initial margins within 1e-12 relative" \
  "$(c -c "SELECT count(*) FROM venue.account_unit_margin") yes" \
  "$(c -c "SELECT count(*) || ' ' || CASE WHEN bool_and(abs(a.initial_margin - b.initial_margin) <= 1e-12 * greatest(abs(a.initial_margin), 1e-300))
                                           THEN 'yes' END
           FROM venue.account_unit_margin a JOIN venue_c.account_unit_margin b USING (account_id, underlying, settlement)")"
check "a reference schema that holds positions is refused (22023)" \
  "22023 invalid value for argument \"target\": reference schema venue holds positions" \
  "$(errq "SELECT portmargin.use_sharded_positions('venue', 'venue_shards')")"

# a stopped shard: an ERROR naming it, never a partial total
as_pg pg_ctl -D "$tmp/shard2" -m fast -w stop >/dev/null
for q in "SELECT count(*) FROM venue_shards.firm_margin(portmargin.preset('deribit-btc'))" \
         "SELECT count(*) FROM venue_shards.margin_by_underlying(portmargin.preset('deribit-btc'))" \
         "SELECT count(*) FROM venue_shards.margin_by_account(portmargin.preset('deribit-btc'))" \
         "SELECT count(*) FROM ($shard_acc) x"; do
  e=$(errq "$q")
  check "shard 2 stopped: ${q:0:70}... fails with 08001, naming the server" "08001 yes" \
    "${e%% *} $(echo "$e" | grep -q 'could not connect to server "shard2"' && echo yes)"
done
echo "# $n checks, $failed failed"
[ -n "${PM_SHARD_KEEP:-}" ] && echo "# kept: $tmp"
[ "$failed" = 0 ]
