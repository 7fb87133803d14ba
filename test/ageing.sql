-- test/ageing.sql: option ageing in joint (var) scenario sets (doc/var.md,
-- "Option ageing over the horizon"): with_ageing(set, days) revalues options
-- at t - days / 365 in every scenario, so a VaR / ES set's P&L includes the
-- time decay over its horizon.
-- Expected values: undiscounted Black-76 in mpmath at 40 digits (the script
-- is below, run with Debian's python3-mpmath), the intrinsic value of an
-- option that expires within the ageing (closed form), and identities
-- (futures do not age; with_ageing(s, 0) is s).
--
--   from mpmath import mp, mpf, ncdf, log, sqrt
--   mp.dps = 40
--   def b76(cp, F, K, t, v):
--       F, K, t, v = mpf(F), mpf(K), mpf(t), mpf(v)
--       d1 = (log(F/K) + v*v*t/2)/(v*sqrt(t)); d2 = d1 - v*sqrt(t)
--       return F*ncdf(d1) - K*ncdf(d2) if cp == 'call' else K*ncdf(-d2) - F*ncdf(-d1)
--   moves = [mpf('-0.1'), 0, mpf('0.1'), mpf('0.2')]; h2 = mpf(2)/365; h7 = mpf(7)/365
--   c0 = b76('call', 100, 95, mpf('0.5'), mpf('0.4'))
--   [b76('call', 100*(1+m), 95, mpf('0.5')-h2, mpf('0.4')) - c0 for m in moves]                 # (1)
--   p0 = b76('put', 100, 110, mpf('0.25'), mpf('0.6'))/100
--   [b76('put', 100*(1+m), 110, mpf('0.25')-h2, mpf('0.6'))/(100*(1+m)) - p0 for m in moves]     # (2)
--   sh = [mpf('0.1'), 0, mpf('-0.05'), mpf('-0.1')]
--   [b76('call', 100*(1+m), 95, mpf('0.5')-h7, mpf('0.4')*(1+s)) - c0 for m, s in zip(moves, sh)]  # (3)
--   c1 = b76('call', 100, 95, mpf(1)/365, mpf('0.4'))  # 5.0047713795604393593
--   [max(100*(1+m) - 95, 0) - c1 for m in moves]                                                  # (4)
--   2*(b76('call', 120, 95, mpf('0.5')-h2, mpf('0.4')) - c0)                                      # (5)
--   2*(b76('call', 120, 95, mpf('0.5'), mpf('0.4')) - c0)                                         # (6)
BEGIN;
SELECT plan(27);

-- the sets: four scenarios of underlying A, ES at 0.75 (of four equally likely scenarios: the worst one)
CREATE TEMP TABLE sets AS
SELECT portmargin.var_scenarios('{A}', '{-0.1,0,0.1,0.2}', confidence => 0.75) AS plain,
       portmargin.with_ageing(portmargin.var_scenarios('{A}', '{-0.1,0,0.1,0.2}', confidence => 0.75), 2) AS aged,
       portmargin.with_ageing(portmargin.var_scenarios('{A}', '{-0.1,0,0.1,0.2}', '{0.1,0,-0.05,-0.1}', vol_rule => 'relative'), 7)
         AS aged_vols;

-- a P&L vector against expected values, element by element
CREATE FUNCTION pg_temp.near(got float8[], want float8[], tol float8) RETURNS boolean
LANGUAGE sql AS $$
  SELECT cardinality(got) = cardinality(want)
     AND bool_and(abs(g - w) <= tol * greatest(1, abs(w)))
  FROM unnest(got, want) u(g, w)
$$;

-- (1) a linear call, 2 days of ageing
SELECT ok(pg_temp.near(portmargin.risk_array(aged, 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, 'A'),
                       '{-5.6084435684380229385,-0.058850308489585419262,6.8302052287116878862,14.756244175609637314}', 1e-12),
          'a linear call: B(F (1 + m), K, t - 2/365, vol) - B(F, K, t, vol) (mpmath)')
FROM sets;
SELECT ok((portmargin.risk_array(aged, 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, 'A'))[2] < 0,
          'with no move the call loses its time decay (theta over 2 days)')
FROM sets;
-- (2) a coin-settled put, valued in coin at the scenario forward
SELECT ok(pg_temp.near(portmargin.risk_array(aged, 'option', 'put', 110, 0.25, 100, 0.6, 'inverse', 1, 'A'),
                       '{0.089284102120123939754,-0.0012998715794400607698,-0.063479000551187816588,-0.10527292205414584071}', 1e-12),
          'a coin-settled put: B(F'', K, t - 2/365, vol) / F'' - B(F, K, t, vol) / F (mpmath)')
FROM sets;
-- (3) ageing with relative vol shifts
SELECT ok(pg_temp.near(portmargin.risk_array(aged_vols, 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, 'A'),
                       '{-4.7540750189646368062,-0.20739862227470446217,6.2083461505656119668,13.849645349341220511}', 1e-12),
          'with vol shifts: B(F (1 + m), K, t - 7/365, vol (1 + s)) - B(F, K, t, vol) (mpmath)')
FROM sets;
-- (4) an option that expires within the ageing is worth its intrinsic value on the scenario forward
SELECT ok(pg_temp.near(portmargin.risk_array(aged, 'option', 'call', 95, 1 / 365.0, 100, 0.4, 'linear', 1, 'A'),
                       '{-5.0047713795604393593,-0.0047713795604393593299,9.9952286204395606407,19.995228620439560641}', 1e-12),
          'a call with one day left, aged by two: max(F (1 + m) - 95, 0) - B(F, K, 1/365, vol)')
FROM sets;
-- futures, perpetuals and spot do not age: the same P&L as without ageing
SELECT is(portmargin.risk_array(aged, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, 'A'),
          portmargin.risk_array(plain, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, 'A'), 'a linear future does not age')
FROM sets;
SELECT is(portmargin.risk_array(aged, 'future', NULL, NULL, 0.25, 100, NULL, 'inverse', 1, 'A'),
          portmargin.risk_array(plain, 'future', NULL, NULL, 0.25, 100, NULL, 'inverse', 1, 'A'), 'a coin-settled future does not age')
FROM sets;
SELECT is(portmargin.risk_array(aged, 'spot', NULL, NULL, NULL, 100, NULL, 'linear', 1, 'A'),
          portmargin.risk_array(plain, 'spot', NULL, NULL, NULL, 100, NULL, 'linear', 1, 'A'), 'spot does not age')
FROM sets;

-- (5), (6) the margin aggregate: two short calls, ES at 0.75 of four scenarios = the loss at +20%;
-- both sets in one query (each set is revalued apart: the aged set's hash differs)
SELECT results_eq($$SELECT label, round((m).initial_margin::numeric, 9)
                    FROM (SELECT 'aged' AS label, portmargin.portfolio_margin(-2, 'A', 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, NULL, aged) m
                          FROM sets
                          UNION ALL
                          SELECT 'plain', portmargin.portfolio_margin(-2, 'A', 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, NULL, plain)
                          FROM sets) x ORDER BY 1$$,
                  $$VALUES ('aged', 29.512488351::numeric), ('plain', 29.605512237::numeric)$$,
                  'the ES of two short calls: 2 (B(120, 95, t - 2/365) - B(100, 95, t)) aged, with t unaged (mpmath)');
SELECT results_eq($$SELECT s, round((portmargin.portfolio_margin(-2, 'A', 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, NULL, s)).initial_margin::numeric, 9)
                    FROM sets, LATERAL (VALUES (aged), (plain)) v(s) GROUP BY s ORDER BY 2$$,
                  $$SELECT s, v FROM sets, LATERAL (VALUES (aged, 29.512488351::numeric), (plain, 29.605512237)) x(s, v) ORDER BY 2$$,
                  'the same in one GROUP BY over both sets');

-- the value: text form, round trip, identity
SELECT ok(aged::text LIKE '%, floor_count=0, ageing_days=2)', 'the text form shows ageing_days') FROM sets;
SELECT ok(plain::text NOT LIKE '%ageing%', 'a set without ageing prints as before 0.4.0') FROM sets;
SELECT ok((aged::text)::portmargin.scenario_set OPERATOR(portmargin.=) aged, 'an aged set round-trips through text') FROM sets;
SELECT is(('var(underlyings={"A"}, moves={-0.1,0,0.1,0.2}, confidence=0.75, ageing_days=2)'::portmargin.scenario_set)::text, aged::text,
          'ageing_days in the text input')
FROM sets;
SELECT ok(portmargin.with_ageing(aged, 0) OPERATOR(portmargin.=) plain, 'with_ageing(s, 0) removes the ageing: the set without it') FROM sets;
SELECT ok(portmargin.with_ageing(aged, 5)::text LIKE '%ageing_days=5)', 'with_ageing replaces an ageing') FROM sets;

-- the other joint-set functions keep it, and refuse to mix ageings
SELECT ok(portmargin.with_tail(aged, 0.9)::text LIKE '%confidence=0.9%ageing_days=2)', 'with_tail keeps the ageing') FROM sets;
SELECT ok(portmargin.vol_shifts_from(portmargin.with_ageing(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3}}'), 2), '{AV}', '{A}')::text
            LIKE '%ageing_days=2)', 'vol_shifts_from keeps the ageing');
SELECT ok(portmargin.blend_scenarios(aged, aged, 0.25)::text LIKE '%ageing_days=2)', 'blending two sets that age alike keeps it') FROM sets;
SELECT throws_ok($$SELECT portmargin.blend_scenarios(aged, plain, 0.25) FROM sets$$, '22023',
                 'invalid value for argument "stressed": its options age by 0 days, the first set''s by 2 (with_ageing gives both the same)',
                 'blending sets that age differently: 22023');
SELECT throws_ok($$SELECT portmargin.with_floor(plain, aged) FROM sets$$, '22023', NULL, 'a floor that ages differently: 22023');
-- historical scenarios: every scenario's call P&L is the Black-76 identity at t - 2/365 (black76_price: test/pricing_truth.sql)
SELECT ok((SELECT bool_and(abs(r.v - (portmargin.black76_price('call', 100 * (1 + j.price_move), 95, 0.5 - 2 / 365.0, 0.4, 0)
                                      - portmargin.black76_price('call', 100, 95, 0.5, 0.4, 0))) < 1e-12)
           FROM unnest(portmargin.risk_array(portmargin.with_ageing(h.s, 2), 'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, 'BTC'))
                  WITH ORDINALITY r(v, i)
           JOIN portmargin.joint_moves(h.s) j ON j.idx = r.i),
          'historical scenarios aged by 2 days: B(F (1 + m), K, t - 2/365) - B(F, K, t) in every scenario')
FROM (SELECT portmargin.historical_scenarios('{BTC,BTC,BTC,BTC,BTC}', '{2026-01-01,2026-01-02,2026-01-03,2026-01-04,2026-01-05}',
                                             '{100,90,99,120,111}') AS s) h;

-- bad input
SELECT throws_ok($$SELECT portmargin.with_ageing(plain, -1) FROM sets$$, '22023',
                 'invalid value for argument "ageing_days": -1', 'negative ageing: 22023 naming the argument');
SELECT throws_ok($$SELECT portmargin.with_ageing(plain, 'NaN') FROM sets$$, '22023', NULL, 'NaN ageing: 22023');
SELECT throws_ok($$SELECT portmargin.with_ageing(plain, 'Infinity') FROM sets$$, '22023', NULL, 'infinite ageing: 22023');
SELECT throws_ok($$SELECT portmargin.with_ageing(portmargin.preset('span'), 2)$$, '22023', NULL, 'a grid set: 22023');
SELECT throws_ok($$SELECT 'var(underlyings={"A"}, moves={0.1}, ageing_days=-3)'::portmargin.scenario_set$$, '22023',
                 'invalid value for argument "ageing_days": -3', 'a negative ageing in the text form: 22023');

SELECT * FROM finish();
ROLLBACK;
