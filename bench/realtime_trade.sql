-- bench/realtime_trade.sql: one pgbench transaction of bench/realtime.sh: a trade of the 50-position
-- account (1 to 3 contracts bought or sold of one of the 50 instruments it holds, added to the position,
-- so the account keeps its 50 positions), which live margin re-margins in the same transaction.
-- Variables from pgbench -D: account; client 0 uses account, client 1 its copy 1000001.
\set acct :account + :client_id * (1000001 - :account)
\set k random(0, 49)
\set q1 (2 * random(0, 1) - 1) * random(1, 3)
INSERT INTO wb.positions (account_id, instrument_id, quantity)
SELECT :acct, h.instrument_id, :q1
FROM (SELECT p.instrument_id FROM wb.positions p WHERE p.account_id = :acct ORDER BY p.instrument_id OFFSET :k LIMIT 1) h
ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = wb.positions.quantity + EXCLUDED.quantity;
