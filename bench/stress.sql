-- bench/stress.sql: the stress report (doc/stress-testing.md) against one
-- margin pass over the same book, and against the plain SQL a user would
-- write without stress_pnl; and the stress_pnl aggregate alone over a large
-- book, serial and with 2 parallel workers, next to a plain GROUP BY.
--
-- Run with `bash bench/stress.sh` (throwaway cluster), or against any database
-- with the extension:  psql -X -v ON_ERROR_STOP=1 -f bench/stress.sql
--
-- psql variables (-v name=value): accounts (1000: the demo book of
-- doc/demo.sql, generate_demo_book(.., 1000, 0.42)), runs (5), big (1000000:
-- positions of part 2).
--
-- Part 1: reference schema stress_bench with the demo book, create_stress_tables,
-- and 20 stress scenarios: the 10 of portmargin.stress_library and their mirrors.
-- Part 2: `big` positions in 10,000 accounts over 600 instruments (options
-- linear and coin-settled, futures) on 3 underlyings; the 20 scenarios' set.

\if :{?accounts}
\else
\set accounts 1000
\endif
\if :{?runs}
\else
\set runs 5
\endif
\if :{?big}
\else
\set big 1000000
\endif

\ir lib/session.sql

\echo == part 1: the demo book (:accounts accounts) with 20 stress scenarios
DROP SCHEMA IF EXISTS stress_bench CASCADE;
SELECT portmargin.create_reference_schema('stress_bench') \gset
SELECT portmargin.generate_demo_book('stress_bench', :accounts, 0.42) \gset
SELECT portmargin.create_stress_tables('stress_bench') \gset
INSERT INTO stress_bench.stress_scenarios (name, scenario)
SELECT name, scenario FROM portmargin.stress_library
UNION ALL SELECT (portmargin.mirrored(scenario)).name, portmargin.mirrored(scenario) FROM portmargin.stress_library;
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM stress_bench.accounts) AS accounts, (SELECT count(*) FROM stress_bench.positions) AS positions,
       (SELECT count(*) FROM stress_bench.collateral) AS balances, (SELECT count(*) FROM stress_bench.stress_scenarios) AS scenarios;

-- part 1 (ord < 10): serial only (the target is serial); part 2: 0 and 2 workers
CREATE TEMP TABLE bench_queries (ord int PRIMARY KEY, part int, label text, sql text, workers int[] NOT NULL DEFAULT '{0,2}');
INSERT INTO bench_queries VALUES
(1, 1, '(m) one margin pass: every row of account_margin',
 $q$SELECT count(*), sum(x.initial_margin + x.equity) FROM (SELECT * FROM stress_bench.account_margin OFFSET 0) x$q$),
(2, 1, '(s) the stress report: every row of stress_losses (account x scenario)',
 $q$SELECT count(*), sum(x.loss + x.uncovered + x.loss_beyond_margin) FROM (SELECT * FROM stress_bench.stress_losses OFFSET 0) x$q$),
(3, 1, '(c) cover-1 / cover-2: stress_cover (the report aggregated)',
 $q$SELECT count(*), sum(x.cover_1 + x.cover_2 + x.cover_2_margin) FROM (SELECT * FROM stress_bench.stress_cover OFFSET 0) x$q$),
-- what a user writes without stress_pnl: every position revalued in every scenario with portmargin's pricing functions
(4, 1, '(p) the report in plain SQL with black76_price per position and scenario',
 $q$WITH sc AS (
      SELECT s.name, u.und, u.m, u.v
      FROM stress_bench.stress_scenarios s,
           unnest((s.scenario).underlyings, (s.scenario).price_moves, (s.scenario).vol_shifts) u(und, m, v)),
    x AS (
      SELECT p.account_id, p.quantity, m.underlying, m.kind, m.settlement, m.option_type, m.forward, m.strike, m.t, m.vol,
             m.multiplier, m.index_price, m.rate
      FROM stress_bench.positions p JOIN stress_bench.instrument_market m USING (instrument_id)
      UNION ALL
      SELECT c.account_id, c.balance, c.currency, 'spot', 'linear', NULL, ix.price, NULL, NULL, NULL, 1, ix.price, NULL
      FROM stress_bench.collateral c JOIN stress_bench.index_prices ix ON ix.underlying = c.currency),
    pnl AS (
      SELECT x.account_id, sc.name, sum(x.quantity * x.multiplier * CASE
               WHEN x.kind = 'option' THEN
                 (portmargin.black76_price(x.option_type, x.forward * (1 + sc.m), x.strike, x.t, greatest(0, x.vol + coalesce(sc.v, 0)),
                                           CASE WHEN x.settlement = 'linear' THEN x.rate ELSE 0 END)
                  - portmargin.black76_price(x.option_type, x.forward, x.strike, x.t, x.vol,
                                             CASE WHEN x.settlement = 'linear' THEN x.rate ELSE 0 END))
                 * CASE WHEN x.settlement = 'inverse' THEN x.index_price / x.forward ELSE 1 END
               WHEN x.kind IN ('future', 'perpetual') AND x.settlement = 'inverse' THEN x.index_price * sc.m
               ELSE x.forward * sc.m END) AS pnl
      FROM x JOIN sc ON sc.und = x.underlying
      GROUP BY x.account_id, sc.name)
    SELECT count(*), sum(l.loss + l.uncovered)
    FROM (SELECT a.account_id, s.name, -coalesce(pnl.pnl, 0) AS loss,
                 greatest(0, -coalesce(pnl.pnl, 0) - a.gross_equity) AS uncovered
          FROM stress_bench.account_margin_detail a CROSS JOIN stress_bench.stress_scenarios s
          LEFT JOIN pnl ON pnl.account_id = a.account_id AND pnl.name = s.name) l$q$);

\echo == part 2: the stress_pnl aggregate over :big positions
DROP TABLE IF EXISTS stress_bench_big, stress_bench_instruments, stress_bench_set;
SELECT setseed(0.42) \gset
CREATE TABLE stress_bench_instruments AS
SELECT i AS instrument_id, (ARRAY['BTC', 'ETH', 'SPX'])[1 + i % 3] AS underlying,
       CASE WHEN i % 10 = 0 THEN 'future' ELSE 'option' END AS kind,
       CASE WHEN i % 3 = 2 THEN 'linear' ELSE 'inverse' END AS settlement,
       CASE WHEN i % 2 = 0 THEN 'call' ELSE 'put' END AS option_type,
       (ARRAY[97000, 3400, 5900])[1 + i % 3]::float8 AS forward,
       (ARRAY[97000, 3400, 5900])[1 + i % 3] * (0.6 + 0.8 * random()) AS strike,
       0.02 + random() AS t, 0.3 + 0.5 * random() AS vol
FROM generate_series(1, 600) i;
CREATE TABLE stress_bench_big AS
SELECT 1 + (g % 10000) AS account_id, 1 + floor(random() * 600)::int AS instrument_id, round((random() * 20 - 10)::numeric)::float8 AS quantity
FROM generate_series(1, :big) g ORDER BY 1;
CREATE TABLE stress_bench_set AS
SELECT portmargin.stress_set(array_agg(scenario ORDER BY name)) AS s FROM stress_bench.stress_scenarios;
VACUUM ANALYZE stress_bench_big, stress_bench_instruments, stress_bench_set;
INSERT INTO bench_queries VALUES
(11, 2, '(a) plain GROUP BY: sum(quantity x forward) per account',
 $q$SELECT count(*), sum(x.v) FROM (SELECT b.account_id, sum(b.quantity * i.forward) AS v
                                   FROM stress_bench_big b JOIN stress_bench_instruments i USING (instrument_id)
                                   GROUP BY b.account_id) x$q$),
(12, 2, '(b) stress_pnl per account, 20 scenarios',
 $q$SELECT count(*), sum(x.p[1] + x.p[20]) FROM (
      SELECT b.account_id, portmargin.stress_pnl((SELECT s FROM stress_bench_set), b.quantity, i.underlying, i.kind, i.settlement,
                                                 i.option_type, i.forward, i.strike, i.t, i.vol, 1,
                                                 (ARRAY[97000, 3400, 5900])[1 + i.instrument_id % 3], 0.04) AS p
      FROM stress_bench_big b JOIN stress_bench_instruments i USING (instrument_id)
      GROUP BY b.account_id) x$q$);

\echo == plan of (b) with 2 workers
SET max_parallel_workers_per_gather = 2;
SELECT sql AS b_sql FROM bench_queries WHERE ord = 12 \gset
EXPLAIN (COSTS OFF) :b_sql;
SET max_parallel_workers_per_gather = 0;

UPDATE bench_queries SET workers = '{0}' WHERE part = 1;
\ir lib/rounds.sql

\echo == timing (:runs interleaved rounds after one warm-up round)
CALL pg_temp.bench_rounds(:runs);

\echo == part 1 (x margin = median / median of (m))
SELECT s.label AS query, round(s.median_ms::numeric, 1) AS median_ms, round(s.min_ms::numeric, 1) AS min_ms,
       round((s.median_ms / m.median_ms)::numeric, 2) AS x_margin, s.n AS rows_
FROM bench_summary s JOIN bench_summary m ON m.ord = 1
WHERE s.ord < 10 ORDER BY s.ord;

\echo == part 2 (x plain = median / median of (a) with the same workers; speed-up = median with 0 workers / median with 2)
SELECT s.label AS query, s.workers, round(s.median_ms::numeric, 1) AS median_ms, round(s.min_ms::numeric, 1) AS min_ms,
       round((s.median_ms / a.median_ms)::numeric, 2) AS x_plain,
       CASE WHEN s.workers = 2 THEN round((s0.median_ms / s.median_ms)::numeric, 2) END AS speedup_0_to_2, s.n AS accounts
FROM bench_summary s
JOIN bench_summary a ON a.ord = 11 AND a.workers = s.workers
JOIN bench_summary s0 ON s0.ord = s.ord AND s0.workers = 0
WHERE s.ord > 10 ORDER BY s.ord, s.workers;

\echo == the same answer: (s) and (p) sum of loss + uncovered; (b) with and without workers
SELECT label, workers, result_min, result_max FROM bench_summary WHERE ord IN (12) ORDER BY ord, workers;
SELECT 'stress_losses vs plain SQL: sum of loss + uncovered' AS check_,
       (SELECT sum(loss + uncovered) FROM stress_bench.stress_losses) AS stress_losses,
       (SELECT result_min FROM bench_summary WHERE ord = 4) AS plain_sql;

\echo == target (issue 15): the stress report over the demo book with 20 scenarios within 2x one margin pass
SELECT q.label AS query, round((s.median_ms / m.median_ms)::numeric, 2) AS measured, '<= 2' AS target,
       CASE WHEN s.median_ms <= 2 * m.median_ms THEN 'met' ELSE 'NOT met' END AS status
FROM bench_summary s JOIN bench_queries q USING (ord) JOIN bench_summary m ON m.ord = 1
WHERE s.ord IN (2, 3)
UNION ALL
SELECT '(b) speed-up 0 -> 2 workers (plain GROUP BY''s own: ' || round(a.speedup::numeric, 2) || ')',
       round(b.speedup::numeric, 2), 'report', ''
FROM bench_speedup b JOIN bench_speedup a ON a.ord = 11
WHERE b.ord = 12;

DROP TABLE stress_bench_big, stress_bench_instruments, stress_bench_set;
DROP SCHEMA stress_bench CASCADE;
