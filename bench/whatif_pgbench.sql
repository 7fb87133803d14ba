-- bench/whatif_pgbench.sql: one pgbench transaction of bench/whatif.sh, the
-- what-if margin of the 50-position account with two proposed orders on two
-- different random BTC instruments (ids btc_lo..btc_hi, options, futures or
-- the perpetual), each buying or selling 1 to 10 contracts.
-- Variables from pgbench -D: account, btc_lo, btc_hi.
\set i1 random(:btc_lo, :btc_hi)
\set i2 :btc_lo + (:i1 - :btc_lo + random(1, :btc_hi - :btc_lo)) % (:btc_hi - :btc_lo + 1)
\set q1 (2 * random(0, 1) - 1) * random(1, 10)
\set q2 (2 * random(0, 1) - 1) * random(1, 10)
SELECT (wb.whatif_margin(:account, ARRAY[:i1, :i2]::bigint[], ARRAY[:q1, :q2]::float8[])).initial_margin;
