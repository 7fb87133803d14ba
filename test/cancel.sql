-- test/cancel.sql: every long operation answers a query cancel sent 100 ms after
-- it starts (issue 9, point 4), the ERROR arriving within bound_ms, and within
-- 100 ms in the better of two tries (issue 11, point 6).
--
-- The operations run in a second session (dblink to this server).  Their
-- inputs (a 5,000,000-scenario joint set and what is derived from it, a
-- 2,000,000-scenario set and its margin state, a 200,000-day history, a
-- 2,000 x 2,000 correlation matrix) are built there
-- first, untimed, and kept in temporary tables stored EXTERNAL
-- (uncompressed).  For each operation a procedure (a CALL holds no TOAST
-- pointers: the input is fetched into memory) defines the workload as an SQL
-- function of its input (planned generically: the input is not copied into
-- the plan as a constant), sets application_name = 'pm_cancel ready' and
-- runs it.  This session waits for that signal, waits 100 ms more (the
-- statement_timeout = 100ms of the issue, counted from the start of the
-- operation rather than of the statement, so that fetching the input does
-- not use it up), sends pg_cancel_backend (a statement timeout sets the same
-- QueryCancelPending flag, serviced at the same CHECK_FOR_INTERRUPTS) and
-- measures the time until the ERROR, 57014, arrives here.
--
-- Each workload runs for 2 s or more uncancelled (measured: 2-20 s on the
-- 2-vCPU test machine), so the cancel lands inside its long operation; a
-- workload that has finished when the cancel is due fails its test.  On
-- 0.3.0 these workloads answered 0.2-0.95 s late (risk_array of a joint
-- set, portfolio_margin_state, scenario_set in / out / send, var_scenarios,
-- historical_scenarios with a long horizon, Monte Carlo over 2,000
-- underlyings); now within a few ms, and always under bound_ms.
--
-- Adding an operation is one row in probes: (name, input, workload), the
-- workload a query whose $1 is the input (a pm_in column, or NULL for none),
-- and after_ms if the cancel must come later than 100 ms.
BEGIN;
CREATE EXTENSION IF NOT EXISTS dblink;

-- the largest acceptable delay between the cancel and the ERROR at this end: the
-- operations answer within a few ms, a missing interrupt check would be 0.2 s to hours
-- late; 250 ms leaves room for the scheduling noise of a shared 2-vCPU machine (runs of
-- 2026-12-03 saw 123 ms and 192 ms once each while other work ran on it)
\set bound_ms 250

-- after_ms: when the cancel is sent, counted from the start of the workload (the issue's
-- statement_timeout = 100ms unless a row says otherwise)
CREATE TEMP TABLE probes (name text, input text, workload text, after_ms int DEFAULT 100);
INSERT INTO probes (name, input, workload) VALUES
  ('risk_array, joint set, option', 'set',
   $$SELECT sum(cardinality(portmargin.risk_array($1, 'option', 'call', k, 0.5, 100, 0.2, 'linear', 1, 'A'))) FROM generate_series(80, 120) k$$),
  ('risk_array, joint set, future', 'set',
   $$SELECT sum(cardinality(portmargin.risk_array($1, 'future', NULL, NULL, 0.5, f, NULL, 'linear', 1, 'A'))) FROM generate_series(80, 200) f$$),
  ('scenario_vols, joint set', 'set',
   $$SELECT sum(cardinality(portmargin.scenario_vols($1, v, 0.5))) FROM generate_series(1, 100) v$$),
  ('blend_scenarios', 'set',
   $$SELECT count(portmargin.blend_scenarios($1, $1, w)) FROM generate_series(0.25, 0.5, 0.05) w$$),
  ('with_floor', 'set',
   $$SELECT count(portmargin.with_floor($1, $1)) FROM generate_series(1, 10)$$),
  ('scenario_set output', 'set', $$SELECT sum(octet_length($1::text)) FROM generate_series(1, 10)$$),
  ('scenario_set_send', 'set', $$SELECT sum(octet_length(portmargin.scenario_set_send($1))) FROM generate_series(1, 10)$$),
  ('scenario_set input', 'text', $$SELECT count($1::portmargin.scenario_set) FROM generate_series(1, 10)$$),
  ('scenarios()', 'set', $$SELECT count(*) FROM portmargin.scenarios($1)$$),
  ('joint_moves()', 'set',
   $$SELECT count(*) FROM generate_series(1, 12) g, LATERAL (SELECT * FROM portmargin.joint_moves($1) WHERE g > 0) j$$),
  ('var_scenarios', 'moves',
   $$SELECT count(portmargin.var_scenarios('{A}', $1, confidence => c)) FROM generate_series(0.9, 0.99, 0.01) c$$),
  ('monte_carlo_scenarios', NULL,
   $$SELECT count(portmargin.monte_carlo_scenarios('{A,B}', '{0.2,0.3}', '{1,0.5,0.5,1}', 5000000, k)) FROM generate_series(1, 10) k$$),
  ('monte_carlo_scenarios, 2,000 underlyings', 'mc',
   $$SELECT count(portmargin.monte_carlo_scenarios(($1).names, ($1).vols, ($1).corr, 500, k)) FROM generate_series(1, 5) k$$),
  ('historical_scenarios, long horizon', 'hist',
   $$SELECT count(portmargin.historical_scenarios(($1).names, ($1).days, ($1).vals, horizon => h)) FROM generate_series(5000, 5010) h$$),
  ('merge_margin_states (state deserialisation)', 'state',
   $$SELECT sum(pg_column_size(x)) FROM generate_series(1, 100) g,
            LATERAL (SELECT portmargin.merge_margin_states(s) x FROM (VALUES ($1)) v(s) WHERE g > 0) m$$),
  ('portfolio_margin_state (state serialisation)', 'set2m',
   $$SELECT sum(pg_column_size(x)) FROM generate_series(1, 150) g,
            LATERAL (SELECT portmargin.portfolio_margin_state(q, 'A', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, $1) x
                     FROM (VALUES (g::float8)) v(q)) m$$);

INSERT INTO probes (name, input, workload) VALUES
  ('portfolio_margin_state, joint set: risk arrays', 'set',
   $$SELECT portmargin.portfolio_margin_state(1, 'A', 'option', 'call', k, 0.5, 100, 0.2, 'linear', 1, NULL, $1) FROM generate_series(80, 120) k$$),
  ('historical_scenarios, 3,000,000 observations', 'hist_wide',
   $$SELECT count(portmargin.historical_scenarios(($1).names, ($1).days, ($1).vals)) FROM generate_series(1, 5)$$),
  ('with_tail', 'set', $$SELECT count(portmargin.with_tail($1, c, 'es', 0)) FROM generate_series(0.9, 0.99, 0.001) c$$),
  -- the tail of 5,000,000 values (0.3.0: n x k with no interrupt check, seconds to hours late)
  ('value_at_risk', 'moves', $$SELECT count(portmargin.value_at_risk($1, c)) FROM generate_series(0.5, 0.99, 0.07) c$$),
  ('expected_shortfall', 'moves', $$SELECT count(portmargin.expected_shortfall($1, c)) FROM generate_series(0.5, 0.99, 0.07) c$$),
  ('expected_shortfall, weighted', 'moves',
   $$SELECT count(portmargin.expected_shortfall($1, c, w)) FROM generate_series(0.5, 0.99, 0.07) c,
            (SELECT array_fill(0.5::float8, ARRAY[cardinality($1) - 1]) || 1.0::float8 AS w) x$$);
-- the tail as rows and per-position contributions (issue 16, point 1) over 5,000,000 values
INSERT INTO probes (name, input, workload) VALUES
  ('tail_scenarios', 'moves',
   $$SELECT count(*) FROM generate_series(0.5, 0.99, 0.07) c, LATERAL portmargin.tail_scenarios($1, c) t$$),
  ('tail_scenarios, weighted', 'moves',
   $$SELECT count(*) FROM generate_series(0.5, 0.99, 0.07) c,
            (SELECT array_fill(0.5::float8, ARRAY[cardinality($1) - 1]) || 1.0::float8 AS w) x,
            LATERAL portmargin.tail_scenarios($1, c, 'es', x.w) t$$),
  ('tail_scenarios, joint set', 'set',
   $$SELECT count(*) FROM generate_series(1, 20) g,
            LATERAL portmargin.tail_scenarios($1, portmargin.risk_array($1, 'future', NULL, NULL, 0.5, 100 + g, NULL, 'linear', 1, 'A')) t$$),
  ('position_contributions', 'set',
   $$SELECT count(*) FROM generate_series(1, 20) g,
            LATERAL portmargin.position_contributions($1, portmargin.risk_array($1, 'future', NULL, NULL, 0.5, 100 + g, NULL, 'linear', 1, 'A')) c$$);
-- the var method's tail over a 5,000,000-scenario set, sent 500 ms in (after the revaluation has started)
INSERT INTO probes VALUES
  ('portfolio_margin, var method', 'set',
   $$SELECT count(x) FROM generate_series(1, 20) g,
            LATERAL (SELECT portmargin.portfolio_margin(q, 'A', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, $1) x
                     FROM (VALUES (g::float8)) v(q)) m$$,
   500);

-- stress_pnl over a 5,000,000-scenario joint set: a new option per row (each revalued in every scenario)
INSERT INTO probes (name, input, workload) VALUES
  ('stress_pnl, joint set', 'set',
   $$SELECT count(x) FROM generate_series(1, 40) g,
            LATERAL (SELECT portmargin.stress_pnl($1, 1, 'A', 'option', 'linear', 'call', 100, 60 + k, 0.5, 0.2, 1, 100, 0) x
                     FROM (VALUES (g)) v(k)) m$$);

-- with progress reports on (portmargin.progress_interval, doc/progress.md): reporting
-- must not delay the answer to a cancel
INSERT INTO probes (name, input, workload) VALUES
  ('monte_carlo_scenarios, progress on', NULL,
   $$SELECT set_config('portmargin.progress_interval', '0.01', true);
     SELECT count(portmargin.monte_carlo_scenarios('{A,B}', '{0.2,0.3}', '{1,0.5,0.5,1}', 5000000, k)) FROM generate_series(1, 10) k$$);
INSERT INTO probes VALUES
  ('portfolio_margin, var, progress on', 'set',
   $$SELECT set_config('portmargin.progress_interval', '0.01', true);
     SELECT count(x) FROM generate_series(1, 20) g,
            LATERAL (SELECT portmargin.portfolio_margin(q, 'A', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, $1) x
                     FROM (VALUES (g::float8)) v(q)) m$$,
   500);

-- issue 16, point 7: estimate_correlation over 3,000,000 observations (the sort, the returns, the EWMA
-- covariance), and nearest_correlation of a 200 x 200 indefinite matrix (one gsl_eigen_symmv per
-- iteration, about 50 ms; tolerance 1e-15 is not reached: it would run 1,000 iterations), sent 500 ms
-- in (after the matrix is built)
INSERT INTO probes VALUES
  ('estimate_correlation, 3,000,000 observations', 'hist_wide',
   $$SELECT count(portmargin.estimate_correlation(($1).names, ($1).days, ($1).vals, 'ewma', shrinkage => s)) FROM generate_series(0, 0.4, 0.1) s$$,
   100),
  ('nearest_correlation, 200 x 200', NULL,
   $$SELECT cardinality(portmargin.nearest_correlation(m, 1e-15, 1000))
     FROM (SELECT array_agg(CASE WHEN a = b THEN 1 WHEN abs(a - b) = 1 THEN 0.9 ELSE -0.3 * cos(a * b) END ORDER BY a, b)::float8[]
           FROM generate_series(1, 200) a, generate_series(1, 200) b) x(m)$$,
   500);

SELECT plan(3 * (SELECT count(*)::int FROM probes));

-- the second session and its inputs ------------------------------------------------------
SELECT dblink_connect('pm_cancel', format('host=%s port=%s dbname=%s user=%s application_name=pm_cancel',
                      split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port'), current_database(), current_user));
SELECT dblink_exec('pm_cancel', $remote$
SET plan_cache_mode = force_generic_plan;
CREATE TYPE pg_temp.pm_hist AS (names text[], days date[], vals float8[]);
CREATE TYPE pg_temp.pm_mc AS (names text[], vols float8[], corr float8[]);
CREATE TEMP TABLE pm_in (set portmargin.scenario_set, text text, moves float8[], set2m portmargin.scenario_set,
                         state portmargin.margin_state, hist pg_temp.pm_hist, mc pg_temp.pm_mc, hist_wide pg_temp.pm_hist);
ALTER TABLE pm_in ALTER set SET STORAGE EXTERNAL, ALTER text SET STORAGE EXTERNAL, ALTER set2m SET STORAGE EXTERNAL,
                  ALTER moves SET STORAGE EXTERNAL, ALTER state SET STORAGE EXTERNAL,
                  ALTER hist SET STORAGE EXTERNAL, ALTER mc SET STORAGE EXTERNAL, ALTER hist_wide SET STORAGE EXTERNAL;
INSERT INTO pm_in (set) SELECT portmargin.monte_carlo_scenarios('{A}', '{0.2}', '{1}', 5000000, 7);
UPDATE pm_in SET text = set::text, moves = (SELECT array_agg(price_move) FROM portmargin.joint_moves(set));
-- margin states of 2,000,000 scenarios (a unit's P&L vector is 16 MB)
UPDATE pm_in SET set2m = portmargin.monte_carlo_scenarios('{A}', '{0.2}', '{1}', 2000000, 8);
UPDATE pm_in SET state = (SELECT portmargin.portfolio_margin_state(1, 'A', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, s)
                          FROM (SELECT set2m FROM pm_in) x(s));
-- 2,000 underlyings, equicorrelation 0.3 (the Cholesky factor alone is 2.7e9 multiply-adds)
UPDATE pm_in SET mc = (SELECT ROW(array_agg('u' || i ORDER BY i), array_agg(0.2::float8 ORDER BY i),
                                  (SELECT array_agg(CASE WHEN a = b THEN 1 ELSE 0.3 END ORDER BY a, b)
                                   FROM generate_series(1, 2000) a, generate_series(1, 2000) b)::float8[])::pg_temp.pm_mc
                       FROM generate_series(1, 2000) i);
-- one underlying, 200,000 daily prices (a random walk)
UPDATE pm_in SET hist = (SELECT ROW(array_agg('A'::text), array_agg(date '1500-01-01' + d ORDER BY d),
                                    array_agg(100 * exp(0.01 * sin(d) + 0.001 * d / 1000.0) ORDER BY d))::pg_temp.pm_hist
                         FROM generate_series(0, 199999) d);
-- ten underlyings, 300,000 days each
UPDATE pm_in SET hist_wide = (SELECT ROW(array_agg('U' || u ORDER BY d, u), array_agg(date '1000-01-01' + d ORDER BY d, u),
                                         array_agg(100 * exp(0.01 * sin(d * u)) ORDER BY d, u))::pg_temp.pm_hist
                              FROM generate_series(1, 10) u, generate_series(0, 299999) d);
-- the probe: the input (detoasted into memory: a CALL's variables hold no TOAST pointers),
-- then the workload as an SQL function of it (planned generically: the input is not
-- copied into the plan as a constant), after the ready signal
CREATE PROCEDURE pg_temp.pm_probe(workload text, col text, input anyelement) LANGUAGE plpgsql AS $f$
BEGIN
  IF col IS NOT NULL THEN
    -- a composite input is assigned field by field
    EXECUTE format(CASE WHEN (SELECT typtype FROM pg_type WHERE oid = pg_typeof(input)) = 'c'
                        THEN 'SELECT (%I).* FROM pm_in' ELSE 'SELECT %I FROM pm_in' END, col) INTO input;
  END IF;
  EXECUTE format('CREATE OR REPLACE FUNCTION pg_temp.pm_work(%s) RETURNS void LANGUAGE sql SET work_mem = ''64MB'' AS %L',
                 pg_typeof(input), workload);
  PERFORM set_config('application_name', 'pm_cancel ready', false);
  PERFORM pg_temp.pm_work(input);
END $f$;
$remote$);

-- one probe: milliseconds from the cancel to the ERROR, and its SQLSTATE -----------------
-- An operation that ignores the cancel for 10 s is reported as such (ms = 10000), and the
-- other session, still busy with it, is not used again: the remaining probes fail as skipped
-- instead of waiting (the cluster is stopped with the suite).
CREATE TEMP TABLE stuck (name text);
CREATE FUNCTION pg_temp.cancel_probe(name text, input text, workload text, after_ms int,
                                     OUT ms float8, OUT code text, OUT message text)
LANGUAGE plpgsql AS $f$
DECLARE
  rpid int;
  app text;
  typ text;
  t_cancel timestamptz;
BEGIN
  IF EXISTS (SELECT 1 FROM stuck) THEN
    code := 'skipped: the other session is still busy with ' || (SELECT min(s.name) FROM stuck s);
    RETURN;
  END IF;
  rpid := (SELECT p FROM dblink('pm_cancel', 'SELECT pg_backend_pid()') t(p int));
  PERFORM dblink_exec('pm_cancel', 'SET application_name = pm_cancel');
  -- the input's type, from the other session's pm_in
  typ := coalesce((SELECT t FROM dblink('pm_cancel', format('SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                                                              WHERE attrelid = ''pm_in''::regclass AND attname = %L', input)) r(t text)),
                  'int');
  PERFORM dblink_send_query('pm_cancel', format('CALL pg_temp.pm_probe(%L, %L, NULL::%s)', workload, input, typ));
  LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT a.application_name INTO app FROM pg_stat_activity a WHERE a.pid = rpid;
    EXIT WHEN app = 'pm_cancel ready' OR dblink_is_busy('pm_cancel') = 0;
    PERFORM pg_sleep(0.001);
  END LOOP;
  PERFORM pg_sleep(after_ms / 1000.0);
  IF dblink_is_busy('pm_cancel') = 0 THEN
    code := 'finished';
  ELSE
    t_cancel := clock_timestamp();
    PERFORM pg_cancel_backend(rpid);
    WHILE dblink_is_busy('pm_cancel') = 1 LOOP
      IF clock_timestamp() > t_cancel + interval '10 s' THEN
        INSERT INTO stuck VALUES (name);
        ms := 10000;
        code := 'no answer within 10 s';
        RETURN;
      END IF;
      PERFORM pg_sleep(0.0005);
    END LOOP;
    ms := extract(epoch FROM clock_timestamp() - t_cancel) * 1000;
  END IF;
  BEGIN
    PERFORM * FROM dblink_get_result('pm_cancel') AS t(x text);
    code := coalesce(code, 'no error');
  EXCEPTION WHEN query_canceled OR others THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
  END;
  PERFORM * FROM dblink_get_result('pm_cancel') AS t(x text);
END $f$;

CREATE TEMP TABLE results AS
SELECT p.name, r.* FROM probes p, LATERAL pg_temp.cancel_probe(p.name, p.input, p.workload, p.after_ms) r;
-- the issue's 100 ms: a probe that answered later (scheduling noise on a shared machine) runs once more, and the
-- better of its two tries must be within 100 ms (a missing interrupt check is late every time)
ALTER TABLE results ADD COLUMN best_ms float8;
UPDATE results SET best_ms = ms;
UPDATE results r SET best_ms = least(r.ms, x.ms)
FROM (SELECT p.name, t.ms, t.code FROM probes p JOIN results r2 ON r2.name = p.name AND r2.code = '57014' AND r2.ms >= 100,
      LATERAL pg_temp.cancel_probe(p.name, p.input, p.workload, p.after_ms) t) x
WHERE x.name = r.name AND x.code = '57014';

SELECT is(code, '57014', name || ': the workload is cancelled (57014)' ||
          CASE WHEN code = '57014' THEN '' ELSE ', got ' || code || ' ' || coalesce(message, '') END)
FROM results ORDER BY name;
SELECT ok(ms < :bound_ms, format('%s: the ERROR arrives within %s ms of the cancel (%s ms)', name, :bound_ms, round(ms::numeric, 1)))
FROM results ORDER BY name;
SELECT ok(best_ms < 100, format('%s: within 100 ms (%s ms%s)', name, round(best_ms::numeric, 1),
                                CASE WHEN best_ms < ms THEN ', second try' ELSE '' END))
FROM results ORDER BY name;
SELECT diag(format('%-46s %7s ms', name, round(ms::numeric, 1))) FROM results ORDER BY name;

SELECT dblink_disconnect('pm_cancel') WHERE NOT EXISTS (SELECT 1 FROM stuck);
SELECT * FROM finish();
ROLLBACK;
