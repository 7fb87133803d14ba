-- bench/var.sql: VaR / expected-shortfall margin over joint scenarios.
--
-- Run with `bash bench/var.sh` (throwaway cluster), or against a database
-- that has the extension: psql -X -v ON_ERROR_STOP=1 -f bench/var.sql
--
-- psql variables: scenarios (100000), days (2500), runs (3), work_mem (4GB)
--
-- Book: 10 underlyings U00..U09, each with 20 options (10 strikes x
-- call/put, 3 expiries) ... in all 220 instruments (200 options + 20
-- futures, linear); 100 accounts x 100 positions = 10,000 positions, each
-- account holding instruments of every underlying, 45% short, setseed(0.7).
-- Scenario sets: Monte Carlo, :scenarios draws x 10 underlyings (Gaussian,
-- a one-factor correlation 0.5, 2-day vols); historical simulation over
-- :days days of a synthetic price history (random walk, setseed(0.7)).
-- Timed: building each set, and the account-margin query (ES 99%).
\if :{?scenarios}
\else
\set scenarios 100000
\endif
\if :{?days}
\else
\set days 2500
\endif
\if :{?runs}
\else
\set runs 3
\endif
\if :{?work_mem}
\else
\set work_mem 4GB
\endif
\set QUIET on
\pset footer off
SET client_min_messages = warning;
SET work_mem = :'work_mem';
SET max_parallel_workers_per_gather = 0;
SET jit = off;

\echo == environment
SELECT version() AS server, current_setting('work_mem') AS work_mem,
       (SELECT extversion FROM pg_extension WHERE extname = 'portmargin') AS portmargin;

\echo == data: 220 instruments, 100 accounts x 100 positions, :days days of prices
DROP TABLE IF EXISTS var_positions, var_instruments, var_prices, var_sets;
SELECT setseed(0.7) \gset
CREATE TABLE var_instruments AS
SELECT row_number() OVER (ORDER BY u, kind, t, strike, otype)::int AS instrument_id, x.*
FROM (SELECT format('U%s', lpad(u::text, 2, '0')) AS u, 'option' AS kind, ot AS otype,
             100 * (0.8 + 0.04 * k) AS strike, t, 100.0::float8 AS forward, 0.4 + 0.02 * u AS vol
      FROM generate_series(0, 9) u, generate_series(0, 9) k, unnest('{call,put}'::text[]) ot,
           unnest('{0.08,0.25}'::float8[]) t
      WHERE (k + (t = 0.25)::int) % 2 = 0            -- 10 strike/expiry pairs per underlying
      UNION ALL
      SELECT format('U%s', lpad(u::text, 2, '0')), 'future', NULL, NULL, t, 100 * exp(0.03 * t), NULL
      FROM generate_series(0, 9) u, unnest('{0.08,0.25}'::float8[]) t) x;
CREATE TABLE var_positions AS
SELECT a AS account_id, 1 + ((a * 37 + j * 11) % (SELECT count(*) FROM var_instruments))::int AS instrument_id,
       CASE WHEN random() < 0.45 THEN -1 ELSE 1 END * (1 + floor(random() * 20)) AS quantity
FROM generate_series(1, 100) a, generate_series(1, 100) j;
CREATE TABLE var_prices AS
SELECT format('U%s', lpad(u::text, 2, '0')) AS underlying, DATE '2016-01-01' + d AS day,
       100 * exp(sum((random() - 0.5) * 0.06) OVER (PARTITION BY u ORDER BY d)) AS price
FROM generate_series(0, 9) u, generate_series(0, :days) d;
ANALYZE var_instruments; ANALYZE var_positions; ANALYZE var_prices;
SELECT (SELECT count(*) FROM var_instruments) AS instruments, (SELECT count(*) FROM var_positions) AS positions,
       (SELECT count(DISTINCT account_id) FROM var_positions) AS accounts, (SELECT count(*) FROM var_prices) AS price_rows;

CREATE TABLE var_sets (name text PRIMARY KEY, s portmargin.scenario_set);
DROP TABLE IF EXISTS var_timing, var_out_mc;
CREATE TABLE var_timing (what text, run int, ms float8);   -- kept: bench/var_numpy.py reads it

-- the one-factor correlation matrix, 0.5 off the diagonal
SELECT array_agg(r ORDER BY i) AS corr FROM (
  SELECT i, array_agg(CASE WHEN i = j THEN 1 ELSE 0.5 END ORDER BY j) r FROM generate_series(1, 10) i, generate_series(1, 10) j GROUP BY i) x \gset

CREATE FUNCTION pg_temp.timed(what text, run int, q text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  EXECUTE q;
  INSERT INTO var_timing VALUES (what, run, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $f$;

\echo == timing (:runs runs each)
SELECT pg_temp.timed('MC scenario generation (' || :scenarios || ' x 10)', r, format(
  $q$INSERT INTO var_sets VALUES ('mc', portmargin.monte_carlo_scenarios(
        (SELECT array_agg(DISTINCT u ORDER BY u) FROM var_instruments), array_fill(0.04::float8, ARRAY[10]), %L, %s, %s))
     ON CONFLICT (name) DO UPDATE SET s = excluded.s$q$, :'corr', :scenarios, r))
FROM generate_series(1, :runs) r;
SELECT pg_temp.timed('HS scenario generation (' || :days || ' days x 10, 2-day overlapping)', r,
  $q$INSERT INTO var_sets SELECT 'hs', portmargin.historical_scenarios(array_agg(underlying), array_agg(day), array_agg(price), horizon => 2)
     FROM var_prices ON CONFLICT (name) DO UPDATE SET s = excluded.s$q$)
FROM generate_series(1, :runs) r;
SELECT name, portmargin.scenario_count(s) AS scenarios, pg_size_pretty(pg_column_size(s)::bigint) AS stored_size FROM var_sets ORDER BY name;

-- the ES margin query over the stored set named %L (format argument)
\set es_query 'CREATE TEMP TABLE IF NOT EXISTS var_out AS SELECT 1 AS a WITH NO DATA; DROP TABLE var_out; CREATE TEMP TABLE var_out AS SELECT p.account_id, (m).initial_margin, (m).expected_shortfall FROM (SELECT p.account_id, portmargin.portfolio_margin(p.quantity, i.u, i.kind, i.otype, i.strike, i.t, i.forward, i.vol, ''linear'', 1, NULL, (SELECT s FROM var_sets WHERE name = %L)) AS m FROM var_positions p JOIN var_instruments i USING (instrument_id) GROUP BY p.account_id) p'
SELECT pg_temp.timed('ES 99% account margin, mc set, 10,000 positions', r, format(:'es_query', 'mc'))
FROM generate_series(1, :runs) r;
CREATE TABLE var_out_mc AS SELECT * FROM var_out;   -- for bench/var_numpy.py's check
-- hs last: var_out then holds the HS results for the check below
SELECT pg_temp.timed('ES 99% account margin, hs set, 10,000 positions', r, format(:'es_query', 'hs'))
FROM generate_series(1, :runs) r;

-- what a user would write without the aggregate: risk arrays unnested in SQL,
-- summed per account and scenario, then ES of each account's vector (HS set)
SELECT pg_temp.timed('ref: plain SQL over risk_array (unnest, sum per scenario, ES), hs set', 1,
  $q$CREATE TEMP TABLE var_ref AS
     SELECT account_id, portmargin.expected_shortfall(array_agg(pnl ORDER BY j), 0.99) AS es
     FROM (SELECT p.account_id, x.j, sum(p.quantity * x.v) AS pnl
           FROM var_positions p
           JOIN (SELECT i.instrument_id, portmargin.risk_array(s.s, i.kind, i.otype, i.strike, i.t, i.forward, i.vol,
                                                               'linear', 1, i.u) AS ra
                 FROM var_instruments i, var_sets s WHERE s.name = 'hs') r USING (instrument_id)
           CROSS JOIN LATERAL unnest(r.ra) WITH ORDINALITY AS x(v, j)
           GROUP BY 1, 2) y
     GROUP BY account_id$q$);

\echo == results
SELECT what, count(*) AS runs, round(min(ms)::numeric, 1) AS min_ms, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms
FROM var_timing GROUP BY what ORDER BY min(run), what;
SELECT count(*) AS accounts, round(sum(initial_margin)::numeric, 2) AS total_margin_last_set,
       round(min(initial_margin)::numeric, 2) AS min, round(max(initial_margin)::numeric, 2) AS max FROM var_out;
\echo == check: ES of the aggregate (hs set) = ES of the plain SQL, every account (1e-9 relative)
SELECT count(*) AS accounts, count(*) FILTER (WHERE abs(o.expected_shortfall - r.es) <= 1e-9 * greatest(1, abs(r.es))) AS equal
FROM var_out o JOIN var_ref r USING (account_id);
-- (tables kept for inspection; dropped at the next run)
