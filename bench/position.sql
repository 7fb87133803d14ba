-- bench/position.sql: the per-row cost of the position input (issue 11).
--   PM_SERVER_OPTS="-c shared_buffers=512MB -c jit=off" bash test/run.sh exec psql -X -f bench/position.sql
-- 1,000,000 rows (a 108-instrument Deribit book: options and futures, 1,000
-- accounts), serial, seven rounds of: the bare scan; portfolio_margin in
-- its 12-argument positional form; the position form with position() and
-- named arguments; a stored column of type portmargin.position; ROW(...)::
-- portmargin.position; position() alone.  Every margin query prints the same
-- sum.  Results: doc/margin.md#the-position-form.
\set QUIET on
SET max_parallel_workers_per_gather = 0; SET jit = off; SET work_mem = '256MB';
DROP TABLE IF EXISTS bp;
CREATE TABLE bp AS
SELECT (g % 1000) AS acct, (((g * 7919) % 21) - 10)::float8 AS q, 'BTC'::text AS u,
       CASE WHEN g % 5 = 0 THEN 'future' ELSE 'option' END AS kind,
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 2 = 0 THEN 'call' ELSE 'put' END AS ot,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 60000 + 1000 * ((g * 31) % 40 - 20) END::float8 AS k,
       ((1 + (g * 13) % 12) * 30 / 365.0)::float8 AS t, 60500::float8 AS f,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 0.5 + 0.01 * ((g * 17) % 20) END::float8 AS v,
       'inverse'::text AS s, 1::float8 AS m, 60000::float8 AS ix
FROM generate_series(1::bigint, 1000000) g;
ALTER TABLE bp ADD COLUMN p portmargin.position;
UPDATE bp SET p = portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot,
                                      forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix);
VACUUM ANALYZE bp;
SELECT count(DISTINCT (kind, ot, k, t, v)) AS instruments FROM bp;
\timing on
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
\echo scan
SELECT sum(q), count(k), count(v), count(t), count(s) FROM bp;
\echo 12-arg
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(q, u, kind, ot, k, t, f, v, s, m, ix, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo position()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix), (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo stored
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(p, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ROW()
SELECT sum((m).initial_margin) FROM (SELECT acct, portmargin.portfolio_margin(ROW(q, u, kind, s, ot, f, k, t, v, m, ix)::portmargin.position, (SELECT portmargin.preset('deribit-btc'))) m FROM bp GROUP BY acct) x;
\echo ctor
SELECT count(portmargin.position(quantity => q, underlying => u, kind => kind, settlement => s, option_type => ot, forward => f, strike => k, t => t, vol => v, multiplier => m, index_price => ix)) FROM bp;
