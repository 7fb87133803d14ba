-- test/scenarios.sql: scenario-set construction (portmargin 0.2.0).
-- Expected values come from the implementation spec and from
-- the published methods (CME SPAN's 16 scenarios,
-- https://www.cmegroup.com/clearing/risk-management/span-overview.html; FINRA
-- Rule 4210(g) / OCC TIMS ranges, Deribit standard/extended tables and vol-shock multipliers, OKX
-- MR1/MR6), written out here as literals or recomputed from the published
-- closed forms -- never copied from the code under test.
-- an ERROR in one statement must not hide the other results: roll back just that
-- statement and go on (the plan count then reports the missing tests)
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(223);

-- helpers -------------------------------------------------------------------
-- 1. CME SPAN ------------------------------------------------------------------
-- table of margin-methods.md section 1 / spec: (move as a fraction of PSR,
-- vol sign, weight); 15/16 are +/- extreme_multiple x PSR, vol unchanged, 35%.
CREATE TEMP TABLE span_expected (idx int, frac float8, vsign int, weight float8);
INSERT INTO span_expected VALUES
  (1, 0, 1, 1), (2, 0, -1, 1), (3, 1.0/3, 1, 1), (4, 1.0/3, -1, 1), (5, -1.0/3, 1, 1), (6, -1.0/3, -1, 1),
  (7, 2.0/3, 1, 1), (8, 2.0/3, -1, 1), (9, -2.0/3, 1, 1), (10, -2.0/3, -1, 1),
  (11, 1, 1, 1), (12, 1, -1, 1), (13, -1, 1, 1), (14, -1, -1, 1), (15, 2, 0, 0.35), (16, -2, 0, 0.35);

SELECT is(portmargin.scenario_count(portmargin.span_scenarios(0.08, 0.04)), 16, 'span: 16 scenarios');
SELECT is(portmargin.scenario_method(portmargin.span_scenarios(0.08, 0.04)), 'span', 'span: method name');
SELECT is_empty($$
  SELECT e.idx, s.idx, e.frac * 0.08, s.price_move, e.weight, s.weight, s.extended
  FROM span_expected e FULL JOIN portmargin.scenarios(portmargin.span_scenarios(0.08, 0.04)) s USING (idx)
  WHERE e.idx IS NULL OR s.idx IS NULL OR NOT abs(s.price_move - e.frac * 0.08) <= 1e-15
     OR s.weight <> e.weight OR s.extended
$$, 'span(0.08, 0.04): moves 0, +/-1/3, +/-2/3, +/-1 x 8% in CME order, +/-16% at 35%, weights, not extended');
SELECT is_empty($$
  SELECT s.idx FROM portmargin.scenarios(portmargin.span_scenarios(0.08, 0.04)) s
  WHERE s.label IS NULL OR s.label = ''
  UNION ALL
  SELECT min(s.idx) FROM portmargin.scenarios(portmargin.span_scenarios(0.08, 0.04)) s GROUP BY s.label HAVING count(*) > 1
$$, 'span: every scenario has a distinct, non-empty label');
-- vol 30%, VSR 4 vol points: 34 / 26 alternately, 30 in 15 and 16
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.span_scenarios(0.08, 0.04), 0.30, 0.5),
  (SELECT array_agg(0.30 + vsign * 0.04 ORDER BY idx) FROM span_expected), 1e-15,
  'span: scenario vols are vol +/- VSR (absolute points), unchanged in 15/16');
-- a vol so large that the Deribit up-shock overflows: ERROR 22003, not Infinity (fuzz finding)
SELECT matches(pg_temp.err($$SELECT portmargin.scenario_vols(portmargin.preset('deribit-eth'), 1e308, 5e-324)$$), '^22003: ',
               'scenario_vols overflowing to Infinity -> ERROR 22003');
-- vol 2%: 2 - 4 floors at 0
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.span_scenarios(0.08, 0.04), 0.02, 0.5),
  (SELECT array_agg(greatest(0, 0.02 + vsign * 0.04) ORDER BY idx) FROM span_expected), 1e-15,
  'span: vol - VSR is floored at 0');
SELECT is_empty($$
  SELECT e.idx, s.price_move, s.weight
  FROM span_expected e FULL JOIN portmargin.scenarios(portmargin.span_scenarios(0.1, 0.05, extreme_multiple => 3, cover_fraction => 0.3)) s USING (idx)
  WHERE e.idx IS NULL OR s.idx IS NULL
     OR NOT abs(s.price_move - CASE WHEN e.idx >= 15 THEN sign(e.frac) * 0.3 ELSE e.frac * 0.1 END) <= 1e-15
     OR s.weight <> CASE WHEN e.idx >= 15 THEN 0.3 ELSE 1 END
$$, 'span(0.1, 0.05, extreme_multiple 3, cover_fraction 0.3): extremes +/-30% at 30%');
SELECT lives_ok($$SELECT portmargin.span_scenarios(0.08, 0)$$, 'span: vol_scan_range 0 is allowed (vsr >= 0)');

-- 2. OCC TIMS / FINRA 4210(g) -----------------------------------------------------
-- equity / narrow index +/-15%, 10 points: -15 -12 -9 -6 -3 3 6 9 12 15 %
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.tims_scenarios(0.15, 0.15))),
  '{-0.15,-0.12,-0.09,-0.06,-0.03,0.03,0.06,0.09,0.12,0.15}', 1e-15, 'tims(0.15, 0.15): FINRA equity valuation points');
-- high-cap broad index -8% / +6%: -8 -6.4 -4.8 -3.2 -1.6 1.2 2.4 3.6 4.8 6 %
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.preset('finra-high-cap-index'))),
  '{-0.08,-0.064,-0.048,-0.032,-0.016,0.012,0.024,0.036,0.048,0.06}', 1e-15, 'finra-high-cap-index: -8/+6% points');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.preset('finra-equity'))),
  '{-0.15,-0.12,-0.09,-0.06,-0.03,0.03,0.06,0.09,0.12,0.15}', 1e-15, 'finra-equity preset: +/-15% points');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.preset('finra-broad-index'))),
  '{-0.10,-0.08,-0.06,-0.04,-0.02,0.02,0.04,0.06,0.08,0.10}', 1e-15, 'finra-broad-index preset: +/-10% points');
SELECT is_empty($$
  SELECT * FROM portmargin.scenarios(portmargin.tims_scenarios(0.15, 0.15))
  WHERE weight <> 1 OR extended OR vol_rule <> 'none'
$$, 'tims: weight 1, vol unchanged (rule none), not extended');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.tims_scenarios(0.15, 0.15), 0.3, 0.5),
  array_fill(0.3::float8, ARRAY[10]), 0, 'tims: every scenario keeps the vol');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.tims_scenarios(0.2, 0.1, points => 4))),
  '{-0.2,-0.1,0.05,0.1}', 1e-15, 'tims(0.2, 0.1, points 4): -d, -d/2, u/2, u');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.tims_scenarios(0.2, 0.1, points => 2))),
  '{-0.2,0.1}', 1e-15, 'tims points 2: -down, +up');
-- vol shocks: each point at vol, vol*(1+vol_up), vol*(1-vol_down)
SELECT is(portmargin.scenario_count(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_down => 0.1, vol_up => 0.2)), 6,
  'tims with vol_up and vol_down: points x 3 scenarios');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_down => 0.1, vol_up => 0.2))),
  '{-0.2,-0.2,-0.2,0.1,0.1,0.1}', 1e-15, 'tims with vol shocks: each point repeated, most negative first');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_down => 0.1, vol_up => 0.2), 0.5, 0.25),
  '{0.5,0.6,0.45,0.5,0.6,0.45}', 1e-15, 'tims vol shocks: unchanged, up x1.2, down x0.9 per point (relative)');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_up => 0.2), 0.5, 0.25),
  '{0.5,0.6,0.5,0.6}', 1e-15, 'tims with vol_up only: points x 2 (unchanged, up)');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_down => 0.1), 0.5, 0.25),
  '{0.5,0.45,0.5,0.45}', 1e-15, 'tims with vol_down only: points x 2 (unchanged, down)');
SELECT is(portmargin.scenario_method(portmargin.preset('finra-equity')), 'tims', 'tims: method name');

-- 3. Deribit -------------------------------------------------------------------------
-- standard table: m_k = -R + k R/B, k = 0..2B, each with vol up / same / down;
-- extended: {-66,-33,50,100,200,300,400,500}% with vol up, weight min(1, factor R/|m|)
CREATE TEMP TABLE db_expected AS
SELECT 3 * k + j AS idx, -0.16 + k * 0.04 AS move,
       (ARRAY['term_up','none','term_down'])[j] AS vol_rule, 1.0::float8 AS weight, false AS extended
FROM generate_series(0, 8) k, generate_series(1, 3) j
UNION ALL
SELECT 27 + i::int, m, 'term_up', least(1, 0.16 / abs(m)), true
FROM unnest('{-0.66,-0.33,0.5,1,2,3,4,5}'::float8[]) WITH ORDINALITY u(m, i);

SELECT is(portmargin.scenario_count(portmargin.deribit_scenarios()), 35, 'deribit: 27 standard + 8 extended scenarios');
SELECT is(portmargin.scenario_method(portmargin.deribit_scenarios()), 'deribit', 'deribit: method name');
SELECT is_empty($$
  SELECT e.idx, s.idx, e.move, s.price_move, e.vol_rule, s.vol_rule, e.weight, s.weight, s.extended
  FROM db_expected e FULL JOIN portmargin.scenarios(portmargin.deribit_scenarios()) s USING (idx)
  WHERE e.idx IS NULL OR s.idx IS NULL OR NOT abs(s.price_move - e.move) <= 1e-15
     OR s.vol_rule <> e.vol_rule OR NOT abs(s.weight - e.weight) <= 1e-15 OR s.extended <> e.extended
$$, 'deribit(): -16..+16% in 4% steps x (term_up, none, term_down), then the extended moves (term_up, R/|m|)');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.deribit_scenarios()) WHERE extended),
  ARRAY[0.16/0.66, 0.16/0.33, 0.32, 0.16, 0.08, 0.16/3, 0.04, 0.032], 1e-15,
  'deribit extended weights: -66% -> 0.2424..., -33% -> 0.4848..., +50% -> 0.32, ..., +500% -> 0.032');
SELECT ok(abs((SELECT weight FROM portmargin.scenarios(portmargin.deribit_scenarios()) WHERE idx = 28) - 0.24242424242424243) <= 1e-15
          AND abs((SELECT weight FROM portmargin.scenarios(portmargin.deribit_scenarios()) WHERE idx = 35) - 0.032) <= 1e-15,
          'deribit: -66% counted at 24.24% and +500% at 3.2% (Paradex published weights)');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.deribit_scenarios(0.1, buckets => 2)) WHERE NOT extended),
  '{-0.1,-0.1,-0.1,-0.05,-0.05,-0.05,0,0,0,0.05,0.05,0.05,0.1,0.1,0.1}', 1e-15, 'deribit(0.1, buckets 2): 5 moves x 3');
SELECT is(portmargin.scenario_count(portmargin.deribit_scenarios(0.1, buckets => 2)), 23, 'deribit(0.1, buckets 2): 15 + 8 scenarios');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.deribit_scenarios(extended_factor => 5)) WHERE extended),
  ARRAY[1, 1, 1, 0.8, 0.4, 0.8/3, 0.2, 0.16], 1e-15, 'deribit extended_factor 5: weight min(1, 5 x 0.16/|m|)');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.preset('deribit-eth')) WHERE extended),
  ARRAY[0.18/0.66, 0.18/0.33, 0.36, 0.18, 0.09, 0.06, 0.045, 0.036], 1e-15, 'deribit-eth (R 18%): extended weights 0.18/|m|');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.deribit_scenarios(extended_moves => '{-0.5,0.25}')) WHERE extended),
  '{-0.5,0.25}', 1e-15, 'deribit: custom extended moves');

-- vol-shock multipliers: reference values of margin-methods.md (6 decimals, 1e-6)
CREATE TEMP TABLE db_mult (dte int, up float8, down float8);
INSERT INTO db_mult VALUES (1, 2.387096, 0.306452), (7, 1.773708, 0.613146), (30, 1.5, 0.75),
                           (90, 1.433455, 0.783272), (365, 1.361325, 0.819338);
SELECT ok(abs(v[1] - m.up) <= 1e-6 AND abs(v[2] - 1) <= 1e-15 AND abs(v[3] - m.down) <= 1e-6
          AND abs(v[28] - m.up) <= 1e-6 AND abs(v[35] - m.up) <= 1e-6,
          format('deribit vol multipliers at DTE %s: up %s (ref %s), same %s, down %s (ref %s), extended %s',
                 m.dte, v[1], m.up, v[2], v[3], m.down, v[28]))
FROM db_mult m, LATERAL (SELECT portmargin.scenario_vols(portmargin.preset('deribit-btc'), 1.0, m.dte / 365.0) AS v) x
ORDER BY m.dte;

-- the same, recomputed from the closed form f = (30/max(DTE, 1))^p, p = 0.30 if DTE <= 30 else 0.13;
-- up = 1 + 0.5 f, down = max(0, 1 - 0.25 f), for every scenario, at 1e-12
CREATE TEMP TABLE db_cf AS
SELECT d.dte, vol, array_agg(vol * CASE e.vol_rule WHEN 'term_up' THEN 1 + 0.5 * f
                                           WHEN 'term_down' THEN greatest(0, 1 - 0.25 * f) ELSE 1 END ORDER BY e.idx) AS want
FROM unnest('{1,7,30,90,365,0.5,0,29,31,1000}'::float8[]) d(dte), unnest('{1.0,0.6}'::float8[]) vol,
     LATERAL (SELECT power(30.0 / greatest(d.dte, 1), CASE WHEN d.dte <= 30 THEN 0.30 ELSE 0.13 END) AS f) ff,
     db_expected e
GROUP BY d.dte, vol;
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.deribit_scenarios(), vol, dte / 365.0), want, 1e-12,
                      format('deribit vols at DTE %s, vol %s: closed form (30/max(DTE,1))^p at 1e-12', dte, vol))
FROM db_cf ORDER BY dte, vol;
-- vol_range_down 0.5 at DTE 1: 1 - 0.5 x 2.774 < 0 -> floored at 0
SELECT is((portmargin.scenario_vols(portmargin.deribit_scenarios(vol_range_down => 0.5), 0.8, 1 / 365.0))[3], 0::float8,
          'deribit: vol-down multiplier floored at 0');
-- other powers / floor: short_term_power 0.5, dte_floor 2, DTE 1 -> (30/2)^0.5
SELECT ok(abs((portmargin.scenario_vols(portmargin.deribit_scenarios(short_term_power => 0.5, dte_floor => 2), 1.0, 1 / 365.0))[1]
              - (1 + 0.5 * sqrt(15.0))) <= 1e-12,
          'deribit: short_term_power 0.5 and dte_floor 2 at DTE 1 -> 1 + 0.5 sqrt(15)');
SELECT ok(abs((portmargin.scenario_vols(portmargin.deribit_scenarios(long_term_power => 0.5, vol_range_up => 0.4), 1.0, 120 / 365.0))[1]
              - (1 + 0.4 * sqrt(0.25))) <= 1e-12,
          'deribit: long_term_power 0.5, vol_range_up 0.4 at DTE 120 -> 1 + 0.4 x (30/120)^0.5');

-- 4. OKX -------------------------------------------------------------------------------
SELECT is(portmargin.scenario_count(portmargin.okx_scenarios()), 9, 'okx(): 7 MR1 moves (no vol shocks) + 2 MR6');
SELECT is(portmargin.scenario_method(portmargin.okx_scenarios()), 'okx', 'okx: method name');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.okx_scenarios())),
  '{-0.12,-0.08,-0.04,0,0.04,0.08,0.12,-0.24,0.24}', 1e-15, 'okx(): MR1 0, +/-4, 8, 12%, then MR6 -24%, +24%');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.okx_scenarios())),
  '{1,1,1,1,1,1,1,0.5,0.5}', 0, 'okx(): MR1 weight 1, MR6 weight 0.5');
SELECT is_empty($$SELECT * FROM portmargin.scenarios(portmargin.okx_scenarios()) WHERE extended$$, 'okx: no extended scenarios');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.okx_scenarios(), 0.5, 0.1),
  array_fill(0.5::float8, ARRAY[9]), 0, 'okx(): vol unchanged everywhere');
SELECT is(portmargin.scenario_count(portmargin.okx_scenarios(vol_up => 0.2, vol_down => 0.1)), 23, 'okx with vol shocks: 7 x 3 + 2');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.okx_scenarios(vol_up => 0.2, vol_down => 0.1))),
  '{-0.12,-0.12,-0.12,-0.08,-0.08,-0.08,-0.04,-0.04,-0.04,0,0,0,0.04,0.04,0.04,0.08,0.08,0.08,0.12,0.12,0.12,-0.24,0.24}', 1e-15,
  'okx with vol shocks: each MR1 move 3 times, then MR6');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.okx_scenarios(vol_up => 0.2, vol_down => 0.1), 0.5, 0.1),
  (SELECT array_agg(v ORDER BY i, j) FROM generate_series(1, 7) i,
          unnest('{0.5,0.6,0.45}'::float8[]) WITH ORDINALITY u(v, j)) || '{0.5,0.5}'::float8[], 1e-15,
  'okx vol shocks: same, x1.2, x0.9 per move; MR6 unchanged');
SELECT is(portmargin.scenario_count(portmargin.okx_scenarios(vol_down => 0.1)), 16, 'okx with vol_down only: 7 x 2 + 2');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.okx_scenarios('{-0.3,0.3}', extreme_move => 0.5, extreme_fraction => 0.25))),
  '{1,1,0.25,0.25}', 0, 'okx custom moves: MR6 weight = extreme_fraction');
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.okx_scenarios('{-0.3,0.3}', extreme_move => 0.5, extreme_fraction => 0.25))),
  '{-0.3,0.3,-0.5,0.5}', 1e-15, 'okx custom moves: MR6 = -extreme_move, +extreme_move');

-- 5. grid ----------------------------------------------------------------------------
SELECT is(portmargin.scenario_method(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.05,0,-0.05}')), 'grid', 'grid: method name');
SELECT is_empty($$
  SELECT * FROM portmargin.scenarios(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.05,0,-0.05}')) s
  FULL JOIN (VALUES (1, -0.1::float8, 0.05::float8), (2, 0, 0), (3, 0.1, -0.05)) e(idx, m, v) USING (idx)
  WHERE s.idx IS NULL OR e.idx IS NULL OR s.price_move <> e.m OR s.vol_shift <> e.v OR s.weight <> 1 OR s.extended
$$, 'grid: one scenario per element, weights default to 1');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.05,0,-0.05}'), 0.3, 0.5),
  '{0.35,0.3,0.25}', 1e-15, 'grid absolute: vol + shift');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.05,0,-0.05}'), 0.02, 0.5),
  '{0.07,0.02,0}', 1e-15, 'grid absolute: floored at 0');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.5,0,-1.5}', vol_rule => 'relative'), 0.3, 0.5),
  '{0.45,0.3,0}', 1e-15, 'grid relative: vol x (1 + shift), floored at 0');
SELECT pg_temp.arr_is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}', '{0.5,1,0}'))),
  '{0.5,1,0}', 0, 'grid: explicit weights (0 and 1 allowed)');
SELECT is(portmargin.scenario_count(portmargin.grid_scenarios('{0.01}', '{0}')), 1, 'grid: a single scenario is allowed');

-- 6. presets ------------------------------------------------------------------------
SELECT is((SELECT array_agg(name ORDER BY name) FROM portmargin.scenario_presets),
  '{deribit-btc,deribit-eth,finra-broad-index,finra-equity,finra-high-cap-index,okx-btc,okx-mid,okx-mid-mr1,okx-mid-mr6,okx-others,span}'::text[],
  'the 11 shipped presets');
SELECT is((SELECT count(*)::int FROM portmargin.scenario_presets WHERE shipped AND description <> '' AND source <> ''), 11,
  'every preset is shipped with a description and a source');
SELECT is_empty($$
  SELECT p.name FROM portmargin.scenario_presets p
  JOIN (VALUES ('span', portmargin.span_scenarios(0.08, 0.04)),
               ('finra-equity', portmargin.tims_scenarios(0.15, 0.15)),
               ('finra-broad-index', portmargin.tims_scenarios(0.10, 0.10)),
               ('finra-high-cap-index', portmargin.tims_scenarios(0.08, 0.06)),
               -- 0.4.0: Deribit's pme/simulate parameters (doc/venues/deribit.md)
               ('deribit-btc', portmargin.deribit_scenarios(0.16, option_contingency => 0, futures_contingency => 0,
                                                            min_volatility_for_shock_up => 0.5)),
               ('deribit-eth', portmargin.deribit_scenarios(0.18, vol_range_up => 0.4, option_contingency => 0,
                                                            futures_contingency => 0, roll_move_risk => 0.05, roll_min_move => 0.005,
                                                            pnl_offset => 0.6, max_offsetable_pnl => 20000000,
                                                            min_volatility_for_shock_up => 0.5)),
               ('okx-btc', portmargin.okx_scenarios(basis_minimum => 0.002, minimum_charge_rate => 0.0045)),
               ('okx-mid', portmargin.okx_scenarios('{-0.18,-0.12,-0.06,0,0.06,0.12,0.18}', extreme_move => 0.36, basis_move_risk => 0.15,
                                                    basis_minimum => 0.008, minimum_charge_rate => 0.007)),
               ('okx-mid-mr1', portmargin.okx_scenarios('{-0.18,-0.12,-0.06,0,0.06,0.12,0.18}', extreme_move => 0.5, basis_move_risk => 0.30)),
               ('okx-mid-mr6', portmargin.okx_scenarios('{-0.25,-0.16,-0.08,0,0.08,0.16,0.25}', extreme_move => 0.36, basis_move_risk => 0.15)),
               ('okx-others', portmargin.okx_scenarios('{-0.25,-0.16,-0.08,0,0.08,0.16,0.25}', extreme_move => 0.5, basis_move_risk => 0.30))
       ) e(name, s) ON e.name = p.name
  WHERE NOT (p.scenarios OPERATOR(portmargin.=) e.s) OR NOT (portmargin.preset(p.name) OPERATOR(portmargin.=) e.s)
$$, 'preset contents (PSR 8%/4 pts; FINRA 15/15, 10/10, 8/6; Deribit 16%, 18% (pme/simulate parameters); OKX tiers of doc/venues/okx.md) and preset(name)');
SELECT is((SELECT array_agg(portmargin.scenario_count(scenarios) ORDER BY name) FROM portmargin.scenario_presets),
  '{35,35,10,10,10,9,9,9,9,9,16}'::int[], 'preset scenario counts');
SELECT throws_ok($$SELECT portmargin.preset('no-such-preset')$$, '22023', NULL, 'preset(unknown name) -> 22023');

-- 7. text round trip, equality, hashing ------------------------------------------
CREATE TEMP TABLE sets (id serial, s portmargin.scenario_set);
INSERT INTO sets (s) SELECT scenarios FROM portmargin.scenario_presets ORDER BY name;
INSERT INTO sets (s) VALUES
  (portmargin.span_scenarios(1 / 3.0, 0.1 / 3, extreme_multiple => 2.5, cover_fraction => 0.3, short_option_minimum => 12.5,
                             lookahead_days => 0, im_ratio => 1)),
  (portmargin.tims_scenarios(0.2, 0.1, points => 6, per_contract_minimum => 0.5, vol_down => 0.1, vol_up => 0.2)),
  (portmargin.deribit_scenarios(0.1, 2, 0.4, 0.2, 0.25, 0.15, 2, '{-0.5,0.7}', 0.9, 0.02, 0.03, 0.1, 0.02, 0.5, 1000, 0.75)),
  (portmargin.okx_scenarios('{-0.1,0,0.1}', 0.2, 0.1, 0.3, 0.4, 0.06, 0.01, '{0,10000,70000}', '{1,2,4}', 1.25)),
  (portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.01,0,-0.2}', '{0.25,1,0.5}', 'relative', 1.5, 1.2)),
  (portmargin.grid_scenarios(ARRAY[0.1 / 3, -0.7], '{0,0}'));

SELECT is_empty($$SELECT id, s::text FROM sets WHERE NOT ((s::text)::portmargin.scenario_set OPERATOR(portmargin.=) s)$$,
  'text round trip: scenario_set_in(scenario_set_out(s)) = s for every preset and custom set');
SELECT is_empty($$SELECT id, s::text FROM sets WHERE (s::text)::portmargin.scenario_set::text <> s::text$$,
  'text output is canonical (out(in(out(s))) = out(s))');
SELECT is_empty($$
  SELECT id FROM sets, LATERAL (SELECT array_agg(x ORDER BY x.idx)::text a FROM portmargin.scenarios(s) x) a,
                 LATERAL (SELECT array_agg(y ORDER BY y.idx)::text b FROM portmargin.scenarios((s::text)::portmargin.scenario_set) y) b
  WHERE a IS DISTINCT FROM b
$$, 'the scenarios survive the text round trip');
SELECT is_empty($$SELECT id, s::text FROM sets WHERE s::text NOT LIKE portmargin.scenario_method(s) || '(%)'$$,
  'text form is a constructor call method(...)');
SELECT ok('deribit(price_range=0.16)'::portmargin.scenario_set OPERATOR(portmargin.=) portmargin.deribit_scenarios(0.16),
  'text input with a subset of parameters takes the defaults');
SELECT ok('deribit()'::portmargin.scenario_set OPERATOR(portmargin.=) portmargin.deribit_scenarios(), 'deribit() = all defaults');
SELECT ok('span(price_scan_range=0.08, vol_scan_range=0.04)'::portmargin.scenario_set OPERATOR(portmargin.=) portmargin.preset('span'),
  'span text input = the span preset');
SELECT ok('grid(moves={-0.1,0,0.1}, vol_shifts={0,0,0})'::portmargin.scenario_set OPERATOR(portmargin.=)
          portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'), 'grid text input with arrays as {a,b,c}');
SELECT ok('okx(minimum_charge_tiers={0,10000,70000}, minimum_charge_multipliers={1,2,4})'::portmargin.scenario_set OPERATOR(portmargin.=)
          portmargin.okx_scenarios(minimum_charge_tiers => '{0,10000,70000}', minimum_charge_multipliers => '{1,2,4}'),
  'okx text input with tier arrays');
SELECT ok('tims(down=0.08, up=0.06)'::portmargin.scenario_set OPERATOR(portmargin.=) portmargin.preset('finra-high-cap-index'),
  'tims text input');
SELECT ok(portmargin.span_scenarios(0.08, 0.04) OPERATOR(portmargin.=) portmargin.span_scenarios(0.08, 0.04), '= on equal sets');
SELECT ok(NOT (portmargin.span_scenarios(0.08, 0.04) OPERATOR(portmargin.<>) portmargin.span_scenarios(0.08, 0.04)), '<> on equal sets');
SELECT ok(portmargin.span_scenarios(0.08, 0.04) OPERATOR(portmargin.<>) portmargin.span_scenarios(0.08, 0.05), '<> when a parameter differs');
SELECT ok(portmargin.span_scenarios(0.08, 0.04) OPERATOR(portmargin.<>) portmargin.span_scenarios(0.08, 0.04, im_ratio => 1),
  '<> when only a non-scenario parameter (im_ratio) differs');
SELECT ok(NOT (portmargin.deribit_scenarios() OPERATOR(portmargin.=) portmargin.preset('deribit-eth')), '= false across parameters');
SELECT ok(NOT (portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}') OPERATOR(portmargin.=) portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}', vol_rule => 'relative')),
  'grids differing only in vol_rule differ');
SELECT is(portmargin.scenario_set_hash('deribit(price_range=0.16)'), portmargin.scenario_set_hash(portmargin.deribit_scenarios()),
  'equal sets hash equally (parsed vs constructed)');

CREATE TEMP TABLE gb (s portmargin.scenario_set, n int);
INSERT INTO gb VALUES (portmargin.span_scenarios(0.08, 0.04), 1), ('span(price_scan_range=0.08, vol_scan_range=0.04)', 2),
  (portmargin.preset('span'), 3), (portmargin.deribit_scenarios(), 4), ('deribit()', 5), (portmargin.grid_scenarios('{0.1}', '{0}'), 6);
SELECT is((SELECT array_agg(c ORDER BY c) FROM (SELECT count(*)::int c FROM gb GROUP BY s) x), '{1,2,3}'::int[], 'GROUP BY scenario_set');
SELECT is((SELECT count(*)::int FROM (SELECT DISTINCT s FROM gb) x), 3, 'SELECT DISTINCT scenario_set');
SELECT is((SELECT count(*)::int FROM gb a JOIN gb b ON a.s OPERATOR(portmargin.=) b.s), 9 + 4 + 1, 'join on scenario_set equality');
SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off;
SELECT is((SELECT count(*)::int FROM gb a JOIN gb b ON a.s OPERATOR(portmargin.=) b.s), 9 + 4 + 1, 'hash join on scenario_set');
RESET enable_nestloop; RESET enable_mergejoin;

-- 8. bad input: ERROR 22023 naming the argument -----------------------------------
CREATE TEMP TABLE bad (call text, arg text);
INSERT INTO bad VALUES
  -- span
  ($$portmargin.span_scenarios('NaN', 0.04)$$, 'price_scan_range'),
  ($$portmargin.span_scenarios('Infinity', 0.04)$$, 'price_scan_range'),
  ($$portmargin.span_scenarios(0, 0.04)$$, 'price_scan_range'),
  ($$portmargin.span_scenarios(-0.08, 0.04)$$, 'price_scan_range'),
  ($$portmargin.span_scenarios(0.08, -0.01)$$, 'vol_scan_range'),
  ($$portmargin.span_scenarios(0.08, 'NaN')$$, 'vol_scan_range'),
  ($$portmargin.span_scenarios(0.08, '-Infinity')$$, 'vol_scan_range'),
  ($$portmargin.span_scenarios(0.08, 0.04, extreme_multiple => 'NaN')$$, 'extreme_multiple'),
  ($$portmargin.span_scenarios(0.5, 0.04)$$, '(extreme_multiple|price_scan_range)'),      -- -2 x 50% = -100%
  ($$portmargin.span_scenarios(0.2, 0.04, extreme_multiple => 6)$$, '(extreme_multiple|price_scan_range)'),  -- -120%
  ($$portmargin.span_scenarios(1.5, 0.04)$$, 'price_scan_range'),                        -- move -1 x 150%
  ($$portmargin.span_scenarios(0.08, 0.04, cover_fraction => 1.5)$$, 'cover_fraction'),
  ($$portmargin.span_scenarios(0.08, 0.04, cover_fraction => -0.1)$$, 'cover_fraction'),
  ($$portmargin.span_scenarios(0.08, 0.04, cover_fraction => 'NaN')$$, 'cover_fraction'),
  ($$portmargin.span_scenarios(0.08, 0.04, short_option_minimum => 'Infinity')$$, 'short_option_minimum'),
  ($$portmargin.span_scenarios(0.08, 0.04, lookahead_days => 'NaN')$$, 'lookahead_days'),
  ($$portmargin.span_scenarios(0.08, 0.04, im_ratio => 0)$$, 'im_ratio'),
  ($$portmargin.span_scenarios(0.08, 0.04, im_ratio => -1.1)$$, 'im_ratio'),
  -- tims
  ($$portmargin.tims_scenarios(0, 0.15)$$, 'down'),
  ($$portmargin.tims_scenarios(-0.15, 0.15)$$, 'down'),
  ($$portmargin.tims_scenarios('NaN', 0.15)$$, 'down'),
  ($$portmargin.tims_scenarios(1, 0.15)$$, 'down'),                                      -- move -100%
  ($$portmargin.tims_scenarios(0.15, 0)$$, 'up'),
  ($$portmargin.tims_scenarios(0.15, -0.1)$$, 'up'),
  ($$portmargin.tims_scenarios(0.15, 'Infinity')$$, 'up'),
  ($$portmargin.tims_scenarios(0.15, 0.15, points => 3)$$, 'points'),
  ($$portmargin.tims_scenarios(0.15, 0.15, points => 1)$$, 'points'),
  ($$portmargin.tims_scenarios(0.15, 0.15, points => 0)$$, 'points'),
  ($$portmargin.tims_scenarios(0.15, 0.15, points => -2)$$, 'points'),
  ($$portmargin.tims_scenarios(0.15, 0.15, per_contract_minimum => 'NaN')$$, 'per_contract_minimum'),
  ($$portmargin.tims_scenarios(0.15, 0.15, vol_down => 'NaN')$$, 'vol_down'),
  ($$portmargin.tims_scenarios(0.15, 0.15, vol_up => 'Infinity')$$, 'vol_up'),
  -- deribit
  ($$portmargin.deribit_scenarios(0)$$, 'price_range'),
  ($$portmargin.deribit_scenarios(-0.16)$$, 'price_range'),
  ($$portmargin.deribit_scenarios('NaN')$$, 'price_range'),
  ($$portmargin.deribit_scenarios(1)$$, 'price_range'),                                  -- standard move -100%
  ($$portmargin.deribit_scenarios(buckets => 0)$$, 'buckets'),
  ($$portmargin.deribit_scenarios(buckets => -4)$$, 'buckets'),
  ($$portmargin.deribit_scenarios(vol_range_up => 'NaN')$$, 'vol_range_up'),
  ($$portmargin.deribit_scenarios(vol_range_down => 'Infinity')$$, 'vol_range_down'),
  ($$portmargin.deribit_scenarios(short_term_power => 'NaN')$$, 'short_term_power'),
  ($$portmargin.deribit_scenarios(long_term_power => '-Infinity')$$, 'long_term_power'),
  ($$portmargin.deribit_scenarios(dte_floor => 'NaN')$$, 'dte_floor'),
  ($$portmargin.deribit_scenarios(extended_moves => '{-1}')$$, 'extended_moves'),
  ($$portmargin.deribit_scenarios(extended_moves => '{-0.66,-1.5}')$$, 'extended_moves'),
  ($$portmargin.deribit_scenarios(extended_moves => '{-0.66,NaN}')$$, 'extended_moves'),
  ($$portmargin.deribit_scenarios(extended_moves => '{Infinity}')$$, 'extended_moves'),
  ($$portmargin.deribit_scenarios(extended_moves => '{0.5,0}')$$, 'extended_moves'),          -- a 0% extended move (an empty array is allowed: no extended table)
  ($$portmargin.deribit_scenarios(extended_factor => 'NaN')$$, 'extended_factor'),
  ($$portmargin.deribit_scenarios(extended_factor => -1)$$, 'extended_factor'),         -- weights -0.24..: outside [0,1]
  ($$portmargin.deribit_scenarios(option_contingency => 'NaN')$$, 'option_contingency'),
  ($$portmargin.deribit_scenarios(futures_contingency => 'Infinity')$$, 'futures_contingency'),
  ($$portmargin.deribit_scenarios(roll_move_risk => 'NaN')$$, 'roll_move_risk'),
  ($$portmargin.deribit_scenarios(roll_min_move => 'NaN')$$, 'roll_min_move'),
  ($$portmargin.deribit_scenarios(pnl_offset => 'NaN')$$, 'pnl_offset'),
  ($$portmargin.deribit_scenarios(max_offsetable_pnl => 'Infinity')$$, 'max_offsetable_pnl'),
  ($$portmargin.deribit_scenarios(mm_factor => 0)$$, 'mm_factor'),
  ($$portmargin.deribit_scenarios(mm_factor => -0.8)$$, 'mm_factor'),
  -- okx
  ($$portmargin.okx_scenarios('{}')$$, 'spot_moves'),
  ($$portmargin.okx_scenarios('{-1,0,0.1}')$$, 'spot_moves'),
  ($$portmargin.okx_scenarios('{-0.1,Infinity}')$$, 'spot_moves'),
  ($$portmargin.okx_scenarios('{NaN}')$$, 'spot_moves'),
  ($$portmargin.okx_scenarios(vol_up => 'NaN')$$, 'vol_up'),
  ($$portmargin.okx_scenarios(vol_down => 'Infinity')$$, 'vol_down'),
  ($$portmargin.okx_scenarios(extreme_move => 1)$$, 'extreme_move'),                   -- -100%
  ($$portmargin.okx_scenarios(extreme_move => 'NaN')$$, 'extreme_move'),
  ($$portmargin.okx_scenarios(extreme_fraction => 1.5)$$, 'extreme_fraction'),
  ($$portmargin.okx_scenarios(extreme_fraction => -0.5)$$, 'extreme_fraction'),
  ($$portmargin.okx_scenarios(basis_move_risk => 'NaN')$$, 'basis_move_risk'),
  ($$portmargin.okx_scenarios(minimum_charge_rate => 'Infinity')$$, 'minimum_charge_rate'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{100,1000}', minimum_charge_multipliers => '{1,2}')$$, 'minimum_charge_tiers'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{0,1000,1000}', minimum_charge_multipliers => '{1,2,3}')$$, 'minimum_charge_tiers'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{0,1000,500}', minimum_charge_multipliers => '{1,2,3}')$$, 'minimum_charge_tiers'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{0,1000}', minimum_charge_multipliers => '{1,2,3}')$$, '(minimum_charge_tiers|minimum_charge_multipliers)'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{0,1000,NaN}', minimum_charge_multipliers => '{1,2,3}')$$, 'minimum_charge_tiers'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{0,1000}', minimum_charge_multipliers => '{1,NaN}')$$, 'minimum_charge_multipliers'),
  ($$portmargin.okx_scenarios(minimum_charge_tiers => '{}', minimum_charge_multipliers => '{}')$$, '(minimum_charge_tiers|minimum_charge_multipliers)'),
  ($$portmargin.okx_scenarios(imr_ratio => 0)$$, 'imr_ratio'),
  ($$portmargin.okx_scenarios(imr_ratio => 'NaN')$$, 'imr_ratio'),
  -- grid
  ($$portmargin.grid_scenarios('{}', '{}')$$, '(moves|vol_shifts)'),
  ($$portmargin.grid_scenarios('{-0.1,0.1}', '{0}')$$, '(moves|vol_shifts)'),
  ($$portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}', '{1}')$$, 'weights'),
  ($$portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}', '{1,1.5}')$$, 'weights'),
  ($$portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}', '{-0.1,1}')$$, 'weights'),
  ($$portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}', '{NaN,1}')$$, 'weights'),
  ($$portmargin.grid_scenarios('{-1}', '{0}')$$, 'moves'),
  ($$portmargin.grid_scenarios('{0.1,-2}', '{0,0}')$$, 'moves'),
  ($$portmargin.grid_scenarios('{NaN}', '{0}')$$, 'moves'),
  ($$portmargin.grid_scenarios('{Infinity}', '{0}')$$, 'moves'),
  ($$portmargin.grid_scenarios('{0.1}', '{NaN}')$$, 'vol_shifts'),
  ($$portmargin.grid_scenarios('{0.1}', '{-Infinity}')$$, 'vol_shifts'),
  ($$portmargin.grid_scenarios('{0.1}', '{0}', vol_rule => 'sideways')$$, 'vol_rule'),
  ($$portmargin.grid_scenarios('{0.1}', '{0}', im_ratio => 0)$$, 'im_ratio'),
  ($$portmargin.grid_scenarios('{0.1}', '{0}', mm_ratio => -1)$$, 'mm_ratio'),
  ($$portmargin.grid_scenarios('{0.1}', '{0}', im_ratio => 'NaN')$$, 'im_ratio'),
  -- the same rules through text input
  ($$'span(price_scan_range=0, vol_scan_range=0.04)'::portmargin.scenario_set$$, 'price_scan_range'),
  ($$'deribit(buckets=0)'::portmargin.scenario_set$$, 'buckets'),
  ($$'tims(down=0.15, up=0.15, points=5)'::portmargin.scenario_set$$, 'points'),
  ($$'grid(moves={0.1,0.2}, vol_shifts={0})'::portmargin.scenario_set$$, '(moves|vol_shifts)'),
  ($$'grid(moves={0.1}, vol_shifts={0}, vol_rule=sideways)'::portmargin.scenario_set$$, 'vol_rule'),
  ($$'okx(minimum_charge_tiers={5,10}, minimum_charge_multipliers={1,2})'::portmargin.scenario_set$$, 'minimum_charge_tiers');

SELECT matches(pg_temp.err('SELECT ' || call), '^22023: .*\m' || arg || '\M', 'bad input -> 22023 naming ' || arg || ': ' || call)
FROM bad ORDER BY call;

-- malformed text and NULL arrays: an error (any SQLSTATE), never a value
SELECT isnt(pg_temp.err(q), 'no error', 'rejected: ' || q)
FROM unnest(ARRAY[
  $$SELECT 'nosuch(price_range=0.16)'::portmargin.scenario_set$$,
  $$SELECT 'deribit(nosuch=1)'::portmargin.scenario_set$$,
  $$SELECT 'deribit(price_range=abc)'::portmargin.scenario_set$$,
  $$SELECT 'deribit(price_range=0.16'::portmargin.scenario_set$$,
  $$SELECT ''::portmargin.scenario_set$$,
  $$SELECT 'span(vol_scan_range=0.04)'::portmargin.scenario_set$$,
  $$SELECT portmargin.grid_scenarios('{0.1,NULL}', '{0,0}')$$,
  $$SELECT portmargin.grid_scenarios(NULL, '{0}')$$]) q;

-- finite parameters give finite scenarios and labels (issue 9, point 5)
-- TIMS up = 1e308 (any positive number is accepted): the 5 up points are up x i/5, the last up itself;
-- 0.3.0 formed up x i first and stored +Infinity
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.scenarios(portmargin.tims_scenarios(0.15, 1e308)) WHERE price_move > 0),
          '{2e307,4e307,6e307,8e307,1e308}', 1e-15, 'tims up = 1e308: up points 2e307 ... 1e308, finite (to 1e-15)');
-- a label shows 100 x move; for 1e308 that is 1e310 %, printed with its power of ten (not +Infinity%)
SELECT is((SELECT label FROM portmargin.scenarios(portmargin.grid_scenarios('{1e308,0}', '{1e308,0}')) WHERE idx = 1),
          '+1e+310% vol up +1e+310 pts', 'label of a 1e308 move and a 1e308 vol shift');
SELECT is((SELECT label FROM portmargin.scenarios(portmargin.grid_scenarios('{1.7976931348623157e308}', '{-2.5e307}', vol_rule => 'relative'))),
          '+1.798e+310% vol down -2.5e+309%', 'label of the largest double move and a -2.5e307 relative shift');
SELECT is((SELECT label FROM portmargin.scenarios(portmargin.grid_scenarios('{0.08}', '{-0.04}'))),
          '+8% vol down -4 pts', 'ordinary labels are unchanged');
-- Monte Carlo moves that overflow (or round to -100%) are 22003, not stored
SELECT throws_ok($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{1e308,0.3}', '{1,0.5,0.5,1}', 100)$$, '22003', NULL,
                 'monte_carlo_scenarios with a 1e308 volatility -> 22003 (0.3.0 stored Infinity and -1 moves)');

-- a correlation matrix of 300 underlyings is factored by tiles of 128 (interruptible): the draws e of a
-- seed are those of the identity matrix (z = e), and with the equicorrelation matrix rho = 0.4 each scenario
-- must be z = L e with L its Cholesky factor in closed form: L_jj = s_j = sqrt(1 - q_j),
-- L_ij = c_j = (rho - q_j) / s_j for i > j, q_j = sum_{i<j} c_i^2 (log returns, vols 1: z = ln(1 + move))
WITH RECURSIVE
  k AS (SELECT 300 AS k, 0.4::float8 AS rho),
  l(j, q, s, c) AS (   -- q: sum_{i<j} c_i^2; s_j = sqrt(1 - q), c_j = (rho - q) / s_j
    SELECT 1, 0::float8, 1::float8, (SELECT rho FROM k)
    UNION ALL
    SELECT j + 1, q + c * c, sqrt(1 - (q + c * c)), ((SELECT rho FROM k) - (q + c * c)) / sqrt(1 - (q + c * c))
    FROM l WHERE j < (SELECT k FROM k)),
  sets AS (
    SELECT portmargin.monte_carlo_scenarios(names, ones, ident, 4, 11) AS si,
           portmargin.monte_carlo_scenarios(names, ones, equi, 4, 11) AS sc
    FROM (SELECT array_agg('u' || lpad(i::text, 3, '0') ORDER BY i) names, array_agg(1::float8) ones FROM k, generate_series(1, k) i) n,
         (SELECT array_agg(CASE WHEN i = j THEN 1 ELSE 0 END ORDER BY i, j)::float8[] ident,
                 array_agg(CASE WHEN i = j THEN 1 ELSE rho END ORDER BY i, j)::float8[] equi
          FROM k, generate_series(1, k) i, generate_series(1, k) j) m),
  e AS (SELECT idx, substr(underlying, 2)::int u, ln(1 + price_move) e FROM sets, portmargin.joint_moves(si)),
  z AS (SELECT idx, substr(underlying, 2)::int u, ln(1 + price_move) z FROM sets, portmargin.joint_moves(sc)),
  want AS (SELECT e.idx, e.u, coalesce(sum(l.c * e.e) OVER (PARTITION BY e.idx ORDER BY e.u ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                                + l.s * e.e AS z
           FROM e JOIN l ON l.j = e.u)
SELECT ok(count(*) = 1200 AND max(abs(w.z - z.z)) < 1e-12,
          format('Monte Carlo over 300 underlyings (correlation factored by tiles): z = L e to %s, L the closed form', max(abs(w.z - z.z))))
FROM want w JOIN z USING (idx, u);

-- binary input: a text field cut before its NUL is a bad value (22P03), not a protocol error (08P01: fuzz finding)
CREATE TEMP TABLE bin_in (v portmargin.scenario_set);
SELECT NOT rolsuper AS pm_not_superuser FROM pg_catalog.pg_roles WHERE rolname = current_user \gset
\if :pm_not_superuser
SELECT skip('COPY to and from server files and programs needs a superuser (run as an application role)', 2);
\else
SELECT is(pg_temp.err($$COPY bin_in FROM PROGRAM 'printf ''PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\1\0\0\0\5\1span\377\377''' (FORMAT binary)$$),
          '22P03: invalid binary scenario_set: the text form must end with the one NUL byte of the value',
          'scenario_set binary input without the NUL -> 22P03');
DO $$
BEGIN
  EXECUTE format('COPY (SELECT portmargin.preset(''span'')) TO %L (FORMAT binary)', current_setting('data_directory') || '/pm_scenario_set.bin');
  EXECUTE format('COPY bin_in FROM %L (FORMAT binary)', current_setting('data_directory') || '/pm_scenario_set.bin');
END $$;
SELECT ok((SELECT v FROM bin_in) OPERATOR(portmargin.=) portmargin.preset('span'), 'a scenario_set round-trips through COPY BINARY');
\endif
SELECT * FROM finish();
ROLLBACK;
