-- bench/realtime_pretrade.sql: one pgbench transaction of bench/realtime.sh: a pre-trade check of a sale of
-- 1 to 3 contracts of a random BTC instrument by the 50-position account, rolled back (the reservation
-- is not kept, so every check sees the same account).  Variables from pgbench -D: account, btc_lo, btc_hi; client 0 uses account, client 1 its copy 1000001.
\set acct :account + :client_id * (1000001 - :account)
\set i1 random(:btc_lo, :btc_hi)
\set q1 random(1, 3)
BEGIN;
SELECT accepted FROM wb.pretrade_check(:acct, ARRAY[:i1]::bigint[], '{sell}', ARRAY[:q1]::float8[]);
ROLLBACK;
