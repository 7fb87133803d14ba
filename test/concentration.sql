-- test/concentration.sql: the concentration / liquidity add-on of the var
-- method (doc/var.md, "Concentration and liquidity add-on"):
-- concentration_factor (ISDA SIMM's CR = max(1, sqrt(|s| / T))) and
-- concentration_addon over a margin's Euler unit contributions.
-- Expected values by hand; the unit margins of the var example are doc/var.md's
-- worked example (15 and 0), derived there by hand.
BEGIN;
SELECT plan(12);

SELECT is(portmargin.concentration_factor(400, 100), 2::float8, 'CR: sqrt(400 / 100) = 2');
SELECT is(portmargin.concentration_factor(-900, 100), 3::float8, 'CR of a short: sqrt(900 / 100) = 3');
SELECT is(portmargin.concentration_factor(50, 100), 1::float8, 'CR below the threshold: 1');
SELECT is(portmargin.concentration_factor(100, 100), 1::float8, 'CR at the threshold: 1');
-- by hand: A margin 1,000 x (2 - 1) = 1,000; B contributes -200 (a hedge): no add-on; C below its threshold: none
SELECT results_eq($$SELECT unit, factor, addon FROM portmargin.concentration_addon('{A,B,C}', '{1000,-200,300}', '{400,1000,-50}', '{100,100,100}')$$,
                  $$VALUES ('A', 2::float8, 1000::float8), ('B', sqrt(10::float8), 0), ('C', 1, 0)$$,
                  'per unit: max(0, unit margin) x (CR - 1)');
-- the var example of doc/var.md: long 1 BTC future at 100 and 2 ETH futures at 10, 4 scenarios, ES 50%: margin 15,
-- unit margins BTC 15, ETH 0.  Exposure = notional (100 and 20 USD), threshold 25 USD: BTC CR = 2 -> add-on 15; ETH
-- notional 20 < 25 -> CR 1.  Margin with the add-on: 30.
CREATE TEMP TABLE m AS
SELECT portmargin.portfolio_margin(portmargin.position(quantity => q, underlying => u, kind => 'future', settlement => 'linear',
                                                      forward => f, t => 0.25, multiplier => 1),
                                  portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.5)) AS m
FROM (VALUES (1.0, 'BTC', 100.0), (2.0, 'ETH', 10.0)) v(q, u, f);
SELECT is((SELECT (m).unit_margins FROM m), '{15,0}'::float8[], 'the example''s unit margins: 15 and 0 (doc/var.md)');
SELECT is((SELECT (m).initial_margin + sum(a.addon) FROM m, portmargin.concentration_addon((m).risk_units, (m).unit_margins, '{100,20}', '{25,25}') a
           GROUP BY (m).initial_margin), 30::float8, 'margin 15 + add-on 15 x (sqrt(100 / 25) - 1) = 30');

SELECT throws_ok($$SELECT portmargin.concentration_factor(1, 0)$$, '22023', 'invalid value for argument "threshold": 0', 'threshold 0: 22023');
SELECT throws_ok($$SELECT portmargin.concentration_factor('NaN', 1)$$, '22023', 'invalid value for argument "exposure": NaN', 'NaN exposure: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.concentration_addon('{A,B}', '{1}', '{1,1}', '{1,1}')$$, '22023',
                 'invalid value for argument "unit_margins": 1 elements for 2 units', 'one margin for two units: 22023');
SELECT throws_ok($$SELECT * FROM portmargin.concentration_addon('{A}', '{1}', '{1}', '{-5}')$$, '22023', NULL, 'a negative threshold: 22023');
SELECT throws_ok($$SELECT portmargin.concentration_factor(NULL, 1)$$, '22004', 'argument "exposure" must not be NULL', 'NULL: 22004');

SELECT * FROM finish();
ROLLBACK;
