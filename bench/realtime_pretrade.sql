-- bench/realtime_pretrade.sql: one pgbench transaction of bench/realtime.sh: a pre-trade check of a sale of
-- 1 to 3 contracts of a random BTC instrument by the 50-position account, rolled back (the reservation
-- is not kept, so every check sees the same account).  With -D pipelined=1, BEGIN, the check and ROLLBACK
-- go as one pipeline: one round trip, as a gateway sending the check as a single autocommit statement would
-- make (the rollback only keeps the account the same for every check; its two extra round trips cost about
-- 0.3 ms at 1 client on the machine of doc/performance.md).
-- Variables from pgbench -D: account, btc_lo, btc_hi, pipelined (0 or 1); client 0 uses account, client 1
-- its copy 1000001.
\set acct :account + :client_id * (1000001 - :account)
\set i1 random(:btc_lo, :btc_hi)
\set q1 random(1, 3)
\if :pipelined
\startpipeline
\endif
BEGIN;
SELECT accepted FROM wb.pretrade_check(:acct, ARRAY[:i1]::bigint[], '{sell}', ARRAY[:q1]::float8[]);
ROLLBACK;
\if :pipelined
\endpipeline
\endif
