-- bench/realtime_pretrade_pipelined.sql: bench/realtime_pretrade.sql with BEGIN, the check and ROLLBACK sent as one
-- pipeline: one round trip, as a gateway sending the check as a single autocommit statement would make.  The
-- rollback only keeps the account the same for every check; its two extra round trips in realtime_pretrade.sql
-- cost about 0.3 ms at 1 client on the 2-vCPU machine of doc/performance.md.
-- Variables from pgbench -D: account, btc_lo, btc_hi; client 0 uses account, client 1 its copy 1000001.
\set acct :account + :client_id * (1000001 - :account)
\set i1 random(:btc_lo, :btc_hi)
\set q1 random(1, 3)
\startpipeline
BEGIN;
SELECT accepted FROM wb.pretrade_check(:acct, ARRAY[:i1]::bigint[], '{sell}', ARRAY[:q1]::float8[]);
ROLLBACK;
\endpipeline
