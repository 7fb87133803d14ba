-- test/apc.sql: anti-procyclicality as EMIR RTS 153/2013 art. 28 means it (issue 16, point 5).
--   1. the 25% minima of art. 28(1)(a) (buffer) and (b) (stressed weight), and their explicit override
--   2. apc_buffered_margin: the buffer drawn down when requirements rise, rebuilt when they fall
--   3. peak_to_trough and largest_margin_increase (Murphy, Vasios and Vause, "An investigation into the
--      procyclicality of risk-based initial margin models", Bank of England Financial Stability Paper 29, 2014,
--      https://papers.ssrn.com/sol3/papers.cfm?abstract_id=2437916), and the reference-schema view
--      margin_procyclicality against brute-force SQL over the same margin_history.
-- Every expected value is worked by hand in the comments (or is a brute-force computation in plain SQL);
-- nothing is pasted from a run of this code.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(65);

-- ---------------------------------------------------------------------------
-- 1. the minima: a buffer or a stressed weight strictly between 0 and 0.25 is an ERROR 22023 naming the argument
--    and the article; 0 (the tool not used) and 0.25 pass; emir_minimum => false is the override
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE bad (q text, arg text, point text);
INSERT INTO bad VALUES
  ($$SELECT portmargin.var_scenarios('{A}', '{0.1,-0.2}', buffer => 0.1)$$, 'buffer', 'a'),
  ($$SELECT portmargin.var_scenarios('{A}', '{0.1,-0.2}', buffer => 0.2499999999)$$, 'buffer', 'a'),
  ($$SELECT portmargin.historical_scenarios('{A,A,A}', '{2024-01-01,2024-01-02,2024-01-03}', '{100,101,99}', buffer => 0.1)$$, 'buffer', 'a'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A}', '{0.1}', '{{1}}', 10, buffer => 0.1)$$, 'buffer', 'a'),
  ($$SELECT portmargin.with_tail(portmargin.var_scenarios('{A}', '{0.1,-0.2}'), 0.99, 'es', 0.1)$$, 'buffer', 'a'),
  ($$SELECT portmargin.with_tail(portmargin.var_scenarios('{A}', '{0.1,-0.2}'), 0.99, 'es', 1e-300)$$, 'buffer', 'a'),
  ($$SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{A}', '{0.1}'), portmargin.var_scenarios('{A}', '{-0.4}'), 0.1)$$, 'stressed_weight', 'b'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01}', '{100}', 0.1)$$, 'buffer', 'a');
SELECT matches(pg_temp.err(q), '^22023: invalid value for argument "' || arg || '": .*EMIR RTS 153/2013 art\. 28\(1\)\(' || point || '\)$',
               format('%s -> ERROR 22023 naming "%s" and art. 28(1)(%s)', left(q, 70), arg, point))
FROM bad ORDER BY q;
-- 0 and exactly 0.25 are accepted, and so is more
SELECT is(pg_temp.err($$SELECT portmargin.var_scenarios('{A}', '{0.1,-0.2}', buffer => 0)$$), 'no error', 'buffer 0: the tool not used');
SELECT is(pg_temp.err($$SELECT portmargin.var_scenarios('{A}', '{0.1,-0.2}', buffer => 0.25)$$), 'no error', 'buffer 0.25: the minimum');
SELECT is(pg_temp.err($$SELECT portmargin.monte_carlo_scenarios('{A}', '{0.1}', '{{1}}', 10, buffer => 0.5)$$), 'no error', 'buffer 0.5');
SELECT is(pg_temp.err($$SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{A}', '{0.1}'), portmargin.var_scenarios('{A}', '{-0.4}'), 0.25)$$),
          'no error', 'stressed weight 0.25: the minimum');
-- the hints name the override
CREATE FUNCTION pg_temp.hint(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE h text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RETURN h;
END $f$;
SELECT matches(pg_temp.hint($$SELECT portmargin.with_tail(portmargin.var_scenarios('{A}', '{0.1}'), 0.99, 'es', 0.1)$$),
               'emir_minimum => false', 'the hint of with_tail names emir_minimum => false');
SELECT matches(pg_temp.hint($$SELECT portmargin.var_scenarios('{A}', '{0.1}', buffer => 0.1)$$),
               'buffer 0, then portmargin.with_tail\(.*emir_minimum => false\)', 'the hint of a generator: buffer 0, then with_tail with the override');
SELECT matches(pg_temp.hint($$SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{A}', '{0.1}'), portmargin.var_scenarios('{A}', '{-0.4}'), 0.1)$$),
               'emir_minimum => false', 'the hint of blend_scenarios names emir_minimum => false');

-- the override, on test/var.sql's book: long 1 BTC future at 100 and 2 ETH at 10; joint moves
-- {BTC, ETH} = {+10%,-5%}, {-20%,+10%}, {+5%,+2%}, {-10%,-10%}: P&L {9,-18,5.4,-12}; ES 50% = (18 + 12) / 2 = 15.
-- A buffer of 0.1 by explicit choice: 15 x 1.1 = 16.5, of which 1.5 buffer.
CREATE TEMP TABLE js AS SELECT portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}') AS s;
CREATE TEMP TABLE jbook (q float8, u text, f float8);
INSERT INTO jbook VALUES (1, 'BTC', 100), (2, 'ETH', 10);
CREATE FUNCTION pg_temp.jm(s portmargin.scenario_set) RETURNS portmargin.margin LANGUAGE sql AS $f$
  SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL, s) FROM jbook
$f$;
SELECT pg_temp.near((pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.1, emir_minimum => false))).initial_margin, 16.5, 1e-15,
                    'with_tail(..., 0.1, emir_minimum => false): 15 x 1.1 = 16.5') FROM js;
SELECT pg_temp.near((pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.1, emir_minimum => false))).apc_buffer, 1.5, 1e-15,
                    'apc_buffer 0.1 x 15 = 1.5') FROM js;
-- the old positional form (four arguments) still works at 0.25: 15 x 1.25 = 18.75
SELECT is((pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.25))).initial_margin, 18.75::float8, 'with_tail(s, 0.5, ''es'', 0.25) = 18.75') FROM js;
-- the overridden set goes through its text form and back unchanged (the text form is the value, not a constructor)
SELECT ok(((portmargin.with_tail(s, 0.5, 'es', 0.1, emir_minimum => false))::text)::portmargin.scenario_set
          OPERATOR(portmargin.=) portmargin.with_tail(s, 0.5, 'es', 0.1, emir_minimum => false),
          'a set with an overridden buffer survives its text form') FROM js;
-- emir_minimum => false with a compliant value changes nothing
SELECT ok(portmargin.with_tail(s, 0.5, 'es', 0.3, emir_minimum => false) OPERATOR(portmargin.=) portmargin.with_tail(s, 0.5, 'es', 0.3),
          'emir_minimum => false does not change a compliant set') FROM js;
-- a stressed weight of 0.1 by explicit choice: base {+10%, -10%} BTC shares 0.9 (0.45 each), stressed {-40%} 0.1
SELECT is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(
             portmargin.blend_scenarios(portmargin.var_scenarios('{BTC}', '{0.1,-0.1}'), portmargin.var_scenarios('{BTC}', '{-0.4}'),
                                        0.1, emir_minimum => false))),
          '{0.45,0.45,0.1}'::float8[], 'blend_scenarios(..., 0.1, emir_minimum => false): weights 0.9/2, 0.9/2, 0.1');
-- the override still refuses what is invalid anyway
SELECT matches(pg_temp.err($$SELECT portmargin.with_tail(portmargin.var_scenarios('{A}', '{0.1}'), 0.99, 'es', -0.1, emir_minimum => false)$$),
               '^22023: invalid value for argument "buffer"', 'a negative buffer stays an ERROR with the override');

-- ---------------------------------------------------------------------------
-- 2. apc_buffered_margin: target T = C (1 + b); M_1 = T_1; M_t = min(T_t, max(C_t, M_(t-1) + r b C_t))
-- ---------------------------------------------------------------------------
-- b = 0.25, r = 0; C = 100, 110, 130, 120, 100, 80 on 1 to 6 January 2024:
--   t1: T 125;   M = 125                                   held 25, used 0
--   t2: T 137.5; max(110, 125) = 125;   min(137.5, 125) = 125   held 15, used 12.5  (the rise met from the buffer)
--   t3: T 162.5; max(130, 125) = 130;   min(162.5, 130) = 130   held 0,  used 32.5  (exhausted: M = C)
--   t4: T 150;   max(120, 130) = 130;   min(150, 130)   = 130   held 10, used 20    (rebuilt as C falls)
--   t5: T 125;   max(100, 130) = 130;   min(125, 130)   = 125   held 25, used 0     (fully rebuilt)
--   t6: T 100;   max(80, 125)  = 125;   min(100, 125)   = 100   held 20, used 0
CREATE TEMP TABLE series (days date[], c float8[]);
INSERT INTO series VALUES (ARRAY(SELECT date '2024-01-01' + i FROM generate_series(0, 5) i), '{100,110,130,120,100,80}');
SELECT results_eq(
  $$SELECT day, calculated, target, charged, buffer_held, buffer_used, exhausted FROM series, portmargin.apc_buffered_margin(days, c)$$,
  $$VALUES (date '2024-01-01', 100::float8, 125::float8, 125::float8, 25::float8, 0::float8, false),
           (date '2024-01-02', 110, 137.5, 125, 15, 12.5, false),
           (date '2024-01-03', 130, 162.5, 130, 0, 32.5, true),
           (date '2024-01-04', 120, 150, 130, 10, 20, false),
           (date '2024-01-05', 100, 125, 125, 25, 0, false),
           (date '2024-01-06', 80, 100, 100, 20, 0, false)$$,
  'apc_buffered_margin, b = 0.25, r = 0: the hand-worked series');
-- the same with r = 0.2 (r b = 0.05: 5% of C rebuilt a day), first five days:
--   t1: 125
--   t2: 125 + 0.05 x 110 = 130.5; max(110, 130.5) = 130.5; min(137.5, 130.5) = 130.5   held 20.5, used 7
--   t3: 130.5 + 6.5 = 137;        max(130, 137) = 137;     min(162.5, 137) = 137       held 7,    used 25.5
--   t4: 137 + 6 = 143;            max(120, 143) = 143;     min(150, 143) = 143         held 23,   used 7
--   t5: 143 + 5 = 148;                                     min(125, 148) = 125         held 25,   used 0
SELECT results_eq(
  $$SELECT day, charged, buffer_held, buffer_used FROM series, portmargin.apc_buffered_margin(days[1:5], c[1:5], replenish => 0.2)$$,
  $$VALUES (date '2024-01-01', 125::float8, 25::float8, 0::float8), (date '2024-01-02', 130.5, 20.5, 7),
           (date '2024-01-03', 137, 7, 25.5), (date '2024-01-04', 143, 23, 7), (date '2024-01-05', 125, 25, 0)$$,
  'apc_buffered_margin, r = 0.2: the hand-worked series');
-- order of the input does not matter (sorted by day); buffer 0: charged = calculated
SELECT results_eq(
  $$SELECT day, charged FROM series, portmargin.apc_buffered_margin(ARRAY(SELECT d FROM unnest(days) d ORDER BY d DESC),
                                                                  ARRAY(SELECT x FROM unnest(c) WITH ORDINALITY u(x, o) ORDER BY o DESC))$$,
  $$SELECT day, charged FROM series, portmargin.apc_buffered_margin(days, c)$$, 'days in any order: the same series');
SELECT is_empty($$SELECT 1 FROM series, portmargin.apc_buffered_margin(days, c, 0) WHERE charged <> calculated OR buffer_held <> 0$$,
                'buffer 0: charged = calculated every day');
-- r = 1 and a steady requirement: the full buffer every day (C 100 x 3 -> 125 x 3)
SELECT is((SELECT array_agg(charged ORDER BY day) FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02,2024-01-03}', '{100,100,100}', replenish => 1)),
          '{125,125,125}'::float8[], 'a steady requirement is charged with its full buffer');
-- the override: buffer 0.1 on {100, 105}: t1 110; t2 T 115.5, max(105, 110) = 110 -> 110 (held 5, used 5.5)
SELECT pg_temp.arr_is((SELECT array_agg(charged ORDER BY day) FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02}', '{100,105}', 0.1, emir_minimum => false)),
                     '{110,110}'::float8[], 1e-15, 'apc_buffered_margin(..., 0.1, emir_minimum => false)');
-- invariants over a random walk (400 days): C <= M <= T, used + held = b C, M_t >= M_(t-1) unless M_t = T_t
CREATE TEMP TABLE walk AS
SELECT ARRAY(SELECT date '2020-01-01' + i FROM generate_series(0, 399) i) AS days,
       ARRAY(SELECT 1000 * exp(0.3 * sin(i / 9.0) + 0.2 * cos(i / 2.3)) FROM generate_series(0, 399) i) AS c;
CREATE TEMP TABLE walk_m AS SELECT m.* FROM walk, portmargin.apc_buffered_margin(days, c, 0.5, 0.1) m;
SELECT is((SELECT count(*)::int FROM walk_m), 400, 'a row per day');
SELECT is_empty($$SELECT day FROM walk_m WHERE NOT (charged >= calculated AND charged <= target
                   AND abs(buffer_used + buffer_held - 0.5 * calculated) <= 1e-9 * calculated)$$,
                'C <= charged <= T and held + used = b C every day');
SELECT is_empty($$SELECT day FROM (SELECT day, charged, target, lag(charged) OVER (ORDER BY day) p FROM walk_m) x
                   WHERE charged < p AND charged <> target$$,
                'charged falls only to the target (the buffer is never released below it)');
-- bad input
CREATE TEMP TABLE bad2 (q text, code text, arg text);
INSERT INTO bad2 VALUES
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02}', '{100}')$$, '22023', 'margins'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-01}', '{100,110}')$$, '22023', 'days'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,infinity}', '{100,110}')$$, '22023', 'days'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02}', '{100,-1}')$$, '22023', 'margins'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02}', '{100,NaN}')$$, '22023', 'margins'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01,2024-01-02}', '{100,NULL}')$$, '22004', 'margins'),
  ($$SELECT * FROM portmargin.apc_buffered_margin(NULL, '{100}')$$, '22004', 'days'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01}', '{100}', replenish => 1.5)$$, '22023', 'replenish'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01}', '{100}', -0.5, emir_minimum => false)$$, '22023', 'buffer'),
  ($$SELECT * FROM portmargin.apc_buffered_margin('{2024-01-01}', '{100}', NULL)$$, '22004', 'buffer'),
  ($$SELECT portmargin.peak_to_trough('{1,-2}')$$, '22023', 'margins'),
  ($$SELECT portmargin.peak_to_trough('{1,NULL}')$$, '22004', 'margins'),
  ($$SELECT * FROM portmargin.largest_margin_increase('{2024-01-01,2024-01-02}', '{1,2}', 0)$$, '22023', 'n'),
  ($$SELECT * FROM portmargin.largest_margin_increase('{2024-01-01,2024-01-02}', '{1,2,3}')$$, '22023', 'margins');
SELECT matches(pg_temp.err(q), '^' || code || ': .*"' || arg || '"', format('%s -> ERROR %s naming "%s"', left(q, 70), code, arg))
FROM bad2 ORDER BY q;

-- ---------------------------------------------------------------------------
-- 3. procyclicality measures
-- ---------------------------------------------------------------------------
-- C = 100, 110, 130, 120, 100, 80: peak 130, trough 80, ratio 130 / 80 = 1.625
SELECT is(portmargin.peak_to_trough(c), 1.625::float8, 'peak-to-trough 130 / 80 = 1.625') FROM series;
SELECT is(portmargin.peak_to_trough('{0,5}'), NULL::float8, 'a trough of 0: undefined (NULL)');
SELECT is(portmargin.peak_to_trough('{}'), NULL::float8, 'no requirement: NULL');
-- n = 1: ratios 110/100 - 1 = 0.1, 130/110 - 1 = 2/11, then falls; amounts 10, 20, -10, -20, -20 -> 20 on 3 January
SELECT pg_temp.near((portmargin.largest_margin_increase(days, c)).relative, 2.0 / 11, 1e-15, 'largest 1-day increase 130/110 - 1 = 2/11') FROM series;
SELECT is(((portmargin.largest_margin_increase(days, c)).relative_day, (portmargin.largest_margin_increase(days, c)).amount,
           (portmargin.largest_margin_increase(days, c)).amount_day)::text, '(2024-01-03,20,2024-01-03)', 'on 3 January, amount 20') FROM series;
-- n = 2: 130/100 - 1 = 0.3 and 30 on 3 January (then 120/110, 100/130, 80/120)
SELECT pg_temp.near((portmargin.largest_margin_increase(days, c, 2)).relative, 0.3, 1e-15, 'largest 2-day increase 130/100 - 1 = 0.3') FROM series;
SELECT is((portmargin.largest_margin_increase(days, c, 2)).amount, 30::float8, 'largest 2-day increase in amount: 30') FROM series;
-- relative and amount on different days: 10, 20, 100, 200 (n = 1): ratios 1, 4, 1 -> 4 on day 3; amounts 10, 80, 100 -> 100 on day 4
SELECT is(portmargin.largest_margin_increase('{2024-01-01,2024-01-02,2024-01-03,2024-01-04}', '{10,20,100,200}')::text,
          '(4,2024-01-03,100,2024-01-04)', 'the largest ratio (4, day 3) and the largest amount (100, day 4)');
-- a falling series: the largest increase is negative (80 -> 60: -0.25, -20); too short: NULL; a base of 0 has no ratio
SELECT pg_temp.near((portmargin.largest_margin_increase('{2024-01-01,2024-01-02,2024-01-03}', '{100,80,60}')).relative, -0.2, 1e-15,
                    'falling: 80/100 - 1 = -0.2 > 60/80 - 1 = -0.25');
SELECT is(((x).relative_day, (x).amount, (x).amount_day)::text, '(2024-01-02,-20,2024-01-02)', 'falling: on 2 January; -20 (first reached)')
FROM (SELECT portmargin.largest_margin_increase('{2024-01-01,2024-01-02,2024-01-03}', '{100,80,60}') x) y;
SELECT is(portmargin.largest_margin_increase('{2024-01-01,2024-01-02}', '{100,80}', 2)::text, '(,,,)', 'n observations or fewer: NULL');
SELECT is(portmargin.largest_margin_increase('{2024-01-01,2024-01-02}', '{0,80}')::text, '(,,80,2024-01-02)', 'a base of 0: no ratio, the amount');

-- the view margin_procyclicality over a reference schema's margin_history, against brute force
SELECT lives_ok($$SELECT portmargin.create_reference_schema('apc_ref')$$, 'a reference schema');
SET LOCAL timezone = 'UTC';
-- account 1: the hand series, two snapshots a day (the later one counts: margin_daily);
-- account 2: 45 days of a wave (for the 5- and 30-day measures); account 3: a day at 0
INSERT INTO apc_ref.margin_history (snapshot_at, account_id, method, equity, initial_margin, maintenance_margin, excess, margin_ratio, status)
SELECT s.t, s.a, 'var', 1e6, s.m, s.m / 2, 1e6 - s.m, NULL, 'healthy'
FROM (SELECT timestamptz '2024-01-01 18:00+00' + (i - 1) * interval '1 day', 1::bigint, c[i] FROM series, generate_series(1, 6) i
      UNION ALL
      SELECT timestamptz '2024-01-01 09:00+00' + (i - 1) * interval '1 day', 1, 999 * i FROM generate_series(1, 6) i
      UNION ALL
      SELECT timestamptz '2024-02-01 18:00+00' + i * interval '1 day', 2, round(1000 + 400 * sin(i / 4.0) + 7 * i) FROM generate_series(0, 44) i
      UNION ALL
      SELECT timestamptz '2024-03-01 18:00+00' + i * interval '1 day', 3, (ARRAY[50, 0, 70])[i + 1] FROM generate_series(0, 2) i) s(t, a, m);
SELECT is((SELECT (peak_margin, trough_margin, peak_to_trough, largest_1d_increase_amount, days)::text FROM apc_ref.margin_procyclicality WHERE account_id = 1),
          '(130,80,1.625,20,6)', 'view, account 1 (the later snapshot of each day): the hand-worked measures');
SELECT pg_temp.near((SELECT largest_5d_increase FROM apc_ref.margin_procyclicality WHERE account_id = 1), -0.2, 1e-15,
                    'six days: the 5-day increase is 80/100 - 1 = -0.2 over the only pair');
SELECT is((SELECT largest_30d_increase FROM apc_ref.margin_procyclicality WHERE account_id = 1), NULL::float8, 'six days: no 30-day increase');
-- brute force: the last snapshot of each day, numbered per account; every pair of days n apart
CREATE TEMP VIEW brute AS
WITH d AS (SELECT DISTINCT ON (account_id, snapshot_at::date) account_id, snapshot_at::date AS day, initial_margin AS m
           FROM apc_ref.margin_history ORDER BY account_id, snapshot_at::date, snapshot_at DESC),
r AS (SELECT d.*, row_number() OVER (PARTITION BY account_id ORDER BY day) AS i FROM d),
p AS (SELECT a.account_id, b.i - a.i AS n, b.m / nullif(a.m, 0) - 1 AS rel, b.m - a.m AS amt
      FROM r a JOIN r b ON b.account_id = a.account_id AND b.i - a.i IN (1, 5, 30))
SELECT r.account_id, count(*)::integer AS days, max(r.m) AS peak, min(r.m) AS trough,
       max(r.m) / nullif(min(r.m), 0) AS ptt,
       (SELECT max(rel) FROM p WHERE p.account_id = r.account_id AND n = 1) AS r1,
       (SELECT max(amt) FROM p WHERE p.account_id = r.account_id AND n = 1) AS a1,
       (SELECT max(rel) FROM p WHERE p.account_id = r.account_id AND n = 5) AS r5,
       (SELECT max(amt) FROM p WHERE p.account_id = r.account_id AND n = 5) AS a5,
       (SELECT max(rel) FROM p WHERE p.account_id = r.account_id AND n = 30) AS r30,
       (SELECT max(amt) FROM p WHERE p.account_id = r.account_id AND n = 30) AS a30
FROM r GROUP BY r.account_id;
SELECT results_eq(
  $$SELECT account_id, days, peak_margin, trough_margin, peak_to_trough, largest_1d_increase, largest_1d_increase_amount,
           largest_5d_increase, largest_5d_increase_amount, largest_30d_increase, largest_30d_increase_amount
    FROM apc_ref.margin_procyclicality ORDER BY account_id$$,
  $$SELECT account_id, days, peak, trough, ptt, r1, a1, r5, a5, r30, a30 FROM brute ORDER BY account_id$$,
  'margin_procyclicality = brute-force SQL over margin_history (three accounts)');
SELECT ok((SELECT largest_30d_increase IS NOT NULL AND largest_5d_increase IS NOT NULL FROM apc_ref.margin_procyclicality WHERE account_id = 2),
          'account 2 has 5- and 30-day increases (the comparison is not vacuous)');
SELECT is((SELECT (peak_to_trough IS NULL, largest_1d_increase, largest_1d_increase_amount)::text FROM apc_ref.margin_procyclicality WHERE account_id = 3),
          '(t,-1,70)', 'account 3 (50, 0, 70): trough 0 -> no ratio; 1-day: 0/50 - 1 = -1 and 70/0 undefined -> -1; amount 70');
SELECT ok('margin_procyclicality' IN (SELECT portmargin.reference_schema_objects('account views')),
          'margin_procyclicality is an account view (grant_reader grants it)');

SELECT * FROM finish();
ROLLBACK;
