-- bench/realtime_trade.sql: one pgbench transaction of bench/realtime.sh: a trade of the 50-position
-- account (1 to 3 contracts bought or sold of a random BTC instrument, added to the position), which
-- live margin re-margins in the same transaction.  Variables from pgbench -D: account, btc_lo, btc_hi; client 0 uses account, client 1 its copy 1000001.
\set acct :account + :client_id * (1000001 - :account)
\set i1 random(:btc_lo, :btc_hi)
\set q1 (2 * random(0, 1) - 1) * random(1, 3)
INSERT INTO wb.positions (account_id, instrument_id, quantity) VALUES (:acct, :i1, :q1)
ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = wb.positions.quantity + EXCLUDED.quantity;
