-- bench/span.sql: cost of SPAN from published risk arrays (span_portfolio +
-- span_margin) against a plain GROUP BY over the same join, serial and with 2
-- parallel workers, and against the scan-only SPAN a user would write in
-- plain SQL (unnest the arrays, sum per scenario, take the worst).
--
-- Run with `bash bench/span.sh` (throwaway cluster), or against any database
-- with the extension:  psql -X -v ON_ERROR_STOP=1 -f bench/span.sql
--
-- psql variables (-v name=value): accounts (10000), per_account (100),
-- order (account: each account's positions together, as bench/margin.sql;
-- or random), runs (5), work_mem (256MB).
--
-- Data (setseed(0.42)): 10 combined commodities, each with 12 futures months
-- and options on the first 6 (30 strikes x call/put): 3,720 contracts with
-- 16-value arrays and composite deltas; per commodity 4 intra tiers (a
-- quarter each), 6 tier spreads, a spot month, SOM; 9 inter spreads
-- between neighbouring commodities; accounts x per_account positions
-- (1,000,000 by default).

\if :{?accounts}
\else
\set accounts 10000
\endif
\if :{?per_account}
\else
\set per_account 100
\endif
\if :{?order}
\else
\set order account
\endif
\if :{?runs}
\else
\set runs 5
\endif

\ir lib/session.sql

\echo == building contracts, parameters, positions (:accounts accounts x :per_account positions, setseed(0.42))
DROP TABLE IF EXISTS span_bench_positions, span_bench_contracts, span_bench_params;
SELECT setseed(0.42) \gset

CREATE TABLE span_bench_contracts (
    contract_id int PRIMARY KEY,
    cc          text NOT NULL,
    month       int NOT NULL,
    put_call    text,
    risk_array  float8[] NOT NULL,
    delta       float8 NOT NULL,
    value       float8
);
-- futures: outright x (CME's scenario order); options: a call or put of
-- strike offset k (-15..14) around the money, its array a smoothed
-- hockey stick of the same scan, delta between 0.05 and 0.95
INSERT INTO span_bench_contracts
SELECT row_number() OVER (ORDER BY c, m, pc NULLS FIRST, k), 'CC' || c, 202601 + (m / 12) * 100 + m % 12,
       pc, arr, d, v
FROM generate_series(1, 10) c
CROSS JOIN generate_series(0, 11) m
CROSS JOIN LATERAL (SELECT 1000 + 250 * c + 20 * m AS x) o
CROSS JOIN LATERAL (
    SELECT NULL::text AS pc, 0 AS k,
           ARRAY[0, 0, -o.x/3, -o.x/3, o.x/3, o.x/3, -2*o.x/3, -2*o.x/3, 2*o.x/3, 2*o.x/3, -o.x, -o.x, o.x, o.x, -0.99*o.x, 0.99*o.x]::float8[] AS arr,
           1::float8 AS d, NULL::float8 AS v
    UNION ALL
    SELECT t.pc, t.k,
           ARRAY(SELECT CASE WHEN t.pc = 'C' THEN -1 ELSE 1 END * s.dir / 3 * o.x * t.d * (1 + 0.1 * s.vol)
                        + CASE WHEN s.vol <> 0 THEN -s.vol * 0.05 * o.x ELSE 0 END
                 FROM unnest(ARRAY[0,0,1,1,-1,-1,2,2,-2,-2,3,3,-3,-3,2.97,-2.97]::float8[],
                             ARRAY[1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,0,0]::float8[]) s(dir, vol)),
           t.d, 0.1 * o.x * t.d
    FROM (SELECT pc, k, 0.05 + 0.9 * (k + 15) / 29.0 AS d
          FROM unnest('{C,P}'::text[]) pc, generate_series(-15, 14) k) t
    WHERE m < 6
) x;
ANALYZE span_bench_contracts;

CREATE TABLE span_bench_params AS
SELECT portmargin.span_parameters(jsonb_build_object(
  'combined_commodities', (SELECT jsonb_agg(jsonb_build_object(
      'cc', 'CC' || c, 'currency', 'USD', 'som_rate', 50, 'som_method', 1, 'initial_ratios', '[1.1, 1.1, 1.1]'::jsonb,
      'intra_tiers', (SELECT jsonb_agg(jsonb_build_object('tier', q + 1, 'start', 202601 + 3 * q, 'end', 202603 + 3 * q))
                      FROM generate_series(0, 3) q),
      'intra_spreads', (SELECT jsonb_agg(jsonb_build_object('priority', n, 'rate', 40 + 10 * n,
                                           'legs', jsonb_build_array(jsonb_build_object('tier', a, 'side', 'A'),
                                                                     jsonb_build_object('tier', b, 'side', 'B'))))
                        FROM (SELECT row_number() OVER (ORDER BY b - a, a) AS n, a, b
                              FROM generate_series(1, 4) a, generate_series(1, 4) b WHERE a < b) t),
      'spot_months', jsonb_build_array(jsonb_build_object('month', 202601, 'rate_consumed', 20, 'rate_remaining', 60))))
    FROM generate_series(1, 10) c),
  'inter_spreads', (SELECT jsonb_agg(jsonb_build_object('priority', c, 'credit_rate', 30 + 3 * c,
                      'legs', jsonb_build_array(jsonb_build_object('cc', 'CC' || c, 'side', 'A'),
                                                jsonb_build_object('cc', 'CC' || (c + 1), 'side', 'B'))))
                    FROM generate_series(1, 9) c))) AS params;

CREATE TABLE span_bench_positions (
    account_id  int NOT NULL,
    contract_id int NOT NULL,
    quantity    float8 NOT NULL
);
INSERT INTO span_bench_positions
SELECT a, 1 + floor(random() * (SELECT count(*) FROM span_bench_contracts))::int, round((random() * 20 - 10)::numeric)::float8
FROM generate_series(1, :accounts) a, generate_series(1, :per_account) j
ORDER BY CASE WHEN :'order' = 'random' THEN random() ELSE a END, j;
DELETE FROM span_bench_positions WHERE quantity = 0;
VACUUM ANALYZE span_bench_positions;
SELECT count(*) AS positions, count(DISTINCT account_id) AS accounts, (SELECT count(*) FROM span_bench_contracts) AS contracts
FROM span_bench_positions;

CREATE TEMP TABLE bench_queries (ord int PRIMARY KEY, label text, sql text, workers int[] NOT NULL DEFAULT '{0,2}');
INSERT INTO bench_queries VALUES
(1, '(a) plain GROUP BY: sum(quantity x delta)',
 $q$SELECT count(*), sum(x.d)
    FROM (SELECT p.account_id, sum(p.quantity * c.delta) AS d
          FROM span_bench_positions p JOIN span_bench_contracts c USING (contract_id)
          GROUP BY p.account_id) x$q$),
(2, '(b) span_margin aggregate: full SPAN in one pass',
 $q$SELECT count(*), sum((x.m).maintenance_margin)
    FROM (SELECT p.account_id,
                 portmargin.span_margin(c.cc, c.month, p.quantity, c.risk_array, c.delta, c.value, c.put_call,
                                        (SELECT params FROM span_bench_params), 'S') AS m
          FROM span_bench_positions p JOIN span_bench_contracts c USING (contract_id)
          GROUP BY p.account_id) x$q$),
(3, '(b2) span_margin(span_portfolio(...)): the two-step form',
 $q$SELECT count(*), sum((x.m).maintenance_margin)
    FROM (SELECT p.account_id,
                 portmargin.span_margin(portmargin.span_portfolio(c.cc, c.month, p.quantity, c.risk_array, c.delta,
                                                                  c.value, c.put_call),
                                        (SELECT params FROM span_bench_params), 'S') AS m
          FROM span_bench_positions p JOIN span_bench_contracts c USING (contract_id)
          GROUP BY p.account_id) x$q$),
(4, '(c) scan risk only, in plain SQL (unnest, sum per scenario, worst)',
 $q$SELECT count(*), sum(x.scan)
    FROM (SELECT account_id, sum(cc_scan) AS scan
          FROM (SELECT account_id, cc, greatest(max(v), 0) AS cc_scan
                FROM (SELECT p.account_id, c.cc, s.j, sum(p.quantity * s.v) AS v
                      FROM span_bench_positions p JOIN span_bench_contracts c USING (contract_id),
                           unnest(c.risk_array) WITH ORDINALITY s(v, j)
                      GROUP BY p.account_id, c.cc, s.j) per_scenario
                GROUP BY account_id, cc) per_cc
          GROUP BY account_id) x$q$);

\echo == plan of (b) with 2 workers
SET max_parallel_workers_per_gather = 2;
SELECT sql AS b_sql FROM bench_queries WHERE ord = 2 \gset
EXPLAIN (COSTS OFF) :b_sql;
SET max_parallel_workers_per_gather = 0;

\ir lib/rounds.sql

\echo == timing (:runs interleaved rounds after one warm-up round; workers 0 and 2 in every round)
CALL pg_temp.bench_rounds(:runs);

\echo == results (x plain = median / median of (a) with the same workers; speed-up = median with 0 workers / median with 2)
SELECT s.label AS query, s.workers, round(s.median_ms::numeric, 1) AS median_ms, round(s.min_ms::numeric, 1) AS min_ms,
       round((s.median_ms / a.median_ms)::numeric, 2) AS x_plain,
       CASE WHEN s.workers = 2 THEN round((s0.median_ms / s.median_ms)::numeric, 2) END AS speedup_0_to_2,
       s.n AS accounts
FROM bench_summary s
JOIN bench_summary a ON a.ord = 1 AND a.workers = s.workers
JOIN bench_summary s0 ON s0.ord = s.ord AND s0.workers = 0
ORDER BY s.ord, s.workers;

\echo == the same answer with and without workers (sum of maintenance margins, of scan risks)
SELECT label, workers, result_min, result_max FROM bench_summary WHERE ord IN (2, 3, 4) ORDER BY ord, workers;

\echo == target (issue 13): full SPAN from loaded arrays within 3x the plain GROUP BY (order :order)
SELECT q.label || ' / (a), ' || w.workers || ' workers' AS ratio, round((b.median_ms / a.median_ms)::numeric, 2) AS measured,
       '<= 3' AS target, CASE WHEN b.median_ms <= 3 * a.median_ms THEN 'met' ELSE 'NOT met' END AS status
FROM (VALUES (2), (3)) v(ord) JOIN bench_queries q USING (ord)
CROSS JOIN (VALUES (0), (2)) w(workers)
JOIN bench_summary a ON a.ord = 1 AND a.workers = w.workers
JOIN bench_summary b ON b.ord = v.ord AND b.workers = w.workers
UNION ALL
SELECT '(b) speed-up 0 -> 2 workers (plain GROUP BY''s own: ' || round(a.speedup::numeric, 2) || ')',
       round(b.speedup::numeric, 2), 'report', ''
FROM bench_speedup b JOIN bench_speedup a ON a.ord = 1
WHERE b.ord = 2;

DROP TABLE span_bench_positions, span_bench_contracts, span_bench_params;
