-- test/risk_array.sql: risk_array (P&L of one long contract per scenario,
-- settlement currency, gains positive) against closed forms.
-- Futures/perpetual/spot: linear multiplier * F * m, inverse multiplier * m / (1 + m),
-- clamped to [-R, R] in Deribit's extended table.  Options: the already
-- validated pricing functions (portmargin.black76_price at rate 0, tested
-- against mpmath in test/pricing_truth.sql) are the independent reference for
-- V(F, vol, t); the moves, vol rules and SPAN look-ahead are written out here
-- from the spec, not read back from the code under test.
-- an ERROR in one statement must not hide the other results: roll back just that
-- statement and go on (the plan count then reports the missing tests)
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(71);

-- scenario tables written out from the spec --------------------------------------
-- Deribit default: m_k = -0.16 + 0.04 k (k = 0..8) x (term_up, none, term_down), then
-- extended {-66,-33,50,100,200,300,400,500}% with term_up; f = (30/max(DTE,1))^p
CREATE TEMP TABLE dbm AS
SELECT 3 * k + j AS idx, -0.16 + k * 0.04 AS m, (ARRAY['up','none','down'])[j] AS vr, false AS ext
FROM generate_series(0, 8) k, generate_series(1, 3) j
UNION ALL
SELECT 27 + i::int, m, 'up', true FROM unnest('{-0.66,-0.33,0.5,1,2,3,4,5}'::float8[]) WITH ORDINALITY u(m, i);
CREATE FUNCTION pg_temp.db_vol(vr text, vol float8, t float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $f$
  SELECT vol * CASE vr WHEN 'up' THEN 1 + 0.5 * f WHEN 'down' THEN greatest(0, 1 - 0.25 * f) ELSE 1 END
  FROM (SELECT power(30 / greatest(t * 365, 1), CASE WHEN t * 365 <= 30 THEN 0.30 ELSE 0.13 END) AS f) x
$f$;
-- CME SPAN, PSR 8%, VSR 4 points
CREATE TEMP TABLE spm (idx int, m float8, dv float8);
INSERT INTO spm VALUES
  (1, 0, 0.04), (2, 0, -0.04), (3, 0.08 / 3, 0.04), (4, 0.08 / 3, -0.04), (5, -0.08 / 3, 0.04), (6, -0.08 / 3, -0.04),
  (7, 0.16 / 3, 0.04), (8, 0.16 / 3, -0.04), (9, -0.16 / 3, 0.04), (10, -0.16 / 3, -0.04),
  (11, 0.08, 0.04), (12, 0.08, -0.04), (13, -0.08, 0.04), (14, -0.08, -0.04), (15, 0.16, 0), (16, -0.16, 0);
-- FINRA equity: -15..+15% in 3% steps, no 0
CREATE TEMP TABLE tim (idx int, m float8);
INSERT INTO tim SELECT i, m FROM unnest('{-0.15,-0.12,-0.09,-0.06,-0.03,0.03,0.06,0.09,0.12,0.15}'::float8[]) WITH ORDINALITY u(m, i);

-- 1. futures, perpetuals, spot: linear --------------------------------------------
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'), 'future', NULL, NULL, 0.5, 100, NULL),
  '{-20,-10,0,10,20}', 1e-12, 'linear future F=100: F x m (option fields NULL are fine for a future)');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'), 'future', NULL, NULL, 0.5, 250, NULL, 'linear', 5),
  '{-250,-125,0,125,250}', 1e-12, 'linear future F=250 multiplier 5: 5 x 250 x m');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'), 'perpetual', NULL, NULL, 0, 250, NULL, 'linear', 5),
  '{-250,-125,0,125,250}', 1e-12, 'linear perpetual = linear future');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'), 'spot', NULL, NULL, 0, 250, NULL, 'linear', 5),
  '{-250,-125,0,125,250}', 1e-12, 'linear spot = F x m x multiplier');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'), 'future', 'call', 120, 3, 250, 0.9, 'linear', 5),
  '{-250,-125,0,125,250}', 1e-12, 'future: option_type, strike, t, vol are ignored');
-- Deribit: extended moves clamped to [-16%, +16%] for futures
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'future', NULL, NULL, 0.25, 60000, NULL),
  (SELECT array_agg(60000 * CASE WHEN ext THEN greatest(-0.16, least(0.16, m)) ELSE m END ORDER BY idx) FROM dbm), 1e-12,
  'deribit linear future F=60000: 60000 x m, extended table clamped at +/-16% (-66% -> -9600, +500% -> +9600)');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'spot', NULL, NULL, 0, 150, NULL, 'linear', 10),
  (SELECT array_agg(1500 * CASE WHEN ext THEN greatest(-0.16, least(0.16, m)) ELSE m END ORDER BY idx) FROM dbm), 1e-12,
  'deribit linear spot (multiplier 10): clamped like futures');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04), 'future', NULL, NULL, 0.25, 100, NULL),
  (SELECT array_agg(100 * m ORDER BY idx) FROM spm), 1e-12,
  'span linear future F=100: 100 x m including the unclamped +/-16% extremes');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.okx_scenarios(), 'perpetual', NULL, NULL, 0, 100, NULL),
  '{-12,-8,-4,0,4,8,12,-24,24}', 1e-12, 'okx linear perpetual F=100: MR1 moves, MR6 +/-24% (not clamped)');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.preset('finra-equity'), 'future', NULL, NULL, 0.25, 200, NULL, 'linear', 100),
  (SELECT array_agg(20000 * m ORDER BY idx) FROM tim), 1e-12, 'tims linear future F=200 x100');

-- 2. inverse futures: m / (1 + m) coin per coin of size -----------------------------
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse'),
  (SELECT array_agg(x / (1 + x) ORDER BY idx) FROM (SELECT idx, CASE WHEN ext THEN greatest(-0.16, least(0.16, m)) ELSE m END x FROM dbm) y), 1e-15,
  'deribit inverse future: m/(1+m), extended clamped');
SELECT ok(abs(a[1] - (-0.19047619047619047)) <= 1e-15 AND abs(a[25] - 0.13793103448275862) <= 1e-15
          AND abs(a[28] - (-0.19047619047619047)) <= 1e-15 AND abs(a[35] - 0.13793103448275862) <= 1e-15
          AND a[13] = 0,
          format('inverse future: -16%% -> -0.16/0.84, +16%% -> 0.16/1.16, -66%% clamped -> -0.1905, +500%% clamped -> 0.1379, 0%% -> 0 (got %s %s %s %s %s)',
                 a[1], a[25], a[28], a[35], a[13]))
FROM (SELECT portmargin.risk_array(portmargin.deribit_scenarios(), 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse') a) x;
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'perpetual', NULL, NULL, 0, 3000, NULL, 'inverse', 10),
  (SELECT array_agg(10 * x / (1 + x) ORDER BY idx) FROM (SELECT idx, CASE WHEN ext THEN greatest(-0.16, least(0.16, m)) ELSE m END x FROM dbm) y), 1e-15,
  'deribit inverse perpetual multiplier 10: 10 m/(1+m), independent of F');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.5,0.25,1}', '{0,0,0}'), 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse'),
  '{-1,0.2,0.5}', 1e-15, 'grid inverse future: -50% -> -1 coin, +25% -> 0.2, +100% -> 0.5');

-- 3. options, linear ---------------------------------------------------------------
-- grid with absolute vol shifts
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0.05,-0.05,0,0.05,-0.05}'), 'option', typ, 105, 0.25, 100, 0.3, 'linear', 50),
  (SELECT array_agg(50 * (pg_temp.b76(typ, 100 * (1 + m), 105, 0.25, 0.3 + dv) - pg_temp.b76(typ, 100, 105, 0.25, 0.3)) ORDER BY i)
   FROM unnest('{-0.2,-0.1,0,0.1,0.2}'::float8[], '{0.05,-0.05,0,0.05,-0.05}'::float8[]) WITH ORDINALITY u(m, dv, i)), 1e-12,
  format('grid linear %s K=105 F=100 t=0.25 vol 30%% x50: 50 (V(F(1+m), vol+dv) - V(F, vol))', typ))
FROM unnest('{call,put}'::text[]) typ;
-- absolute shift below zero: vol floored at 0 -> V at vol 0 = intrinsic of the forward
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{0.1}', '{-0.5}'), 'option', 'call', 100, 0.25, 100, 0.3),
  ARRAY[10 - pg_temp.b76('call', 100, 100, 0.25, 0.3)], 1e-12, 'grid: vol floored at 0 -> value max(F_j - K, 0) = 10');
-- relative vol rule
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0.5,0,-0.2}', vol_rule => 'relative'), 'option', 'put', 95, 0.5, 100, 0.4, 'linear', 10),
  (SELECT array_agg(10 * (pg_temp.b76('put', 100 * (1 + m), 95, 0.5, 0.4 * (1 + dv)) - pg_temp.b76('put', 100, 95, 0.5, 0.4)) ORDER BY i)
   FROM unnest('{-0.1,0,0.1}'::float8[], '{0.5,0,-0.2}'::float8[]) WITH ORDINALITY u(m, dv, i)), 1e-12,
  'grid relative: vol x (1 + shift)');
-- Deribit: options move the full (unclamped) extended moves, vol per term rule, t unchanged
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'option', typ, k, t, 60000, 0.6, 'linear', 1),
  (SELECT array_agg(pg_temp.b76(typ, 60000 * (1 + m), k, t, pg_temp.db_vol(vr, 0.6, t)) - pg_temp.b76(typ, 60000, k, t, 0.6) ORDER BY idx) FROM dbm), 1e-12,
  format('deribit linear %s K=%s DTE %s: V(F(1+m), vol x term multiplier) - V(F, vol), extended moves unclamped', typ, k, round((t * 365)::numeric, 6)))
FROM (VALUES ('call', 62000::float8, 7 / 365.0::float8), ('put', 55000, 7 / 365.0), ('call', 60000, 90 / 365.0),
             ('put', 60000, 0.5 / 365), ('call', 70000, 400 / 365.0)) v(typ, k, t);
-- SPAN: t' = t - 1/365, vol + dv floored at 0
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04), 'option', typ, 95, 0.1, 100, 0.25, 'linear', 50),
  (SELECT array_agg(50 * (pg_temp.b76(typ, 100 * (1 + m), 95, 0.1 - 1 / 365.0, greatest(0, 0.25 + dv)) - pg_temp.b76(typ, 100, 95, 0.1, 0.25)) ORDER BY idx) FROM spm), 1e-12,
  format('span linear %s K=95 t=0.1 x50: revalued at t - 1/365 with vol +/- 4 points', typ))
FROM unnest('{call,put}'::text[]) typ;
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04, lookahead_days => 0), 'option', 'put', 95, 0.1, 100, 0.25, 'linear', 50),
  (SELECT array_agg(50 * (pg_temp.b76('put', 100 * (1 + m), 95, 0.1, greatest(0, 0.25 + dv)) - pg_temp.b76('put', 100, 95, 0.1, 0.25)) ORDER BY idx) FROM spm), 1e-12,
  'span lookahead_days 0: t unchanged');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04, lookahead_days => 3), 'option', 'call', 105, 0.1, 100, 0.25, 'linear', 50),
  (SELECT array_agg(50 * (pg_temp.b76('call', 100 * (1 + m), 105, 0.1 - 3 / 365.0, greatest(0, 0.25 + dv)) - pg_temp.b76('call', 100, 105, 0.1, 0.25)) ORDER BY idx) FROM spm), 1e-12,
  'span lookahead_days 3: t - 3/365');
-- t < 1/365: t' = 0, the scenario value is intrinsic max(F_j - K, 0)
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04), 'option', 'call', 100, 0.5 / 365, 100, 0.3, 'linear', 50),
  (SELECT array_agg(50 * (greatest(100 * (1 + m) - 100, 0) - pg_temp.b76('call', 100, 100, 0.5 / 365, 0.3)) ORDER BY idx) FROM spm), 1e-12,
  'span: t = 0.5 day -> t'' = 0, intrinsic value in every scenario');
-- low vol: 0.03 - 0.04 floored at 0
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.span_scenarios(0.08, 0.04), 'option', 'put', 100, 0.25, 100, 0.03, 'linear', 1),
  (SELECT array_agg(pg_temp.b76('put', 100 * (1 + m), 100, 0.25 - 1 / 365.0, greatest(0, 0.03 + dv)) - pg_temp.b76('put', 100, 100, 0.25, 0.03) ORDER BY idx) FROM spm), 1e-12,
  'span: vol 3% - 4 points floored at 0');
-- TIMS: no look-ahead, vol unchanged
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.preset('finra-equity'), 'option', typ, 100, 0.25, 100, 0.3, 'linear', 100),
  (SELECT array_agg(100 * (pg_temp.b76(typ, 100 * (1 + m), 100, 0.25, 0.3) - pg_temp.b76(typ, 100, 100, 0.25, 0.3)) ORDER BY idx) FROM tim), 1e-12,
  format('tims linear %s ATM x100: 10 points at vol unchanged, t unchanged', typ))
FROM unnest('{call,put}'::text[]) typ;
-- TIMS vol shocks (relative) and OKX vol shocks
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.tims_scenarios(0.2, 0.1, points => 2, vol_down => 0.1, vol_up => 0.2), 'option', 'call', 100, 0.25, 100, 0.5),
  (SELECT array_agg(pg_temp.b76('call', 100 * (1 + m), 100, 0.25, v) - pg_temp.b76('call', 100, 100, 0.25, 0.5) ORDER BY i)
   FROM unnest('{-0.2,-0.2,-0.2,0.1,0.1,0.1}'::float8[], '{0.5,0.6,0.45,0.5,0.6,0.45}'::float8[]) WITH ORDINALITY u(m, v, i)), 1e-12,
  'tims vol shocks: vol, vol x 1.2, vol x 0.9 per point');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.okx_scenarios('{-0.1,0.1}', vol_up => 0.3, vol_down => 0.2), 'option', 'put', 3000, 0.1, 3000, 0.7),
  (SELECT array_agg(pg_temp.b76('put', 3000 * (1 + m), 3000, 0.1, v) - pg_temp.b76('put', 3000, 3000, 0.1, 0.7) ORDER BY i)
   FROM unnest('{-0.1,-0.1,-0.1,0.1,0.1,0.1,-0.24,0.24}'::float8[], '{0.7,0.91,0.56,0.7,0.91,0.56,0.7,0.7}'::float8[]) WITH ORDINALITY u(m, v, i)), 1e-12,
  'okx vol shocks: same, x1.3, x0.8 per MR1 move; MR6 +/-24% at vol unchanged');

-- 4. options, inverse: coin value V/F ------------------------------------------------
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'option', typ, k, t, 60000, 0.6, 'inverse', 1),
  (SELECT array_agg(pg_temp.b76(typ, 60000 * (1 + m), k, t, pg_temp.db_vol(vr, 0.6, t)) / (60000 * (1 + m))
                    - pg_temp.b76(typ, 60000, k, t, 0.6) / 60000 ORDER BY idx) FROM dbm), 1e-14,
  format('deribit inverse %s K=%s DTE %s: V(F_j)/F_j - V(F)/F in coin', typ, k, round((t * 365)::numeric, 6)))
FROM (VALUES ('call', 65000::float8, 30 / 365.0::float8), ('put', 50000, 30 / 365.0), ('put', 62000, 1 / 365.0), ('call', 60000, 365 / 365.0)) v(typ, k, t);
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.deribit_scenarios(), 'option', 'call', 65000, 30 / 365.0, 60000, 0.6, 'inverse', 2),
  (SELECT array_agg(2 * (pg_temp.b76('call', 60000 * (1 + m), 65000, 30 / 365.0, pg_temp.db_vol(vr, 0.6, 30 / 365.0)) / (60000 * (1 + m))
                    - pg_temp.b76('call', 60000, 65000, 30 / 365.0, 0.6) / 60000) ORDER BY idx) FROM dbm), 1e-14,
  'inverse option multiplier 2 doubles the coin P&L');
-- the published Deribit settlement (margin-methods.md section 3): a 300 call at delivery 400 is worth
-- 0.25 BTC; at t = 0 the risk array is intrinsic/F_j - intrinsic/F: grid +100% from F=200 -> 100/400 - 0
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{1,-0.5}', '{0,0}'), 'option', 'call', 300, 0, 200, 0.5, 'inverse'),
  '{0.25,0}', 1e-15, 'inverse call K=300, F=200 -> 400 at t=0: 0.25 BTC (Deribit settlement example); -> 100: 0');
SELECT pg_temp.arr_is(portmargin.risk_array(portmargin.grid_scenarios('{-0.5,1}', '{0,0}'), 'option', 'put', 300, 0, 400, 0.5, 'inverse'),
  '{0.5,0}', 1e-15, 'inverse put K=300, F=400 -> 200 at t=0: 0.5 BTC (Deribit settlement example)');

-- 5. shape ---------------------------------------------------------------------
SELECT is_empty($$SELECT name FROM portmargin.scenario_presets
                  WHERE cardinality(portmargin.risk_array(scenarios, 'option', 'call', 100, 0.25, 100, 0.3))
                        IS DISTINCT FROM portmargin.scenario_count(scenarios)$$,
                'one element per scenario, every shipped preset');
-- the unchanged scenario (move 0, vol same, no look-ahead) is worth 0
SELECT ok(abs((portmargin.risk_array(portmargin.deribit_scenarios(), 'option', 'call', 65000, 0.1, 60000, 0.6, 'inverse'))[14]) <= 1e-15
          AND abs((portmargin.risk_array(portmargin.deribit_scenarios(), 'option', 'call', 65000, 0.1, 60000, 0.6))[14]) <= 1e-10,
          'deribit scenario 14 (move 0, vol same) is 0 for options (no look-ahead)');

-- 6. errors ----------------------------------------------------------------------
CREATE TEMP TABLE bad (call text, code text, arg text);
INSERT INTO bad VALUES
  ($$portmargin.risk_array(portmargin.preset('span'), 'swap', 'call', 100, 0.25, 100, 0.3)$$, '22023', 'kind'),
  ($$portmargin.risk_array(portmargin.preset('span'), '', 'call', 100, 0.25, 100, 0.3)$$, '22023', 'kind'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 100, 0.3, 'quanto')$$, '22023', 'settlement'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 100, NULL, 'quanto')$$, '22023', 'settlement'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'straddle', 100, 0.25, 100, 0.3)$$, '22023', 'option_type'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', NULL, 100, 0.25, 100, 0.3)$$, '22004', 'option_type'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', NULL, 0.25, 100, 0.3)$$, '22004', 'strike'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, NULL, 100, 0.3)$$, '22004', 't'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 100, NULL)$$, '22004', 'vol'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 100, 0.3, 'linear', -1)$$, '22023', 'multiplier'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 100, NULL, 'linear', -50)$$, '22023', 'multiplier'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 'NaN')$$, '22023', 'multiplier'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 0, 0.3)$$, '22023', 'forward'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, -100, 0.3)$$, '22023', 'forward'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 0, NULL)$$, '22023', 'forward'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 'NaN', NULL)$$, '22023', 'forward'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.25, 'Infinity', NULL)$$, '22023', 'forward'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 0, 0.25, 100, 0.3)$$, '22023', 'strike'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'put', -5, 0.25, 100, 0.3)$$, '22023', 'strike'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'put', 'NaN', 0.25, 100, 0.3)$$, '22023', 'strike'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, -0.01, 100, 0.3)$$, '22023', 't'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 'Infinity', 100, 0.3)$$, '22023', 't'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 100, -0.2)$$, '22023', 'vol'),
  ($$portmargin.risk_array(portmargin.preset('span'), 'option', 'call', 100, 0.25, 100, 'NaN')$$, '22023', 'vol'),
  ($$portmargin.risk_array(portmargin.preset('deribit-btc'), 'spot', NULL, NULL, 0, 60000, NULL, 'inverse')$$, '22023', '(settlement|kind)');
SELECT matches(pg_temp.err('SELECT ' || call), '^' || code || ': .*\m' || arg || '\M', format('%s naming %s: %s', code, arg, call))
FROM bad ORDER BY call;

-- overflow is 22003, never a NaN or Infinity element (issue 9, point 5): the issue's call, 100 x 1e308 x move
SELECT throws_ok($$SELECT portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.1, 1e308, 0.2, 'linear', 100)$$,
                 '22003', NULL, 'risk_array of a 1e308 future, multiplier 100 -> 22003 (0.3.0 returned NaN and Infinity elements)');
SELECT throws_ok($$SELECT portmargin.risk_array(portmargin.var_scenarios('{A}', '{1e308,-0.5}'), 'future', NULL, NULL, 0.1, 100, NULL, 'linear', 1, 'A')$$,
                 '22003', NULL, 'risk_array of a joint set moving by 1e308 -> 22003');
SELECT throws_ok($$SELECT portmargin.risk_array(portmargin.preset('deribit-btc'), 'option', 'call', 1e308, 0.25, 1e308, 0.5)$$,
                 '22003', NULL, 'risk_array of an option with forward = strike = 1e308 under moves up -> 22003');
-- a large finite P&L is returned: 1e307 x 8% x multiplier 2 (SPAN's scenario 11, the +3/3 scan move) = 1.6e306
SELECT pg_temp.near((portmargin.risk_array(portmargin.preset('span'), 'future', NULL, NULL, 0.1, 1e307, NULL, 'linear', 2))[11],
                    1.6e306, 1e-15, 'a future of 1e307 x 2 under the +8% scenario: 1.6e306, finite');

SELECT * FROM finish();
ROLLBACK;
