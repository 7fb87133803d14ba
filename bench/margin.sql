-- bench/margin.sql: cost of the portfolio-margin aggregate against a plain
-- GROUP BY over the same join, serial and with 2 parallel workers.
--
-- Run with `bash bench/margin.sh` (throwaway cluster, see bench/README.md),
-- or against any database that has the extension installed:
--
--     psql -X -v ON_ERROR_STOP=1 -f bench/margin.sql
--
-- psql variables (pass with -v name=value):
--     accounts       accounts                                         (10000)
--     per_account    positions per account (distinct instruments,
--                    <= 2000); rows = accounts x per_account           (100)
--     order          physical order of positions: account (each
--                    account's rows together) or random               (account)
--     runs           timed rounds (each query once per round per worker
--                    setting) after one untimed warm-up round           (7)
--     work_mem       work_mem of the timed queries                     (256MB)
--     jit            on/off for the timed queries                      (off)
--
-- Data: 2,000 instruments (BTC and ETH coin-settled options, dated futures
-- and perpetuals; SOL USDC-settled options, multiplier 10), one market row
-- per instrument, 1,000,000 positions over 10,000 accounts, setseed(0.42).
-- Queries: (a) plain GROUP BY account_id over positions JOIN instruments
-- JOIN market; (b) the issue's account-margin query, portfolio_margin over
-- the same join with the scenario set from CROSS JOIN (SELECT
-- portmargin.preset('deribit-btc') AS scenarios) s; (c), (d) the same
-- aggregate with the scenario set obtained once; (e) with a rulebook (a
-- set per risk unit: BTC, ETH coin-settled under their Deribit presets, SOL
-- under OKX's), obtained once; ref: preset() per row.
-- Timing is clock_timestamp() around EXECUTE in PL/pgSQL; every query is
-- timed with max_parallel_workers_per_gather = 0 and = 2 in the same rounds.

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
\set runs 7
\endif

\ir lib/session.sql

SELECT current_setting('max_parallel_workers')::int >= 2 AS enough_workers \gset
\if :enough_workers
\else
\echo ERROR: max_parallel_workers is below 2; start the server with -c max_parallel_workers=8
\quit
\endif

-- ---------------------------------------------------------------------------
-- data
-- ---------------------------------------------------------------------------
\echo == building instruments, market, positions (:accounts accounts x :per_account positions, setseed(0.42))
DROP TABLE IF EXISTS positions, market, instruments;

CREATE TABLE instruments (
    instrument_id int PRIMARY KEY,
    underlying    text NOT NULL,        -- BTC, ETH, SOL
    kind          text NOT NULL,        -- option, future, perpetual
    option_type   text,                 -- call, put (options)
    strike        float8,               -- options
    expiry        timestamptz,          -- NULL for perpetuals
    settlement    text NOT NULL,        -- inverse (coin), linear (USDC)
    multiplier    float8 NOT NULL
);

CREATE TABLE market (
    instrument_id int PRIMARY KEY,
    forward       float8 NOT NULL,      -- the instrument's forward (futures: its mark)
    vol           float8,               -- implied vol (options), NULL otherwise
    index_price   float8 NOT NULL,      -- the underlying's index price, USD
    as_of         timestamptz NOT NULL
);

CREATE TABLE positions (
    account_id    int NOT NULL,
    instrument_id int NOT NULL,
    quantity      float8 NOT NULL       -- contracts, negative = short
);

-- Per underlying: index, annual basis of the futures curve, at-the-money
-- vol, listed strikes (evenly spaced from 0.6x to 1.5x the index, rounded
-- to step) and how many of the 12 option expiries are listed.
-- 968 BTC + 632 ETH + 400 SOL instruments = 2,000.
CREATE TEMP TABLE bench_underlyings (underlying, ord, settlement, multiplier, index_price, basis,
                                     atm_vol, nstrikes, step, nexpiries, futures) AS
VALUES ('BTC', 1, 'inverse', 1::float8, 97250::float8, 0.05::float8, 0.52::float8, 40, 1000::float8, 12, true),
       ('ETH', 2, 'inverse', 1, 3400, 0.06, 0.68, 26, 50, 12, true),
       ('SOL', 3, 'linear', 10, 240, 0.04, 0.85, 20, 5, 10, false);

INSERT INTO instruments
SELECT row_number() OVER (ORDER BY u.ord, x.kind_ord, x.dte, x.strike, x.option_type),
       u.underlying, x.kind, x.option_type, x.strike,
       '2026-11-25 08:00+00'::timestamptz + make_interval(days => x.dte),
       u.settlement, u.multiplier
FROM bench_underlyings u
CROSS JOIN LATERAL (
    -- options: 12 expiries (SOL: the first 10) x nstrikes x call/put
    SELECT 1 AS kind_ord, 'option' AS kind, ot AS option_type,
           round(u.index_price * (0.6 + 0.9 * (j - 1) / (u.nstrikes - 1)) / u.step) * u.step AS strike,
           d AS dte
    FROM unnest('{1,2,3,7,14,21,30,60,90,120,180,270}'::int[]) WITH ORDINALITY AS e(d, n),
         generate_series(1, u.nstrikes) AS j,
         unnest('{call,put}'::text[]) AS ot
    WHERE e.n <= u.nexpiries
    UNION ALL
    -- dated futures
    SELECT 2, 'future', NULL, NULL, d
    FROM unnest('{7,14,30,60,90,180,270}'::int[]) AS d
    WHERE u.futures
    UNION ALL
    -- the perpetual (expiry NULL)
    SELECT 3, 'perpetual', NULL, NULL, NULL
    WHERE u.futures) AS x;

-- one market row per instrument: the forward of its expiry on a flat basis
-- curve (perpetual: the index), and a smile over ln(K/F) with a term
-- structure that is higher at the front (options only)
INSERT INTO market
SELECT i.instrument_id,
       f.forward,
       CASE WHEN i.kind = 'option' THEN
            u.atm_vol * (0.9 + 0.1 * power(30.0 / f.dte, 0.2))
            + 0.4 * ln(i.strike / f.forward) ^ 2 - 0.1 * ln(i.strike / f.forward)
       END,
       u.index_price,
       '2026-11-25 08:00+00'::timestamptz
FROM instruments i
JOIN bench_underlyings u USING (underlying)
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM i.expiry - '2026-11-25 08:00+00'::timestamptz) / 86400 AS dte,
           u.index_price * exp(u.basis * coalesce(extract(epoch FROM i.expiry - '2026-11-25 08:00+00'::timestamptz)
                                                  / (365 * 86400), 0)) AS forward) AS f;

-- positions: every account holds :per_account distinct instruments, picked
-- as instrument = (offset + j x stride) mod 2000 with a random offset and a
-- random stride coprime to 2000 (odd, not a multiple of 5); quantity =
-- +-(1..50) lots (lot: BTC options 0.1 BTC, BTC futures 0.2 BTC, ETH
-- options 1 ETH, ETH futures 2 ETH, SOL options 1 contract of 10 SOL),
-- 45% short.  Draws happen in generate_series order (the sub-selects are not
-- flattened: volatile random()), so the data are the same on every run.
SELECT setseed(0.42) \gset
CREATE TEMP TABLE bench_accounts AS
SELECT a AS account_id, floor(random() * 2000)::int AS off,
       (2 * floor(random() * 1000)::int + 1) AS stride
FROM generate_series(1, :accounts) AS a;
UPDATE bench_accounts SET stride = stride + 2 WHERE stride % 5 = 0;

INSERT INTO positions
SELECT d.account_id, d.instrument_id,
       (CASE WHEN d.r_sign < 0.45 THEN -1 ELSE 1 END)
       * (1 + floor(d.r_size * 50))
       * CASE WHEN i.kind = 'option' AND i.underlying = 'BTC' THEN 0.1
              WHEN i.underlying = 'BTC' THEN 0.2
              WHEN i.kind = 'option' AND i.underlying = 'ETH' THEN 1
              WHEN i.underlying = 'ETH' THEN 2
              ELSE 1 END
FROM (SELECT g, g / :per_account + 1 AS account_id,
             (acc.off[g / :per_account + 1] + (g % :per_account) * acc.stride[g / :per_account + 1]) % 2000 + 1
                 AS instrument_id,
             random() AS r_sign, random() AS r_size, random() AS r_order
      FROM (SELECT array_agg(off ORDER BY account_id) AS off,
                   array_agg(stride ORDER BY account_id) AS stride
            FROM bench_accounts) AS acc,
           generate_series(0, :accounts * :per_account - 1) AS g) AS d
JOIN instruments i USING (instrument_id)
ORDER BY CASE WHEN :'order' = 'random' THEN d.r_order ELSE d.g END;

VACUUM ANALYZE instruments;
VACUUM ANALYZE market;
VACUUM ANALYZE positions;

\echo == data
SELECT i.underlying, i.settlement, i.multiplier,
       count(*) FILTER (WHERE i.kind = 'option') AS options,
       count(*) FILTER (WHERE i.kind = 'future') AS futures,
       count(*) FILTER (WHERE i.kind = 'perpetual') AS perpetuals,
       round(min(k.vol)::numeric, 3) AS min_vol,
       round(max(k.vol)::numeric, 3) AS max_vol,
       min(k.index_price) AS index_price
FROM instruments i JOIN market k USING (instrument_id)
GROUP BY i.underlying, i.settlement, i.multiplier
ORDER BY min(i.instrument_id);

SELECT count(*) AS positions,
       count(DISTINCT p.account_id) AS accounts,
       count(DISTINCT p.instrument_id) AS instruments_revalued,
       count(*) FILTER (WHERE p.quantity < 0) AS short_positions,
       round(avg(u.units), 2) AS risk_units_per_account,
       pg_size_pretty(pg_relation_size('positions')) AS positions_heap,
       :'order' AS physical_order
FROM positions p
CROSS JOIN (SELECT avg(n) AS units
            FROM (SELECT count(DISTINCT i.underlying) AS n
                  FROM positions p2 JOIN instruments i USING (instrument_id)
                  GROUP BY p2.account_id) z) AS u;

-- warm the cache and set hint bits
SELECT count(*) AS warm FROM positions \gset
SELECT count(*) AS warm FROM positions \gset

-- ---------------------------------------------------------------------------
-- the queries
-- ---------------------------------------------------------------------------
-- Each returns (count of accounts, sum over accounts) so that every account's
-- result is computed and consumed in the server, but only one row is sent.
CREATE TEMP TABLE bench_queries (
    ord     int PRIMARY KEY,
    label   text,
    sql     text,
    workers int[] NOT NULL DEFAULT '{0,2}'
);

INSERT INTO bench_queries VALUES
(1, '(a) plain GROUP BY: sum(quantity)',
 $q$SELECT count(*), sum(x.q)
    FROM (SELECT p.account_id, sum(p.quantity) AS q
          FROM positions p
          JOIN instruments i USING (instrument_id)
          JOIN market k USING (instrument_id)
          GROUP BY p.account_id) x$q$),
(2, '(b) portfolio_margin, deribit-btc',
 $q$SELECT count(*), sum((x.m).initial_margin)
    FROM (SELECT p.account_id,
                 portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                     portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                     i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
          FROM positions p
          JOIN instruments i USING (instrument_id)
          JOIN market k USING (instrument_id)
          CROSS JOIN (SELECT portmargin.preset('deribit-btc') AS scenarios) s
          GROUP BY p.account_id) x$q$),
-- The planner pulls the one-row sub-select of (b) up into the join, which
-- turns s.scenarios into a call of preset() (STABLE, PL/pgSQL: an SPI query
-- of scenario_presets) on every joined row.  (c) and (d) are the same
-- aggregate with the scenario set obtained once: (c) as a scalar sub-select
-- (an InitPlan, evaluated once in the leader and passed to the workers), (d)
-- by joining the presets table itself.  The last row times preset() alone
-- on every position.  (A sub-select with OFFSET 0 is also evaluated once,
-- but then the planner never runs the query in parallel.)
(3, '(c) portfolio_margin, scenarios = (SELECT preset(...))',
 $q$SELECT count(*), sum((x.m).initial_margin)
    FROM (SELECT p.account_id,
                 portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                     portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                     i.settlement, i.multiplier, k.index_price,
                     (SELECT portmargin.preset('deribit-btc'))) AS m
          FROM positions p
          JOIN instruments i USING (instrument_id)
          JOIN market k USING (instrument_id)
          GROUP BY p.account_id) x$q$),
(4, '(d) portfolio_margin, JOIN scenario_presets s',
 $q$SELECT count(*), sum((x.m).initial_margin)
    FROM (SELECT p.account_id,
                 portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                     portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                     i.settlement, i.multiplier, k.index_price, s.scenarios) AS m
          FROM positions p
          JOIN instruments i USING (instrument_id)
          JOIN market k USING (instrument_id)
          JOIN portmargin.scenario_presets s ON s.name = 'deribit-btc'
          GROUP BY p.account_id) x$q$),
-- (e): the rulebook query of issue 10: each risk unit under its own rule
-- (BTC coin-settled: deribit-btc, ETH coin-settled: deribit-eth, the rest,
-- here SOL USDC-settled: okx-btc), the rulebook obtained once as in (c)
(6, '(e) portfolio_margin, rulebook BTC/ETH/* = (SELECT rulebook(...))',
 $q$SELECT count(*), sum((x.m).initial_margin)
    FROM (SELECT p.account_id,
                 portmargin.portfolio_margin(p.quantity, i.underlying, i.kind, i.option_type, i.strike,
                     portmargin.year_fraction(k.as_of, i.expiry), k.forward, k.vol,
                     i.settlement, i.multiplier, k.index_price,
                     (SELECT portmargin.rulebook(ARRAY['BTC', 'ETH', '*'], ARRAY['inverse', 'inverse', '*'],
                                                 ARRAY[portmargin.preset('deribit-btc'), portmargin.preset('deribit-eth'),
                                                       portmargin.preset('okx-btc')]))) AS m
          FROM positions p
          JOIN instruments i USING (instrument_id)
          JOIN market k USING (instrument_id)
          GROUP BY p.account_id) x$q$),
(5, 'ref: preset(''deribit-btc'') on every position',
 $q$SELECT count(*), sum(portmargin.scenario_count(portmargin.preset('deribit-btc')))
    FROM positions$q$);

-- ---------------------------------------------------------------------------
-- plans: 2 workers must give Partial and Finalize aggregation with both
-- workers launched; 0 workers no Gather at all
-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.bench_plan(p_sql text, p_workers int) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    plan jsonb;
BEGIN
    PERFORM set_config('max_parallel_workers_per_gather', p_workers::text, false);
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || p_sql INTO plan;
    PERFORM set_config('max_parallel_workers_per_gather', '0', false);
    RETURN plan;
END
$$;

CREATE TEMP TABLE bench_plans AS
SELECT q.ord, q.label, w.workers, pg_temp.bench_plan(q.sql, w.workers) AS plan
FROM bench_queries q CROSS JOIN (VALUES (0), (2)) AS w(workers);

\echo == plans (EXPLAIN ANALYZE; aggregate nodes, workers, hash batches > 1 means the hash table spilled)
SELECT label AS query, workers,
       (SELECT string_agg(DISTINCT coalesce(n->>'Partial Mode' || ' ', '') || (n->>'Strategy') || ' Aggregate', ', ')
        FROM jsonb_path_query(plan, 'strict $.**') AS n
        WHERE n->>'Node Type' = 'Aggregate' AND n->>'Strategy' <> 'Plain') AS group_aggregation,
       coalesce(jsonb_path_query_first(plan, 'strict $.**."Workers Planned"')::int, 0) AS workers_planned,
       coalesce(jsonb_path_query_first(plan, 'strict $.**."Workers Launched"')::int, 0) AS workers_launched,
       (SELECT max((n->>'HashAgg Batches')::int)
        FROM jsonb_path_query(plan, 'strict $.**') AS n
        WHERE n ? 'HashAgg Batches') AS hash_batches,
       (SELECT max((n->>'Peak Memory Usage')::int)
        FROM jsonb_path_query(plan, 'strict $.**') AS n
        WHERE n->>'Node Type' = 'Aggregate' AND n->>'Strategy' = 'Hashed') AS hash_peak_kb,
       round((plan->0->>'Execution Time')::numeric, 1) AS explain_analyze_ms
FROM bench_plans
ORDER BY ord, workers;

SELECT bool_and(jsonb_path_exists(plan, 'strict $.** ? (@."Partial Mode" == "Partial")')
                AND jsonb_path_exists(plan, 'strict $.** ? (@."Partial Mode" == "Finalize")')
                AND jsonb_path_query_first(plan, 'strict $.**."Workers Launched"')::int = 2)
           FILTER (WHERE workers = 2) AS parallel_ok,
       bool_and(NOT jsonb_path_exists(plan, 'strict $.**."Workers Planned"'))
           FILTER (WHERE workers = 0) AS serial_ok
FROM bench_plans \gset
\if :parallel_ok
\else
\echo WARNING: with max_parallel_workers_per_gather = 2 not every query ran Partial + Finalize aggregation with 2 workers launched
\endif
\if :serial_ok
\else
\echo WARNING: a query planned parallel workers with max_parallel_workers_per_gather = 0
\endif

\echo == plan of (b) with 2 workers
SET max_parallel_workers_per_gather = 2;
SELECT sql AS b_sql FROM bench_queries WHERE ord = 2 \gset
EXPLAIN (COSTS OFF) :b_sql;
SET max_parallel_workers_per_gather = 0;

-- ---------------------------------------------------------------------------
-- timing harness: interleaved rounds (pricing.sql's), every query under
-- both worker settings once per round
-- ---------------------------------------------------------------------------
\ir lib/rounds.sql

\echo == timing (:runs interleaved rounds after one warm-up round; workers 0 and 2 in every round; work_mem :work_mem, jit :jit)
CALL pg_temp.bench_rounds(:runs);

-- ---------------------------------------------------------------------------
-- results
-- ---------------------------------------------------------------------------
\echo
\echo == results (x plain = median / median of (a) with the same workers; speed-up = median with 0 workers / median with 2)
SELECT s.label AS query,
       s.workers,
       round(s.median_ms::numeric, 1) AS median_ms,
       round(s.min_ms::numeric, 1) AS min_ms,
       round((s.median_ms / a.median_ms)::numeric, 2) AS x_plain,
       CASE WHEN s.workers = 2 THEN round((s0.median_ms / s.median_ms)::numeric, 2) END AS speedup_0_to_2
FROM bench_summary s
JOIN bench_summary a ON a.ord = 1 AND a.workers = s.workers
JOIN bench_summary s0 ON s0.ord = s.ord AND s0.workers = 0
ORDER BY s.ord, s.workers;

\echo == revaluation work
SELECT count(*) AS positions,
       count(DISTINCT instrument_id) AS distinct_instruments_revalued,
       portmargin.scenario_count(portmargin.preset('deribit-btc')) AS scenarios,
       count(DISTINCT instrument_id) * portmargin.scenario_count(portmargin.preset('deribit-btc'))
           AS revaluations_if_cached_per_instrument,
       count(*) * portmargin.scenario_count(portmargin.preset('deribit-btc'))::bigint
           AS revaluations_if_per_position
FROM positions;

\echo == targets: (b) is the query of the issue, (c) the same aggregate with preset() evaluated once
SELECT q.label || ' / (a), ' || w.workers || ' workers' AS ratio,
       round((b.median_ms / a.median_ms)::numeric, 2) AS measured,
       '<= 3' AS target,
       CASE WHEN b.median_ms <= 3 * a.median_ms THEN 'met' ELSE 'NOT met' END AS status
FROM (VALUES (2), (3)) AS v(ord)
JOIN bench_queries q USING (ord)
CROSS JOIN (VALUES (0), (2)) AS w(workers)
JOIN bench_summary a ON a.ord = 1 AND a.workers = w.workers
JOIN bench_summary b ON b.ord = v.ord AND b.workers = w.workers
UNION ALL
SELECT q.label || ': speed-up 0 -> 2 workers',
       round(b.speedup::numeric, 2), '>= 1.7',
       CASE WHEN b.speedup >= 1.7 THEN 'met' ELSE 'NOT met' END
FROM bench_speedup b JOIN bench_queries q USING (ord)
WHERE b.ord IN (2, 3)
UNION ALL
-- issue 10: the rulebook query (e), serial, against the plain GROUP BY of the same run
SELECT '(e) rulebook / (a), 0 workers',
       round((e.median_ms / a.median_ms)::numeric, 2), '<= 2.5',
       CASE WHEN e.median_ms <= 2.5 * a.median_ms THEN 'met' ELSE 'NOT met' END
FROM bench_summary e JOIN bench_summary a ON a.ord = 1 AND a.workers = 0
WHERE e.ord = 6 AND e.workers = 0
UNION ALL
-- and its speed-up 0 -> 2 workers against the plain GROUP BY's own speed-up in the same run
SELECT '(e) rulebook speed-up 0 -> 2 workers / (a)''s speed-up (' || round(a.speedup::numeric, 2) || ')',
       round((e.speedup / a.speedup)::numeric, 2), '>= 0.9',
       CASE WHEN e.speedup >= 0.9 * a.speedup THEN 'met' ELSE 'NOT met' END
FROM bench_speedup e JOIN bench_speedup a ON a.ord = 1
WHERE e.ord = 6;

\echo == sanity: every run of a query returns the same accounts and sum (parallel combine = serial, within 1e-9 relative)
SELECT s.label AS query,
       min(s.n) AS accounts,
       round(min(s.result_min)::numeric, 4) AS min_sum,
       round(max(s.result_max)::numeric, 4) AS max_sum,
       max(s.result_max) - min(s.result_min) <= 1e-9 * greatest(abs(max(s.result_max)), 1) AS consistent
FROM bench_summary s
GROUP BY s.ord, s.label
ORDER BY s.ord;
