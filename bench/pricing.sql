-- bench/pricing.sql: per-row cost of the pricing functions.
--
-- Run with `bash bench/pricing.sh` (throwaway cluster, see bench/README.md),
-- or against any database that has the extension installed:
--
--     psql -X -v ON_ERROR_STOP=1 -f bench/pricing.sql
--
-- psql variables (pass with -v name=value):
--     rows           rows in bench_options                          (1000000)
--     runs           timed rounds (each query once per round) after one
--                    untimed warm-up round                             (7)
--     subset_rows    rows of the subset the PL/pgSQL peer is tried on (100000)
--     plpgsql_limit_s  if the peer's projected full-table run takes longer
--                    than this many seconds it is timed on the subset only
--                    and scaled; the output says so                     (60)
--     jit            on/off for the timed queries                      (off)
--
-- Every query runs with max_parallel_workers_per_gather = 0, so the times
-- are one backend's per-row cost and the ratios compare per-row costs.
-- Timing is clock_timestamp() around EXECUTE in PL/pgSQL (includes the
-- sub-millisecond planning of each query, excludes client round trips).

\if :{?rows}
\else
\set rows 1000000
\endif
\if :{?runs}
\else
\set runs 7
\endif
\if :{?subset_rows}
\else
\set subset_rows 100000
\endif
\if :{?plpgsql_limit_s}
\else
\set plpgsql_limit_s 60
\endif
\if :{?jit}
\else
\set jit off
\endif

\set QUIET on
\pset footer off
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET jit = :jit;

\echo == environment
SELECT version() AS server,
       current_setting('shared_buffers') AS shared_buffers,
       current_setting('max_parallel_workers_per_gather') AS parallel_workers,
       current_setting('jit') AS jit,
       (SELECT extversion FROM pg_extension WHERE extname = 'portmargin') AS portmargin;

-- the PL/pgSQL peer
\ir plpgsql_bs.sql

-- ---------------------------------------------------------------------------
-- data: :rows random options, seeded
-- ---------------------------------------------------------------------------
\echo == building bench_options (:rows rows, setseed(0.42))
DROP TABLE IF EXISTS bench_options, bench_options_subset;
CREATE TABLE bench_options (
    option_type text,
    s     float8,     -- spot: 90% equity-like 50..150, 10% BTC-like 20000..100000
    k     float8,     -- strike: moneyness k/s uniform in 0.7..1.3
    t     float8,     -- years: 1 day .. 2 years
    vol   float8,     -- 0.10 .. 1.00
    r     float8,     -- 0 .. 0.05
    q     float8,     -- 0 .. 0.03
    price float8      -- portmargin.bs_price of the row, NULL if 0 (input of the IV benchmark)
);

SELECT setseed(0.42) \gset
-- the sub-select is not flattened (volatile random()), so each row's draws
-- happen in a fixed order and the data are the same on every run
INSERT INTO bench_options
SELECT option_type, s, k, t, vol, r, q,
       -- implied_vol rejects price = 0 (its domain is price > 0): the few
       -- deep out-of-the-money rows whose price underflows to 0 get NULL
       NULLIF(portmargin.bs_price(option_type, s, k, t, vol, r, q), 0)
FROM (SELECT CASE WHEN random() < 0.5 THEN 'call' ELSE 'put' END AS option_type,
             sp AS s,
             sp * (0.7 + 0.6 * random()) AS k,
             1.0 / 365 + (2.0 - 1.0 / 365) * random() AS t,
             0.1 + 0.9 * random() AS vol,
             0.05 * random() AS r,
             0.03 * random() AS q
      FROM (SELECT CASE WHEN random() < 0.1 THEN 20000 + 80000 * random()
                        ELSE 50 + 100 * random() END AS sp
            FROM generate_series(1, :rows)) AS spots) AS draws;

-- the PL/pgSQL peer's fallback subset: the first :subset_rows rows
CREATE TABLE bench_options_subset AS
SELECT * FROM bench_options LIMIT :subset_rows;

VACUUM ANALYZE bench_options;
VACUUM ANALYZE bench_options_subset;

SELECT count(*) AS rows,
       count(*) FILTER (WHERE option_type = 'call') AS calls,
       pg_size_pretty(pg_relation_size('bench_options')) AS heap_size,
       round(min(price)::numeric, 6) AS min_price,
       round(max(price)::numeric, 2) AS max_price,
       count(*) FILTER (WHERE price IS NULL) AS price_0_as_null,
       count(*) FILTER (WHERE portmargin.implied_vol(price, option_type, s, k, t, r, q) IS NULL)
           AS iv_null
FROM bench_options;

-- warm the cache (and hint bits) with the bare scan
SELECT sum(s * k) AS warm FROM bench_options \gset
SELECT sum(s * k) AS warm FROM bench_options \gset

-- ---------------------------------------------------------------------------
-- timing harness
-- ---------------------------------------------------------------------------
-- Queries are registered in bench_queries and timed by bench/lib/rounds.sql
-- in interleaved rounds (every query once per round, :runs rounds after one
-- untimed warm-up round), so that background load drifting during the run
-- affects all of them alike instead of one query's block of runs.  Each
-- query returns (rows, result); workers {0}: one backend.
CREATE TEMP TABLE bench_queries (
    ord     int PRIMARY KEY,
    label   text,
    sql     text,
    workers int[] NOT NULL DEFAULT '{0}'
);
\ir lib/rounds.sql

-- per query: rows, median and minimum ms, ns per row
CREATE TEMP VIEW bench_rows AS
SELECT ord, label, n AS nrows, median_ms, min_ms, median_ms * 1e6 / n AS ns_row, result_min AS result
FROM bench_summary;

-- the issue's queries, full table
INSERT INTO bench_queries (ord, label, sql) VALUES
(1, '(a) sum(s*k)  [bare scan]',
    format($q$SELECT %s::bigint, sum(s * k) FROM bench_options$q$, :rows)),
(2, '(b) sum(bs_price(...))',
    format($q$SELECT %s::bigint, sum(portmargin.bs_price(option_type, s, k, t, vol, r, q)) FROM bench_options$q$, :rows)),
(3, '(c) sum(g.delta), LATERAL bs_greeks(...) g',
    format($q$SELECT %s::bigint, sum(g.delta) FROM bench_options,
              LATERAL portmargin.bs_greeks(option_type, s, k, t, vol, r, q) g$q$, :rows)),
(4, '(d) sum(implied_vol(price, ...))',
    format($q$SELECT %s::bigint, sum(portmargin.implied_vol(price, option_type, s, k, t, r, q)) FROM bench_options$q$, :rows));

-- the same subset for the PL/pgSQL peer, bs_price and the bare scan
INSERT INTO bench_queries (ord, label, sql) VALUES
(11, 'subset: sum(s*k)  [bare scan]',
    format($q$SELECT %s::bigint, sum(s * k) FROM bench_options_subset$q$, :subset_rows)),
(12, 'subset: sum(bs_price(...))',
    format($q$SELECT %s::bigint, sum(portmargin.bs_price(option_type, s, k, t, vol, r, q)) FROM bench_options_subset$q$,
    :subset_rows)),
(13, 'subset: sum(bench_plpgsql_bs_price(...))',
    format($q$SELECT %s::bigint, sum(bench_plpgsql_bs_price(option_type, s, k, t, vol, r, q)) FROM bench_options_subset$q$,
    :subset_rows));

-- reference rows: where the per-row time goes (not targets)
INSERT INTO bench_queries (ord, label, sql) VALUES
(21, 'ref: sum(s*k*t*vol*r*q)  [deform all columns]',
    format($q$SELECT %s::bigint, sum(s * k * t * vol * r * q) FROM bench_options$q$, :rows)),
(22, 'ref: sum(num_nonnulls(7 args))  [7-arg C call]',
    format($q$SELECT %s::bigint, sum(num_nonnulls(option_type, s, k, t, vol, r, q)) FROM bench_options$q$, :rows)),
(23, 'ref: sum(exp(-r*t)*s + ln(s/k) + sqrt(t))',
    format($q$SELECT %s::bigint, sum(exp(-r * t) * s + ln(s / k) + sqrt(t)) FROM bench_options$q$, :rows)),
(24, 'ref: sum((bs_greeks(...)).delta)  [no LATERAL]',
    format($q$SELECT %s::bigint, sum((portmargin.bs_greeks(option_type, s, k, t, vol, r, q)).delta) FROM bench_options$q$,
    :rows)),
(25, 'ref: sum(bs_delta(...))',
    format($q$SELECT %s::bigint, sum(portmargin.bs_delta(option_type, s, k, t, vol, r, q)) FROM bench_options$q$, :rows));

-- the PL/pgSQL peer on the full table, unless one subset run projects a
-- full-table run above :plpgsql_limit_s seconds
SELECT (ms * :rows / :subset_rows > :plpgsql_limit_s * 1000.0) AS plpgsql_scaled,
       round((ms * :rows / :subset_rows / 1000)::numeric, 1) AS plpgsql_projected_s
FROM pg_temp.bench_once(format($q$SELECT %s::bigint, sum(bench_plpgsql_bs_price(option_type, s, k, t, vol, r, q))
                                  FROM bench_options_subset$q$, :subset_rows), 0) \gset
\if :plpgsql_scaled
\else
INSERT INTO bench_queries (ord, label, sql) VALUES
(5, '(e) sum(bench_plpgsql_bs_price(...))  [PL/pgSQL peer]',
    format($q$SELECT %s::bigint, sum(bench_plpgsql_bs_price(option_type, s, k, t, vol, r, q)) FROM bench_options$q$, :rows));
\endif

\echo == timing (:runs interleaved rounds after one warm-up round, parallel workers off, jit :jit)
CALL pg_temp.bench_rounds(:runs);

\if :plpgsql_scaled
\echo NOTE: the PL/pgSQL peer is projected at :plpgsql_projected_s s per full-table run (> :plpgsql_limit_s s);
\echo NOTE: it was timed on the :subset_rows-row subset only and row (e) is scaled to :rows rows.
INSERT INTO bench_queries (ord, label, sql) VALUES (5, '(e) PL/pgSQL peer  [SCALED from subset]', NULL);
INSERT INTO bench_runs
SELECT 5, workers, run, ms * :rows / :subset_rows, :rows, NULL
FROM bench_runs WHERE ord = 13;
\endif

-- ---------------------------------------------------------------------------
-- results
-- ---------------------------------------------------------------------------
\echo
\echo == results (:rows rows; ns/row = median ms per 1,000,000 rows; ratio = ns/row / bare-scan ns/row)
SELECT s.label AS query,
       s.nrows AS rows,
       round(s.median_ms::numeric, 1) AS median_ms,
       round(s.min_ms::numeric, 1) AS min_ms,
       round(s.ns_row::numeric, 1) AS ns_row,
       round((s.ns_row - b.ns_row)::numeric, 1) AS ns_row_over_scan,
       round((s.ns_row / b.ns_row)::numeric, 2) AS x_bare_scan
FROM bench_rows s
CROSS JOIN (SELECT ns_row FROM bench_rows WHERE ord = 1) b
WHERE s.ord < 10 OR s.ord > 20
ORDER BY s.ord;

\echo == same :subset_rows-row subset, measured directly (for the PL/pgSQL ratio)
SELECT s.label AS query,
       s.nrows AS rows,
       round(s.median_ms::numeric, 1) AS median_ms,
       round(s.min_ms::numeric, 1) AS min_ms,
       round(s.ns_row::numeric, 1) AS ns_row
FROM bench_rows s
WHERE s.ord BETWEEN 11 AND 19
ORDER BY s.ord;

\echo == targets
SELECT 'bs_price / bare scan' AS ratio,
       round((p.ns_row / b.ns_row)::numeric, 2) AS measured,
       '<= 2' AS target,
       CASE WHEN p.ns_row <= 2 * b.ns_row THEN 'met' ELSE 'NOT met' END AS status
FROM bench_rows b, bench_rows p
WHERE b.ord = 1 AND p.ord = 2
UNION ALL
SELECT 'PL/pgSQL peer / bs_price' || CASE WHEN :'plpgsql_scaled'::boolean THEN ' (scaled)' ELSE '' END,
       round((e.ns_row / p.ns_row)::numeric, 1), '>= 100',
       CASE WHEN e.ns_row >= 100 * p.ns_row THEN 'met' ELSE 'NOT met' END
FROM bench_rows p, bench_rows e
WHERE p.ord = 2 AND e.ord = 5
UNION ALL
SELECT 'PL/pgSQL peer / bs_price (same subset)',
       round((e.ns_row / p.ns_row)::numeric, 1), '>= 100',
       CASE WHEN e.ns_row >= 100 * p.ns_row THEN 'met' ELSE 'NOT met' END
FROM bench_rows p, bench_rows e
WHERE p.ord = 12 AND e.ord = 13;

\echo == sanity: PL/pgSQL peer vs bs_price on the subset (A&S 26.2.17: |diff| < 7.5e-8 * (s + k))
SELECT max(abs(d)) AS max_abs_diff, max(abs(d) / (s + k)) AS max_diff_over_s_plus_k
FROM (SELECT s, k, bench_plpgsql_bs_price(option_type, s, k, t, vol, r, q)
                - portmargin.bs_price(option_type, s, k, t, vol, r, q) AS d
      FROM bench_options_subset) AS x;
