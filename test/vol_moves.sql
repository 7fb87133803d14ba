-- test/vol_moves.sql: implied-volatility moves in joint scenario sets
-- (doc/var.md, "Implied-volatility moves"): vol_shifts_from turns a set's
-- volatility columns (a volatility index in historical_scenarios, a volatility
-- factor in monte_carlo_scenarios) into relative vol shifts of underlyings.
-- Expected values by hand, the Black-76 identity (black76_price is tested
-- against QuantLib in test/pricing_truth.sql), and sample statistics of
-- 20,000 Monte Carlo draws against the correlation and vol given.
BEGIN;
SELECT plan(12);

SELECT results_eq($$SELECT idx, underlying, price_move, vol_shift
                    FROM portmargin.joint_moves(portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3}}'), '{AV}', '{A}'))$$,
                  $$VALUES (1, 'A', 0.1::float8, 0.2::float8), (2, 'A', -0.1, -0.3)$$,
                  'by hand: AV''s moves become A''s vol shifts, and AV is gone');
SELECT is((SELECT DISTINCT vol_rule FROM portmargin.scenarios(portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3}}'),
                                                                                      '{AV}', '{A}'))), 'relative', 'the shifts are relative');
-- a call under the set: B(F (1 + m), K, t, vol (1 + s)) - B(F, K, t, vol)
SELECT ok((SELECT bool_and(abs(r.v - (portmargin.black76_price('call', 100 * (1 + e.m), 95, 0.5, 0.4 * (1 + e.s), 0)
                                      - portmargin.black76_price('call', 100, 95, 0.5, 0.4, 0))) < 1e-12)
           FROM unnest(portmargin.risk_array(portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3}}'), '{AV}', '{A}'),
                                             'option', 'call', 95, 0.5, 100, 0.4, 'linear', 1, 'A')) WITH ORDINALITY r(v, i)
           JOIN (VALUES (1, 0.1, 0.2), (2, -0.1, -0.3)) e(i, m, s) ON e.i = r.i),
          'a call is revalued at the moved forward and the shifted vol');
-- a volatility index as a price in the history: 4 days of BTC and its 30-day implied vol (simple returns):
-- BTC 100 -> 90 -> 99 -> 120, vol 0.50 -> 0.65 -> 0.52 -> 0.60: moves -0.1, 0.1, 0.2121; shifts 0.3, -0.2, 0.1538
CREATE TEMP TABLE h (u text, d date, v float8);
INSERT INTO h VALUES ('BTC', '2026-01-01', 100), ('BTC', '2026-01-02', 90), ('BTC', '2026-01-03', 99), ('BTC', '2026-01-04', 120),
  ('BTC_VOL', '2026-01-01', 0.5), ('BTC_VOL', '2026-01-02', 0.65), ('BTC_VOL', '2026-01-03', 0.52), ('BTC_VOL', '2026-01-04', 0.6);
SELECT results_eq($$SELECT idx, round(price_move::numeric, 4), round(vol_shift::numeric, 4)
                    FROM portmargin.joint_moves(portmargin.vol_shifts_from(
                      (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(v), returns => 'simple') FROM h),
                      '{BTC_VOL}', '{BTC}'))$$,
                  $$VALUES (1, -0.1::numeric, 0.3::numeric), (2, 0.1, -0.2), (3, 0.2121, 0.1538)$$,
                  'historical: each day''s vol shift is the vol index''s move that day (0.65 / 0.50 - 1 = 0.3, ...)');
-- a volatility factor in Monte Carlo: log moves with vols 5% (BTC) and 10% (its vol), correlation -0.6
CREATE TEMP TABLE mc AS
SELECT j.idx, j.underlying, j.price_move, j.vol_shift
FROM portmargin.joint_moves(portmargin.vol_shifts_from(portmargin.monte_carlo_scenarios('{BTC,BTC_VOL}', '{0.05,0.1}', '{{1,-0.6},{-0.6,1}}',
                                                                                          20000, 11), '{BTC_VOL}', '{BTC}')) j;
SELECT ok((SELECT abs(corr(ln(1 + price_move), ln(1 + vol_shift)) + 0.6) < 0.03 FROM mc),
          'Monte Carlo: the log price move and the log vol shift are correlated -0.6 (within 0.03, 20,000 draws)');
SELECT ok((SELECT abs(stddev_pop(ln(1 + vol_shift)) / 0.1 - 1) < 0.03 FROM mc), '... and the log vol shift has the vol of vol 10% (within 3%)');
-- weights and tail parameters kept
SELECT is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.vol_shifts_from(
             portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3},{0,0}}', weights => '{0.5,1,0.25}', confidence => 0.9), '{AV}', '{A}'))),
          (SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(
             portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3},{0,0}}', weights => '{0.5,1,0.25}', confidence => 0.9))),
          'scenario weights are kept');
SELECT ok(portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2},{-0.1,-0.3}}', confidence => 0.9, statistic => 'var'),
                                     '{AV}', '{A}')::text LIKE '%confidence=0.9, statistic=var%', 'confidence and statistic are kept');

SELECT throws_ok($$SELECT portmargin.vol_shifts_from(portmargin.preset('span'), '{AV}', '{A}')$$, '22023', NULL, 'a grid set: 22023');
SELECT throws_ok($$SELECT portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2}}'), '{BV}', '{A}')$$, '22023',
                 'invalid value for argument "vol_columns": the set has no column "BV"', 'an unknown vol column: 22023');
SELECT throws_ok($$SELECT portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2}}', '{{0.1,0.1}}'), '{AV}', '{A}')$$, '22023',
                 'invalid value for argument "scenarios": the set already has volatility shifts', 'a set with vol shifts: 22023');
SELECT throws_ok($$SELECT portmargin.vol_shifts_from(portmargin.var_scenarios('{A,AV}', '{{0.1,0.2}}'), '{AV}', '{A,B}')$$, '22023',
                 'invalid value for argument "underlyings": 2 underlyings for 1 vol columns', 'lengths differ: 22023');

SELECT * FROM finish();
ROLLBACK;
