-- bench/var_cancel.sql: data for bench/var_cancel.sh, which measures how
-- late a statement_timeout of 100 ms cancels the tail statistics
-- (value_at_risk, expected_shortfall, the var method of portfolio_margin).
\set QUIET on
SET client_min_messages = warning;
SELECT setseed(0.5) \gset
DROP TABLE IF EXISTS vc_vec, vc_sets;
-- P&L vectors: 200k random; 200k whose losses rise along the array (every
-- element enters a running top-k: the worst case of an insertion selection);
-- 5M random
CREATE TABLE vc_vec AS
SELECT 'random 200k' AS name, array(SELECT random() - 0.5 FROM generate_series(1, 200000)) AS pnl
UNION ALL SELECT 'rising losses 200k', array(SELECT -g::float8 FROM generate_series(1, 200000) g)
UNION ALL SELECT 'random 5M', array(SELECT random() - 0.5 FROM generate_series(1, 5000000))
UNION ALL SELECT 'random 10M', array(SELECT random() - 0.5 FROM generate_series(1, 10000000));
-- 200,000- and 2,000,000-scenario joint sets (Monte Carlo, two underlyings) with the tail at 50%
CREATE TABLE vc_sets AS
SELECT 200000 AS n, portmargin.with_tail(portmargin.monte_carlo_scenarios('{A,B}', '{0.04,0.05}', '{{1,0.5},{0.5,1}}', 200000, 11), 0.5) AS s
UNION ALL
SELECT 2000000, portmargin.with_tail(portmargin.monte_carlo_scenarios('{A,B}', '{0.04,0.05}', '{{1,0.5},{0.5,1}}', 2000000, 12), 0.5);
ANALYZE vc_vec; ANALYZE vc_sets;
