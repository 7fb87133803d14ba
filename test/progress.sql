-- test/progress.sql: portmargin.progress_interval, the opt-in progress reports of long
-- work (doc/progress.md; issue 11, point 6).
--
-- NOTICEs cannot be caught in SQL, so each workload runs in a second psql (a shell
-- command in backquotes: psql sets the variable to its output, here stderr merged,
-- i.e. the NOTICE lines) against this database, with the connection settings of the
-- environment (PGHOST, PGPORT, PGUSER: test/run.sh exports them; for your own server,
-- set them as for pg_prove, doc/testing.md).  This session then parses the lines.
-- What the lines must say comes from the workloads themselves, not from a run of this
-- code: the n passed to monte_carlo_scenarios, the number of input rows with a
-- quantity (count(q)), the number of accounts (GROUP BY), and the number of
-- equity_excess_at calls that PostgreSQL's own function statistics count
-- (pg_stat_get_xact_function_calls, track_functions = 'pl').  Each second session does
-- its work in a transaction that it rolls back.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
SELECT plan(35);
SET client_min_messages = warning;
-- the library (and its settings) loaded in this session
SELECT portmargin.bs_price('call', 100, 100, 1, 0.2, 0, 0) IS NOT NULL AS loaded \gset

\set inner 'psql -X -q -v ON_ERROR_STOP=1 -d ' :DBNAME

-- ---------------------------------------------------------------------------------------
-- 1. The setting
-- ---------------------------------------------------------------------------------------
SELECT is(current_setting('portmargin.progress_interval'), '0', 'progress_interval is 0 (off) by default');
SELECT is((SELECT context || ' ' || vartype || ' ' || unit || ' ' || min_val || ' ' || max_val
           FROM pg_settings WHERE name = 'portmargin.progress_interval'),
          'user real s 0 86400', 'progress_interval: set by any user, real, in seconds, from 0 to 86400');
SELECT throws_ok($$SET portmargin.progress_interval = -1$$, '22023', NULL, 'a negative interval is refused (22023)');
SELECT throws_ok($$SET portmargin.progress_interval = 'often'$$, '22023', NULL, 'a non-number is refused (22023)');
SELECT throws_ok($$SET portmargin.progress_interval = 86401$$, '22023', NULL, 'more than a day is refused (22023)');
SELECT lives_ok($$SET LOCAL portmargin.progress_interval = '250ms'$$, 'an interval with a unit is accepted');
SELECT is(current_setting('portmargin.progress_interval'), '250ms', '250ms is kept as 0.25 s');
SET LOCAL portmargin.progress_interval = 0;
-- the prefix is reserved: a misspelt setting is an error, not a silent placeholder
SELECT throws_ok($$SET portmargin.progress_intreval = 1$$, '42602', NULL, 'a misspelt portmargin.* setting is an error');
SELECT lives_ok($$SET LOCAL portmargin.maintain_shipped = on$$, 'portmargin.maintain_shipped is still a setting');
SET LOCAL portmargin.maintain_shipped = off;

-- lines of one kind as (done, total, pct, elapsed, finished), in the order sent
CREATE FUNCTION pg_temp.lines(out_text text, what text, unit text,
                              OUT k int, OUT done bigint, OUT total bigint, OUT pct numeric, OUT elapsed numeric,
                              OUT finished bool)
RETURNS SETOF record LANGUAGE sql AS $f$
  SELECT (row_number() OVER ())::int, m[1]::bigint, m[3]::bigint, m[4]::numeric, m[5]::numeric, m[6] IS NOT NULL
  FROM regexp_matches(out_text,
         'NOTICE:  portmargin: ' || regexp_replace(what, '([().,])', '\\\1', 'g') || ': (\d+)( of (\d+))? ' || unit ||
         '(?: \(([\d.]+)%\))?(?: so far)?, ([\d.]+) s(, finished)?', 'g') m
$f$;

-- ---------------------------------------------------------------------------------------
-- 2. Monte Carlo generation: 4,000,000 scenarios x 2 underlyings (about 0.5 s here),
--    reported every 0.1 s
-- ---------------------------------------------------------------------------------------
\set mc_on `:inner -c "SET portmargin.progress_interval = 0.1" -c "SELECT count(portmargin.monte_carlo_scenarios('{A,B}', '{0.2,0.3}', '{1,0.5,0.5,1}', 4000000, 11))" 2>&1`
\set mc_off `:inner -c "SELECT count(portmargin.monte_carlo_scenarios('{A,B}', '{0.2,0.3}', '{1,0.5,0.5,1}', 4000000, 11))" 2>&1`
CREATE TEMP TABLE mc AS SELECT * FROM pg_temp.lines(:'mc_on', 'monte_carlo_scenarios', 'scenarios');
SELECT cmp_ok((SELECT count(*) FROM mc WHERE NOT finished), '>=', 1::bigint, 'Monte Carlo: at least one progress line during the work');
SELECT is((SELECT count(*) FROM mc WHERE finished), 1::bigint, 'Monte Carlo: one final line');
SELECT is((SELECT bool_and(finished = (k = (SELECT max(k) FROM mc))) FROM mc), true, 'Monte Carlo: the final line is the last');
SELECT is((SELECT done || ' of ' || total || ' (' || pct || '%)' FROM mc WHERE finished), '4000000 of 4000000 (100.0%)',
          'Monte Carlo: the final line says n of n scenarios (n = 4,000,000, the argument), 100%');
SELECT is((SELECT bool_and(total = 4000000 AND done <= total AND pct = round(100.0 * done / total, 1)) FROM mc), true,
          'Monte Carlo: every line has total = n, done <= n and pct = 100 done / n to 0.1');
SELECT is((SELECT bool_and(d.done >= p.done AND d.elapsed >= p.elapsed) FROM mc d JOIN mc p ON p.k = d.k - 1), true,
          'Monte Carlo: done and elapsed never decrease');
-- reports are at least the interval apart (elapsed is printed to 0.01 s)
SELECT is((SELECT coalesce(bool_and(d.elapsed - p.elapsed >= 0.1 - 0.01), true) FROM mc d JOIN mc p ON p.k = d.k - 1 WHERE NOT d.finished),
          true, 'Monte Carlo: progress lines are at least the interval (0.1 s) apart');
SELECT is((SELECT min(elapsed) FROM mc) >= 0.1 - 0.01, true, 'Monte Carlo: the first line comes after one interval');
SELECT unalike(:'mc_off'::text, '%portmargin:%', 'Monte Carlo, progress_interval = 0: no progress line');
SELECT alike(:'mc_off'::text, '%1%', 'Monte Carlo, progress_interval = 0: the query ran');
-- the same draws with the report on (the generation runs in chunks when it is on or off)
SET LOCAL portmargin.progress_interval = 0.001;
CREATE TEMP TABLE mc_sets AS
SELECT portmargin.scenario_set_send(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.2,0.3,0.1}', '{1,0.5,0.2,0.5,1,0.3,0.2,0.3,1}', 300000, 5, 'student', 5)) AS on_;
SET LOCAL portmargin.progress_interval = 0;
SELECT is((SELECT on_ = portmargin.scenario_set_send(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.2,0.3,0.1}',
                                       '{1,0.5,0.2,0.5,1,0.3,0.2,0.3,1}', 300000, 5, 'student', 5)) FROM mc_sets), true,
          'Monte Carlo: the same set, byte for byte, with progress on and off');

-- ---------------------------------------------------------------------------------------
-- 3. A margin run: 200 accounts x 20 positions (and 10 rows without a quantity, not
--    folded) over a 100,000-scenario joint set, reported every 0.05 s (tables, not
--    temporary ones, so that a parallel plan may read them; rolled back)
-- ---------------------------------------------------------------------------------------
\set agg_setup 'CREATE TABLE pm_progress_s AS SELECT portmargin.monte_carlo_scenarios(''{A}'', ''{0.2}'', ''{1}'', 100000, 7) s; CREATE TABLE pm_progress_pos AS SELECT a AS acc, (k % 7 + 1)::float8 q, 80 + (k % 40) AS strike FROM generate_series(1, 200) a, generate_series(1, 20) k UNION ALL SELECT a, NULL, 100 FROM generate_series(1, 10) a; ANALYZE pm_progress_pos;'
\set agg_q 'SELECT count(m) FROM (SELECT acc, portmargin.portfolio_margin(q, ''A'', ''option'', ''call'', strike, 0.5, 100, 0.2, ''linear'', 1, NULL, (SELECT s FROM pm_progress_s)) m FROM pm_progress_pos GROUP BY acc) x;'
\set agg_hashed `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '256MB'; SET LOCAL portmargin.progress_interval = 0.05; :agg_q ROLLBACK" 2>&1`
\set agg_sorted `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL enable_hashagg = off; SET LOCAL portmargin.progress_interval = 0.05; :agg_q ROLLBACK" 2>&1`
\set agg_lateral `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL portmargin.progress_interval = 0.05; SELECT count(m) FROM generate_series(1, 200) a, LATERAL (SELECT portmargin.portfolio_margin(q, 'A', 'option', 'call', strike, 0.5, 100, 0.2, 'linear', 1, NULL, (SELECT s FROM pm_progress_s)) m FROM pm_progress_pos WHERE acc = a) x; ROLLBACK" 2>&1`
\set agg_state `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL portmargin.progress_interval = 0.05; SELECT count(m) FROM (SELECT acc, portmargin.portfolio_margin_state(q, 'A', 'option', 'call', strike, 0.5, 100, 0.2, 'linear', 1, NULL, (SELECT s FROM pm_progress_s)) m FROM pm_progress_pos GROUP BY acc) x; ROLLBACK" 2>&1`
\set agg_off `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 0; :agg_q ROLLBACK" 2>&1`
\set agg_parallel `:inner -c "BEGIN; :agg_setup SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL work_mem = '256MB'; SET LOCAL portmargin.progress_interval = 0.001; :agg_q ROLLBACK" 2>&1`
-- rows: 'N rows folded'; groups follow on the same line
CREATE FUNCTION pg_temp.agg_lines(out_text text, what text,
                                  OUT k int, OUT rows bigint, OUT groups bigint, OUT groups_total bigint,
                                  OUT so_far bool, OUT finished bool)
RETURNS SETOF record LANGUAGE sql AS $f$
  SELECT (row_number() OVER ())::int, m[1]::bigint, m[2]::bigint, m[4]::bigint, m[5] IS NOT NULL, m[6] IS NOT NULL
  FROM regexp_matches(out_text,
         'NOTICE:  portmargin: ' || regexp_replace(what, '([().,])', '\\\1', 'g') ||
         ': (\d+) rows folded, (\d+)( of (\d+))? groups finalised(?: \([\d.]+%\))?( so far)?, [\d.]+ s(, finished)?', 'g') m
$f$;
CREATE TEMP TABLE h AS SELECT * FROM pg_temp.agg_lines(:'agg_hashed', 'portfolio_margin');
SELECT cmp_ok((SELECT count(*) FROM h WHERE NOT finished), '>=', 1::bigint, 'margin run, hashed: progress lines during the run');
SELECT is((SELECT rows || ' rows, ' || groups || ' of ' || groups_total || ' groups' FROM h WHERE finished),
          '4000 rows, 200 of 200 groups',
          'margin run, hashed: the final line has every row with a quantity (200 x 20) and every account (200 of 200)');
SELECT is((SELECT count(*) FROM h WHERE finished), 1::bigint, 'margin run, hashed: one final line');
SELECT is((SELECT bool_and(so_far = (groups_total IS NULL)) FROM h), true,
          'margin run, hashed: "so far" exactly while no total is known (rows folding)');
SELECT is((SELECT bool_and(d.rows >= p.rows AND d.groups >= p.groups) FROM h d JOIN h p ON p.k = d.k - 1), true,
          'margin run, hashed: the counts never decrease');
CREATE TEMP TABLE g AS SELECT * FROM pg_temp.agg_lines(:'agg_sorted', 'portfolio_margin');
SELECT is((SELECT rows || ' rows, ' || groups || ' groups, total ' || coalesce(groups_total::text, 'unknown') FROM g WHERE finished),
          '4000 rows, 200 groups, total unknown',
          'margin run, sorted: the final line has every row and every account (the number of groups is not known in advance)');
SELECT cmp_ok((SELECT count(*) FROM g WHERE NOT finished AND so_far), '>=', 1::bigint,
              'margin run, sorted: progress lines say "so far"');
CREATE TEMP TABLE l AS SELECT * FROM pg_temp.agg_lines(:'agg_lateral', 'portfolio_margin');
SELECT is((SELECT rows || ' rows, ' || groups || ' groups, total ' || coalesce(groups_total::text, 'unknown') FROM l WHERE finished),
          '4000 rows, 200 groups, total unknown',
          'margin run, one aggregate per account (LATERAL, rescanned 200 times): one run over the query, every row and account');
SELECT matches(:'agg_state'::text, 'portfolio_margin_state: 4000 rows folded, [\d.]+ s, finished',
               'portfolio_margin_state: its rows are counted, no groups (its final function serialises a state)');
SELECT unalike(:'agg_off'::text, '%portmargin:%', 'margin run, progress_interval = 0: no progress line');
-- parallel: the partial aggregates (leader and workers) fold every row between them; the
-- finalize aggregate finalises every account
SELECT is((SELECT sum(m[1]::bigint) FROM regexp_matches(:'agg_parallel',
             'portfolio_margin \(partial aggregate(?:, parallel worker \d+)?\): (\d+) rows folded, [\d.]+ s, finished', 'g') m),
          4000::numeric, 'margin run, parallel: the partial aggregates'' final lines add up to every row (workers'' lines reach the client)');
SELECT alike(:'agg_parallel'::text, '%portfolio_margin (partial aggregate, parallel worker %', 'margin run, parallel: a worker reports');
SELECT alike(:'agg_parallel'::text, '%portfolio_margin (finalize aggregate): 200 of 200 groups finalised (100.0\%)%finished%',
            'margin run, parallel: the finalize aggregate finalised every account');

-- ---------------------------------------------------------------------------------------
-- 4. A liquidation price search (account 2 of a reference schema of 20 demo accounts,
--    its BTC price), every evaluation counted by PostgreSQL's function statistics
-- ---------------------------------------------------------------------------------------
SELECT NOT rolsuper AS pm_not_superuser FROM pg_catalog.pg_roles WHERE rolname = current_user \gset
\if :pm_not_superuser
SELECT skip('track_functions (PostgreSQL''s count of the evaluations) is set by a superuser only (run as an application role)', 2);
\else
\set liq `:inner -c "BEGIN" -c "SELECT portmargin.create_reference_schema('pm_progress_ref')" -c "SELECT portmargin.generate_demo_book('pm_progress_ref', 20)" -c "SET LOCAL track_functions = 'pl'" -c "SET LOCAL portmargin.progress_interval = 0.001" -c "SELECT * FROM pm_progress_ref.liquidation_prices(2, 'BTC', 0.5)" -c "SET LOCAL portmargin.progress_interval = 0" -c "SELECT 'calls ' || pg_stat_get_xact_function_calls('pm_progress_ref.equity_excess_at(bigint, text, float8)'::regprocedure)" -c "ROLLBACK" 2>&1`
SELECT is(coalesce((SELECT m[1] FROM regexp_matches(:'liq', 'liquidation_prices\(account \d+, BTC\): (\d+) evaluations of equity_excess_at, [\d.]+ s, finished') m), 'no final line'),
          coalesce((SELECT m[1] FROM regexp_matches(:'liq', 'calls (\d+)') m), 'no count of calls'),
          'liquidation search: the final line counts every evaluation (= PostgreSQL''s count of equity_excess_at calls)');
SELECT cmp_ok((SELECT m[1]::int FROM regexp_matches(:'liq', 'calls (\d+)') m), '>', 1, 'liquidation search: several evaluations were made');
\endif

SELECT * FROM finish();
ROLLBACK;
