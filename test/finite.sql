-- test/finite.sql: finite input never gives a NaN or an Infinity (issue 9, point 5).
--
-- Every SQL function is called with extreme but finite values (1e308, -1e308,
-- 5e-324, -5e-324, 1e-300, -1e-300) in each float argument, in each pair of
-- float arguments and in the first and in every element of each float array,
-- the other arguments valid.  Each call must return a value with no NaN or
-- Infinity anywhere (every field, element, scenario of a set) or raise
-- 22003 (numeric value out of range) or 22023 (invalid parameter value):
-- never a non-finite value, never another error class.  Sets built from
-- extreme arguments are then revalued (risk_array, scenario_vols) and
-- margined (portfolio_margin, the state round trip) with ordinary books,
-- and ordinary sets with extreme instruments and quantities.
-- value_at_risk, expected_shortfall and the var method of portfolio_margin
-- are left out (their tail selection is being rewritten; they come back with
-- it).  One test per function and stage; a failure lists the offending calls.
BEGIN;
\ir lib/helpers.psql

-- what a call gives: 'finite', 'null', 'NONFINITE <text>', or the SQLSTATE of its ERROR
CREATE FUNCTION pg_temp.outcome(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT (' || q || ')::text' INTO r;
  IF r IS NULL THEN
    RETURN 'null';
  END IF;
  -- float8 text (NaN, Infinity, -Infinity) or printf's (nan, inf) in a scenario label
  IF r ~* '(^|[^a-z])(nan|inf)' THEN
    RETURN 'NONFINITE ' || left(r, 200);
  END IF;
  RETURN 'finite';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || left(SQLERRM, 150);
END $f$;

-- everything a scenario set holds and shows, as text
CREATE FUNCTION pg_temp.set_text(s portmargin.scenario_set) RETURNS text LANGUAGE sql AS $f$
  SELECT s::text || (SELECT coalesce(string_agg(x::text, ';'), '') FROM portmargin.scenarios(s) x)
         || CASE WHEN portmargin.scenario_method(s) = 'var'
                 THEN (SELECT coalesce(string_agg(j::text, ';'), '') FROM portmargin.joint_moves(s) j) ELSE '' END
$f$;

CREATE TEMP TABLE xv (x text, k int);
INSERT INTO xv VALUES ('1e308', 1), ('-1e308', 2), ('5e-324', 3), ('-5e-324', 4), ('1e-300', 5), ('-1e-300', 6);

-- functions: argument kinds f (float8), a (float8[]) or o (other, passed as written); base: valid
-- literals; out: v (any value) or s (a scenario set)
CREATE TEMP TABLE fn (name text, kinds text[], base text[], out text);
INSERT INTO fn VALUES
  ('bs_price',       '{o,f,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('bs_greeks',      '{o,f,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('bs_delta',       '{o,f,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('bs_gamma',       '{o,f,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('bs_vega',        '{o,f,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('bs_theta',       '{o,f,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$, $$0.01$$], 'v'),
  ('black76_price',  '{o,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('black76_greeks', '{o,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('black76_delta',  '{o,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('black76_gamma',  '{o,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('black76_vega',   '{o,f,f,f,f,f}', ARRAY[$$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('black76_theta',  '{o,f,f,f,f,f}', ARRAY[$$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.2$$, $$0.05$$], 'v'),
  ('inverse_price',  '{o,f,f,f,f,f}', ARRAY[$$'call'$$, $$60000$$, $$65000$$, $$0.1$$, $$0.6$$, $$0$$], 'v'),
  ('inverse_greeks', '{o,f,f,f,f,f}', ARRAY[$$'put'$$, $$60000$$, $$65000$$, $$0.1$$, $$0.6$$, $$0$$], 'v'),
  ('implied_vol',         '{f,o,f,f,f,f,f}', ARRAY[$$5$$, $$'call'$$, $$100$$, $$100$$, $$0.5$$, $$0.05$$, $$0.01$$], 'v'),
  ('black76_implied_vol', '{f,o,f,f,f,f}', ARRAY[$$5$$, $$'put'$$, $$100$$, $$100$$, $$0.5$$, $$0.05$$], 'v'),
  ('inverse_implied_vol', '{f,o,f,f,f,f}', ARRAY[$$0.05$$, $$'call'$$, $$60000$$, $$65000$$, $$0.1$$, $$0$$], 'v'),
  ('span_scenarios', '{f,f,f,f,f,f,f}', ARRAY[$$0.08$$, $$0.04$$, $$2$$, $$0.35$$, $$0$$, $$1$$, $$1.1$$], 's'),
  ('tims_scenarios', '{f,f,o,f,f,f}', ARRAY[$$0.15$$, $$0.15$$, $$10$$, $$0.375$$, $$0.1$$, $$0.1$$], 's'),
  ('deribit_scenarios', '{f,o,f,f,f,f,f,a,f,f,f,f,f,f,f,f,f,f}',
   ARRAY[$$0.16$$, $$4$$, $$0.5$$, $$0.25$$, $$0.3$$, $$0.13$$, $$1$$, $$'{-0.66,-0.33,0.5,1,2,3,4,5}'$$, $$1$$, $$0.01$$, $$0.01$$, $$0.075$$, $$0.01$$, $$0.5$$, $$1000$$, $$0.8$$, $$0.5$$, $$0.03$$], 's'),
  ('okx_scenarios', '{a,f,f,f,f,f,f,a,a,f,f,f,f}',
   ARRAY[$$'{-0.12,-0.08,-0.04,0,0.04,0.08,0.12}'$$, $$0.1$$, $$0.1$$, $$0.24$$, $$0.5$$, $$0.05$$, $$0.01$$, $$'{0,250000,500000}'$$, $$'{1,2,4}'$$, $$1.3$$, $$0.002$$, $$0.02$$, $$0.1$$], 's'),
  ('grid_scenarios', '{a,a,a,o,f,f}', ARRAY[$$'{-0.1,0,0.1}'$$, $$'{0.05,0,-0.05}'$$, $$'{1,0.5,1}'$$, $$'absolute'$$, $$1.2$$, $$1$$], 's'),
  ('grid_scenarios', '{a,a,a,o,f,f}', ARRAY[$$'{-0.1,0,0.1}'$$, $$'{0.05,0,-0.05}'$$, $$'{1,0.5,1}'$$, $$'relative'$$, $$1.2$$, $$1$$], 's'),
  ('var_scenarios', '{o,a,a,a,o,f,o,f,o}',
   ARRAY[$$'{A,B}'$$, $$'{0.1,-0.05,-0.2,0.1,0.05,0.02}'$$, $$'{0.01,0.02,-0.01,0,0.03,-0.02}'$$, $$'{1,1,0.5}'$$, $$'absolute'$$, $$0.9$$, $$'es'$$, $$0.3$$, $$1$$], 's'),
  ('var_scenarios', '{o,a,a,a,o,f,o,f,o}',
   ARRAY[$$'{A,B}'$$, $$'{0.1,-0.05,-0.2,0.1,0.05,0.02}'$$, $$'{0.01,0.02,-0.01,0,0.03,-0.02}'$$, $$'{1,1,0.5}'$$, $$'relative'$$, $$0.9$$, $$'var'$$, $$0.3$$, $$0$$], 's'),
  ('historical_scenarios', '{o,o,a,o,o,o,o,f,o,f,o,f}',
   ARRAY[$$'{A,A,A,A,B,B,B,B}'$$, $$'{2024-01-01,2024-01-02,2024-01-03,2024-01-04,2024-01-01,2024-01-02,2024-01-03,2024-01-04}'$$, $$'{100,101,99,102,50,49,51,52}'$$, $$2$$, $$'log'$$, $$'overlapping'$$, $$NULL$$, $$0.94$$, $$'price'$$, $$0.9$$, $$'es'$$, $$0.3$$], 's'),
  ('historical_scenarios', '{o,o,a,o,o,o,o,f,o,f,o,f}',
   ARRAY[$$'{A,A,A,A,B,B,B,B}'$$, $$'{2024-01-01,2024-01-02,2024-01-03,2024-01-04,2024-01-01,2024-01-02,2024-01-03,2024-01-04}'$$, $$'{100,101,99,102,50,49,51,52}'$$, $$1$$, $$'simple'$$, $$'sqrt'$$, $$3$$, $$NULL$$, $$'price'$$, $$0.9$$, $$'var'$$, $$0$$], 's'),
  ('historical_scenarios', '{o,o,a,o,o,o,o,f,o,f,o,f}',
   ARRAY[$$'{A,A,A,A,B,B,B,B}'$$, $$'{2024-01-01,2024-01-02,2024-01-03,2024-01-04,2024-01-01,2024-01-02,2024-01-03,2024-01-04}'$$, $$'{0.01,-0.02,0.03,0.01,0.02,0.01,-0.01,0}'$$, $$2$$, $$'simple'$$, $$'sqrt'$$, $$NULL$$, $$0.9$$, $$'return'$$, $$0.9$$, $$'es'$$, $$0$$], 's'),
  ('monte_carlo_scenarios', '{o,a,a,o,o,o,f,o,f,o,f}',
   ARRAY[$$'{A,B}'$$, $$'{0.2,0.3}'$$, $$'{1,0.5,0.5,1}'$$, $$100$$, $$7$$, $$'student'$$, $$5$$, $$'log'$$, $$0.9$$, $$'es'$$, $$0.3$$], 's'),
  ('monte_carlo_scenarios', '{o,a,a,o,o,o,f,o,f,o,f}',
   ARRAY[$$'{A,B}'$$, $$'{0.2,0.3}'$$, $$'{1,0.5,0.5,1}'$$, $$100$$, $$7$$, $$'gaussian'$$, $$NULL$$, $$'simple'$$, $$0.9$$, $$'var'$$, $$0$$], 's'),
  ('with_tail', '{o,f,o,f}', ARRAY[$$portmargin.var_scenarios('{A}','{0.1,-0.2}')$$, $$0.9$$, $$'es'$$, $$0.3$$], 's'),
  ('blend_scenarios', '{o,o,f}', ARRAY[$$portmargin.var_scenarios('{A}','{0.1,-0.2}')$$, $$portmargin.var_scenarios('{A}','{-0.5}')$$, $$0.3$$], 's'),
  ('scenario_vols', '{o,f,f}', ARRAY[$$portmargin.preset('deribit-btc')$$, $$0.5$$, $$0.1$$], 'v'),
  ('scenario_vols', '{o,f,f}', ARRAY[$$portmargin.preset('span')$$, $$0.5$$, $$0.1$$], 'v'),
  ('scenario_vols', '{o,f,f}', ARRAY[$$portmargin.preset('okx-btc')$$, $$0.5$$, $$0.1$$], 'v'),
  ('scenario_vols', '{o,f,f}', ARRAY[$$portmargin.grid_scenarios('{0,0}','{0.5,-0.5}',vol_rule=>'relative')$$, $$0.5$$, $$0.1$$], 'v');

-- the calls: one or two float arguments replaced, or an array's first or every element
CREATE TEMP TABLE calls (name text, call text, out text);
CREATE FUNCTION pg_temp.render(f fn, sub text[]) RETURNS text LANGUAGE sql AS $f$
  SELECT format('portmargin.%s(%s)', f.name,
                string_agg(CASE WHEN sub[i] IS NOT NULL THEN sub[i]
                                WHEN f.kinds[i] = 'f' THEN f.base[i] || '::float8'
                                WHEN f.kinds[i] = 'a' THEN f.base[i] || '::float8[]'
                                ELSE f.base[i] END, ', ' ORDER BY i))
  FROM generate_subscripts(f.kinds, 1) i
$f$;
-- a float8[] literal of base with its first (or every) element set to x
CREATE FUNCTION pg_temp.arr_with(base text, x text, every boolean) RETURNS text LANGUAGE sql AS $f$
  SELECT quote_literal(array_agg(CASE WHEN every OR i = 1 THEN x::float8 ELSE a[i] END ORDER BY i)::text) || '::float8[]'
  FROM (SELECT trim(both '''' from base)::float8[] a) b, generate_subscripts(b.a, 1) i
$f$;
INSERT INTO calls
SELECT f.name, pg_temp.render(f, array_fill(NULL::text, ARRAY[cardinality(f.kinds)]) || '{}'::text[]), f.out FROM fn f;
-- single float arguments
INSERT INTO calls
SELECT f.name, pg_temp.render(f, (SELECT array_agg(CASE WHEN j = i THEN x.x || '::float8' END ORDER BY j)
                                  FROM generate_subscripts(f.kinds, 1) j)), f.out
FROM fn f, generate_subscripts(f.kinds, 1) i, xv x WHERE f.kinds[i] = 'f';
-- pairs of float arguments
INSERT INTO calls
SELECT f.name, pg_temp.render(f, (SELECT array_agg(CASE WHEN j = i1 THEN x1.x || '::float8' WHEN j = i2 THEN x2.x || '::float8' END ORDER BY j)
                                  FROM generate_subscripts(f.kinds, 1) j)), f.out
FROM fn f, generate_subscripts(f.kinds, 1) i1, generate_subscripts(f.kinds, 1) i2, xv x1, xv x2
WHERE f.kinds[i1] = 'f' AND f.kinds[i2] = 'f' AND i1 < i2;
-- arrays: the first element, every element
INSERT INTO calls
SELECT f.name, pg_temp.render(f, (SELECT array_agg(CASE WHEN j = i THEN pg_temp.arr_with(f.base[i], x.x, every) END ORDER BY j)
                                  FROM generate_subscripts(f.kinds, 1) j)), f.out
FROM fn f, generate_subscripts(f.kinds, 1) i, xv x, (VALUES (false), (true)) e(every) WHERE f.kinds[i] = 'a';

CREATE TEMP TABLE results AS
SELECT name, call, out, pg_temp.outcome(CASE out WHEN 's' THEN 'pg_temp.set_text(' || call || ')' ELSE call END) AS outcome
FROM calls;

-- the sets the constructors accepted, for the next stages
CREATE TEMP TABLE xsets AS
SELECT DISTINCT call FROM results WHERE out = 's' AND outcome = 'finite';

-- stage 2: instruments revalued under every accepted set ----------------------------------
CREATE TEMP TABLE ins (kind text, otype text, k float8, t float8, f float8, vol float8, settle text, mult float8);
INSERT INTO ins VALUES ('option', 'call', 100, 0.25, 100, 0.5, 'linear', 1), ('option', 'put', 90, 0.01, 100, 1.5, 'inverse', 1),
                       ('future', NULL, NULL, 0.25, 100, NULL, 'linear', 10), ('future', NULL, NULL, 0.25, 100, NULL, 'inverse', 10),
                       ('perpetual', NULL, NULL, NULL, 100, NULL, 'inverse', 10), ('spot', NULL, NULL, NULL, 100, NULL, 'linear', 1);
INSERT INTO results
SELECT 'risk_array of extreme sets', c, 'v', pg_temp.outcome(c)
FROM xsets s, ins i,
     LATERAL (SELECT format('portmargin.risk_array(%s, %L, %L, %s, %s, %s, %s, %L, %s, %L)', s.call, i.kind, i.otype,
                            coalesce(i.k::text, 'NULL'), coalesce(i.t::text, 'NULL'), i.f, coalesce(i.vol::text, 'NULL'),
                            i.settle, i.mult, 'A') AS c) x;
INSERT INTO results
SELECT 'scenario_vols of extreme sets', c, 'v', pg_temp.outcome(c)
FROM xsets s, (VALUES (0.5, 0.1), (2, 0.001), (0, 3)) v(vol, t),
     LATERAL (SELECT format('portmargin.scenario_vols(%s, %s, %s)', s.call, v.vol, v.t) AS c) x;
-- margin of a two-position book (not the var method: joint sets are left out here)
INSERT INTO results
SELECT 'portfolio_margin of extreme sets', c, 'v', pg_temp.outcome(c)
FROM xsets s,
     LATERAL (SELECT format($q$(SELECT portmargin.portfolio_margin(q, 'A', kind, otype, k, 0.25, 100, 0.5, settle, 1, 100, %s)
                              FROM (VALUES (-2::float8, 'option', 'call', 100::float8, 'linear'), (1, 'future', NULL, NULL, 'inverse')) b(q, kind, otype, k, settle))$q$,
                            s.call) AS c) x
WHERE s.call NOT LIKE '%var_scenarios%' AND s.call NOT LIKE '%historical_scenarios%' AND s.call NOT LIKE '%monte_carlo%'
  AND s.call NOT LIKE '%with_tail%' AND s.call NOT LIKE '%blend_scenarios%';

-- stage 3: extreme instruments and quantities under ordinary sets ---------------------------
CREATE TEMP TABLE sets (label text, s text);
INSERT INTO sets SELECT name, format('portmargin.preset(%L)', name) FROM portmargin.scenario_presets;
INSERT INTO sets VALUES ('grid', $$portmargin.grid_scenarios('{-0.5,0,0.5,2}', '{0.1,0,-0.1,0.5}', '{1,1,0.5,0.2}', 'relative')$$),
                        ('joint', $$portmargin.var_scenarios('{A,B}', '{{0.1,-0.05},{-0.5,0.1},{3,0.02}}', '{{0.1,0},{0,-0.1},{0.2,0.3}}')$$);
-- instrument arguments: strike, t, forward, vol, multiplier (positions 4..7, 9 of risk_array)
CREATE TEMP TABLE icase (kind text, otype text, settle text, v float8[]);   -- v: strike, t, forward, vol, multiplier
INSERT INTO icase VALUES ('option', 'call', 'linear', '{100,0.25,100,0.5,1}'), ('option', 'put', 'inverse', '{60000,0.1,60000,0.8,1}'),
                         ('future', NULL, 'linear', '{100,0.25,100,0.5,1}'), ('future', NULL, 'inverse', '{100,0.25,100,0.5,1}'),
                         ('perpetual', NULL, 'inverse', '{100,0,100,0.5,1}'), ('spot', NULL, 'linear', '{100,0,100,0.5,1}');
CREATE FUNCTION pg_temp.ra(s text, c icase, w float8[]) RETURNS text LANGUAGE sql AS $f$
  SELECT format('portmargin.risk_array(%s, %L, %L, %s::float8, %s::float8, %s::float8, %s::float8, %L, %s::float8, %L)',
                s, c.kind, c.otype, w[1], w[2], w[3], w[4], c.settle, w[5], 'A')
$f$;
INSERT INTO results
SELECT 'risk_array, extreme instrument', pg_temp.ra(s.s, c, w), 'v', pg_temp.outcome(pg_temp.ra(s.s, c, w))
FROM sets s, icase c, generate_series(1, 5) i1, generate_series(1, 5) i2, xv x1, xv x2,
     LATERAL (SELECT array_agg(CASE WHEN j = i1 THEN x1.x::float8 WHEN j = i2 THEN x2.x::float8 ELSE c.v[j] END ORDER BY j) AS w
              FROM generate_series(1, 5) j) ww
WHERE i1 <= i2 AND (i1 < i2 OR x1.k = x2.k);
-- a book of an option and a future with one extreme quantity, price, strike, vol, multiplier or index price
CREATE FUNCTION pg_temp.book(s text, which int, x text) RETURNS text LANGUAGE sql AS $f$
  SELECT format($q$(SELECT portmargin.portfolio_margin(q, 'A', kind, otype, k, t, f, vol, settle, m, ip, %s)
                   FROM (VALUES (%s::float8, 'option', 'call', %s::float8, %s::float8, %s::float8, %s::float8, 'linear', %s::float8, %s::float8),
                                (-1, 'future', NULL, NULL, 0.25, 100, NULL, 'inverse', 10, 100)) b(q, kind, otype, k, t, f, vol, settle, m, ip))$q$,
                s, CASE which WHEN 1 THEN x ELSE '2' END, CASE which WHEN 2 THEN x ELSE '100' END, CASE which WHEN 3 THEN x ELSE '0.25' END,
                CASE which WHEN 4 THEN x ELSE '100' END, CASE which WHEN 5 THEN x ELSE '0.5' END,
                CASE which WHEN 6 THEN x ELSE '1' END, CASE which WHEN 7 THEN x ELSE '100' END)
$f$;
INSERT INTO results
SELECT 'portfolio_margin, extreme position', c, 'v', pg_temp.outcome(c)
FROM sets s, generate_series(1, 7) w, xv x, LATERAL (SELECT pg_temp.book(s.s, w, x.x) AS c) cc
WHERE s.label <> 'joint';
-- the same books through a margin_state: state, its text round trip, merge, finalize
INSERT INTO results
SELECT 'portfolio_margin_state / merge / finalize, extreme position', c, 'v', pg_temp.outcome(c)
FROM sets s, generate_series(1, 7) w, xv x,
     LATERAL (SELECT format('portmargin.finalize_margin((SELECT portmargin.merge_margin_states(st::text::portmargin.margin_state) FROM (VALUES (%s), (%s)) v(st)))',
                            replace(pg_temp.book(s.s, w, x.x), 'portmargin.portfolio_margin(', 'portmargin.portfolio_margin_state('),
                            replace(pg_temp.book(s.s, 1, '3'), 'portmargin.portfolio_margin(', 'portmargin.portfolio_margin_state(')) AS c) cc
WHERE s.label <> 'joint';
-- backtest: extreme margins, P&L and confidences
INSERT INTO results
SELECT 'backtest', c, 'v', pg_temp.outcome(c)
FROM xv x, generate_series(1, 3) w,
     LATERAL (SELECT format($q$(SELECT portmargin.backtest(m, p, d, c) FROM (SELECT %s::float8 m, %s::float8 p, date '2024-01-01' + i d, %s::float8 c
                                                                            FROM generate_series(1, 250) i) b)$q$,
                            CASE w WHEN 1 THEN x.x ELSE '10' END, CASE w WHEN 2 THEN x.x ELSE '(-1)^i * 11' END,
                            CASE w WHEN 3 THEN x.x ELSE '0.99' END) AS c) cc;
INSERT INTO results
SELECT 'with_floor', c, 's', pg_temp.outcome('pg_temp.set_text(' || c || ')')
FROM xv x, xv y,
     LATERAL (SELECT format($q$portmargin.with_floor(portmargin.var_scenarios('{A,B}', ARRAY[%s, 0.1]::float8[]),
                                                     portmargin.var_scenarios('{B,A}', ARRAY[-0.5, %s]::float8[]))$q$, x.x, y.x) AS c) cc;
INSERT INTO results
SELECT 'year_fraction', c, 'v', pg_temp.outcome(c)
FROM (VALUES ($$portmargin.year_fraction('4713-01-01 00:00 BC', '294276-12-31 23:59:59')$$),
             ($$portmargin.year_fraction('294276-12-31 23:59:59', '4713-01-01 00:00 BC')$$),
             ($$portmargin.year_fraction('2024-01-01', '2024-01-01 00:00:00.000001')$$)) v(c);

-- the verdicts ---------------------------------------------------------------------------------
SELECT plan((SELECT count(DISTINCT name)::int FROM results) + 1);
SELECT ok(bad = 0, format('%s: %s calls, each finite, NULL (implied volatility out of bounds) or 22003 / 22023%s', name, n,
                          CASE WHEN bad > 0 THEN format(' -- %s are not', bad) ELSE '' END))
       || CASE WHEN bad > 0 THEN E'\n' || diag(examples) ELSE '' END
FROM (SELECT name, count(*) n,
             count(*) FILTER (WHERE outcome !~ '^(finite|null|22003 |22023 )') bad,
             string_agg(call || ' -> ' || outcome, E'\n') FILTER (WHERE outcome !~ '^(finite|null|22003 |22023 )') examples
      FROM results GROUP BY name) r
ORDER BY name;
-- the sweep exercised every function and most calls succeeded (it is not all errors)
SELECT ok((SELECT count(*) FILTER (WHERE outcome = 'finite') > count(*) / 2 FROM results),
          format('more than half of the %s calls return finite values', (SELECT count(*) FROM results)));

SELECT * FROM finish();
ROLLBACK;
