-- test/deribit.sql: Deribit portfolio margin (src/method_deribit.c, the
-- deribit-btc / deribit-eth presets and rulebook 'deribit').  Every expected
-- value is either Deribit's published private/pme/simulate example
--   https://docs.deribit.com/api-reference/account-management/private-simulate
--   (response example, model_params timestamp 1718619740501 = 2024-06-17 10:22:20.501 UTC)
-- or derived by hand in the comments (closed forms; the option cases with
-- Black-76 in scipy, /usr/bin/python3, script in the comment).
-- doc/venues/deribit.md states each rule with its source.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(56);

-- =====================================================================
-- 1. The published example, with the SHIPPED parameters
-- =====================================================================
-- Account: BTC-PERPETUAL +0.314538364 and BTC-28JUN24 -0.001187534 (sizes
-- in BTC, as pme/simulate's "position"), coin-settled, index 65,666.19,
-- marks 65,910.57 and 67,371.75; the future expires 2024-06-28 08:00 UTC.
-- Published: worst_case 0.05968587238095239, roll_shock 0.00315725898,
-- delta_shock 0, correlation_contingency 0, risk_matrix_margin
-- 0.06284313098, mmp_margin 0.06, open_orders_margin 0.000018212,
-- initial_margin 0.122861343, maintenance_margin 0.050274504784.
CREATE TEMP TABLE ex (q float8, kind text, t float8, f float8);
INSERT INTO ex VALUES
  (0.314538364, 'perpetual', 0, 65910.57),
  (-0.001187534, 'future', (1719561600 - 1718619740.501) / 86400.0 / 365.0, 67371.75);
CREATE TEMP TABLE exm AS
SELECT portmargin.portfolio_margin(q, 'BTC', kind, NULL, NULL, t, f, NULL, 'inverse', 1, 65666.19,
                                   portmargin.rule_for(portmargin.rulebook_preset('deribit'), 'BTC', 'inverse')) AS m
FROM ex;

SELECT ok(portmargin.rule_for(portmargin.rulebook_preset('deribit'), 'BTC', 'inverse')
          OPERATOR(portmargin.=) portmargin.preset('deribit-btc'), 'rulebook deribit: BTC/inverse takes deribit-btc');
SELECT pg_temp.near((SELECT (m).scan_loss FROM exm), 0.05968587238095239, 1e-9, 'example: worst_case');
SELECT pg_temp.near((SELECT (m).roll_shock FROM exm), 0.00315725898, 1e-9,
  'example: roll_shock = 0.314538364 x max(0.01, 0) + 0.001187534 x max(0.01, 0.075 x 10.9 / 365)');
SELECT is((SELECT (m).futures_contingency FROM exm), 0::float8,
  'example: no offsetting-futures contingency (risk_matrix_margin = worst_case + roll_shock exactly)');
-- with neither MMP nor open-order rows our initial margin is the risk-matrix margin
SELECT pg_temp.near((SELECT (m).initial_margin FROM exm), 0.06284313098, 1e-9, 'example: risk_matrix_margin');
SELECT pg_temp.near((SELECT (m).maintenance_margin FROM exm), 0.050274504784, 1e-9,
  'example: maintenance_margin = 0.8 x risk_matrix_margin (MMP and open orders excluded)');
-- initial_margin = risk_matrix_margin + mmp_margin + open_orders_margin: MMP 3% of an MMP size of 2 BTC
-- (the example does not publish its MMP configuration: 0.06 / 0.03), open orders as published (not implemented)
SELECT pg_temp.near((SELECT (m).initial_margin FROM exm) + 0.03 * 2 + 0.000018212, 0.122861343, 1e-9,
  'example: initial_margin = risk-matrix + 3% x 2 BTC MMP size + the published open_orders_margin');

-- the example's initial_risk_vectors (per instrument, 27 standard then 8 extended entries)
SELECT pg_temp.arr_is(
  (SELECT array_agg(0.314538364 * x ORDER BY i) FROM unnest(portmargin.risk_array(portmargin.preset('deribit-btc'),
      'perpetual', NULL, NULL, 0, 65910.57, NULL, 'inverse', 1)) WITH ORDINALITY u(x, i)),
  ARRAY[-0.05991206933333334, -0.05991206933333334, -0.05991206933333334, -0.04289159509090909, -0.04289159509090909,
        -0.04289159509090909, -0.027351162086956524, -0.027351162086956524, -0.027351162086956524,
        -0.013105765166666668, -0.013105765166666668, -0.013105765166666668, 0, 0, 0,
        0.012097629384615385, 0.012097629384615385, 0.012097629384615385, 0.023299138074074074,
        0.023299138074074074, 0.023299138074074074, 0.033700538999999995, 0.033700538999999995,
        0.033700538999999995, 0.043384601931034494, 0.043384601931034494, 0.043384601931034494,
        -0.05991206933333334, -0.05991206933333334, 0.04338460193103449, 0.04338460193103449,
        0.04338460193103449, 0.04338460193103449, 0.04338460193103449, 0.04338460193103449]::float8[],
  1e-9, 'example: BTC-PERPETUAL risk vector (standard and extended, futures clamped to +/-16%)');
SELECT pg_temp.arr_is(
  (SELECT array_agg(-0.001187534 * x ORDER BY i) FROM unnest(portmargin.risk_array(portmargin.preset('deribit-btc'),
      'future', NULL, NULL, (1719561600 - 1718619740.501) / 86400.0 / 365.0, 67371.75, NULL, 'inverse', 1)) WITH ORDINALITY u(x, i)),
  ARRAY[0.0002261969523809524, 0.0002261969523809524, 0.0002261969523809524, 0.00016193645454545456,
        0.00016193645454545456, 0.00016193645454545456, 0.00010326382608695652, 0.00010326382608695652,
        0.00010326382608695652, 0.00004948058333333334, 0.00004948058333333334, 0.00004948058333333334, 0, 0, 0,
        -0.00004567438461538462, -0.00004567438461538462, -0.00004567438461538462, -0.00008796548148148148,
        -0.00008796548148148148, -0.00008796548148148148, -0.0001272357857142857, -0.0001272357857142857,
        -0.0001272357857142857, -0.00016379779310344832, -0.00016379779310344832, -0.00016379779310344832,
        0.0002261969523809524, 0.0002261969523809524, -0.0001637977931034483, -0.0001637977931034483,
        -0.0001637977931034483, -0.0001637977931034483, -0.0001637977931034483, -0.0001637977931034483]::float8[],
  1e-9, 'example: BTC-28JUN24 risk vector');
-- aggregated_risk_vectors.btc_btc.standard: the sum, gains scaled by the currency's pnl_offset (0 for
-- BTC) before aggregation (Deribit API changelog, release 13.01.2026: pre_aggregated_risk_vectors are
-- "aggregated_risk_vectors before applying the pnl_offset and extended_dampener params")
SELECT pg_temp.arr_is(
  (SELECT array_agg(least(0, 0.314538364 * a - 0.001187534 * a) ORDER BY i)
   FROM unnest(portmargin.risk_array(portmargin.preset('deribit-btc'), 'perpetual', NULL, NULL, 0, 65910.57, NULL, 'inverse', 1))
        WITH ORDINALITY u(a, i) WHERE i <= 27),
  ARRAY[-0.05968587238095239, -0.05968587238095239, -0.05968587238095239, -0.04272965863636364, -0.04272965863636364,
        -0.04272965863636364, -0.02724789826086957, -0.02724789826086957, -0.02724789826086957,
        -0.013056284583333334, -0.013056284583333334, -0.013056284583333334,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::float8[],
  1e-9, 'example: aggregated standard vector (losses kept, gains x pnl_offset 0)');

-- the same account through the rulebook aggregate with an mmp row of 2 BTC (see above): the per-unit
-- breakdown carries every field of margins.btc that is implemented
CREATE TEMP TABLE exr AS
SELECT portmargin.portfolio_margin(q, 'BTC', kind, NULL, NULL, t, f, NULL, 'inverse', 1, 65666.19, portmargin.rulebook_preset('deribit')) AS m
FROM (SELECT * FROM ex UNION ALL SELECT 2, 'mmp', NULL, NULL) x;
SELECT pg_temp.near((SELECT ((m).units[1]).scan_loss FROM exr), 0.05968587238095239, 1e-9, 'example, per unit: worst_case');
SELECT pg_temp.near((SELECT ((m).units[1]).roll_shock FROM exr), 0.00315725898, 1e-9, 'example, per unit: roll_shock');
SELECT pg_temp.near((SELECT ((m).units[1]).mmp_margin FROM exr), 0.06, 1e-9, 'example, per unit: mmp_margin = 3% x 2 BTC');
SELECT pg_temp.near((SELECT ((m).units[1]).initial_margin FROM exr) + 0.000018212, 0.122861343, 1e-9,
  'example, per unit: initial_margin = risk-matrix + MMP (+ the published open_orders_margin)');
SELECT pg_temp.near((SELECT (m).initial_margin FROM exr) + 0.000018212, 0.122861343, 1e-9, 'example: account initial_margin likewise');
SELECT pg_temp.near((SELECT ((m).units[1]).maintenance_margin FROM exr), 0.050274504784, 1e-9,
  'example, per unit: maintenance_margin without the MMP margin');
SELECT pg_temp.near((SELECT (m).maintenance_margin FROM exr), 0.050274504784, 1e-9, 'example: account maintenance_margin likewise');
SELECT ok((SELECT ((m).units[1]).delta_shock IS NULL AND ((m).units[1]).open_orders_margin IS NULL
                  AND ((m).units[1]).rule_name = 'deribit-btc' FROM exr),
          'example, per unit: delta shock not computed (NULL), no orders, rule deribit-btc');

-- open orders (portmargin's generic rule: the larger rise of the requirement if all buys or all sells
-- filled; Deribit publishes no formula) are initial margin only, as in the example (maintenance
-- 0.8 x risk_matrix_margin while initial_margin adds open_orders_margin): no position, a resting buy of
-- 1 BTC perpetual.  Filled: worst -16%: 0.16 / 0.84 = 0.19047619047619047, roll 1 x 0.01:
-- open_orders_margin = 0.20047619047619047 = initial margin; maintenance 0.
CREATE TEMP TABLE oo AS
SELECT portmargin.portfolio_margin(1, 'BTC', 'order:perpetual', NULL, NULL, 0, 100000, NULL, 'inverse', 1, 100000,
                                   portmargin.rulebook_preset('deribit')) AS m;
SELECT pg_temp.near((SELECT ((m).units[1]).open_orders_margin FROM oo), 0.16 / 0.84 + 0.01, 1e-12, 'open order: margin of the filled book');
SELECT pg_temp.near((SELECT (m).initial_margin FROM oo), 0.16 / 0.84 + 0.01, 1e-12, 'open order: in the initial margin');
SELECT is((SELECT (m).maintenance_margin FROM oo), 0::float8, 'open order: not in the maintenance margin');

-- MMP margin of a linear unit, in cash at the unit's price (no index given: its highest forward):
-- 10 SOL of MMP size, 1 SOL future (F 150, t 0.25): 0.03 x 10 x 150 = 45 USD.  Scan 150 x 0.16 = 24,
-- roll 1 x max(0.01, 0.1 x 0.25) x 150 = 3.75; IM = 24 + 3.75 + 45 = 72.75; MM = 0.8 x 27.75 = 22.2
CREATE TEMP TABLE lin AS
SELECT portmargin.portfolio_margin(q, 'SOL', kind, NULL, NULL, t, f, NULL, 'linear', 1, NULL,
                                   portmargin.deribit_scenarios(0.16, option_contingency => 0, futures_contingency => 0,
                                                                roll_move_risk => 0.1)) AS m
FROM (VALUES (1::float8, 'future', 0.25::float8, 150::float8), (10, 'mmp', NULL, NULL)) v(q, kind, t, f);
SELECT pg_temp.near((SELECT ((m).units[1]).mmp_margin FROM lin), 45, 1e-12, 'MMP, linear: 3% x 10 SOL x 150');
SELECT pg_temp.near((SELECT (m).initial_margin FROM lin), 72.75, 1e-12, 'MMP, linear: IM = 24 + 3.75 + 45');
SELECT pg_temp.near((SELECT (m).maintenance_margin FROM lin), 22.2, 1e-12, 'MMP, linear: MM = 0.8 x (24 + 3.75)');

-- =====================================================================
-- 2. The shipped parameters (doc/venues/deribit.md: values, sources, dates)
-- =====================================================================
SELECT is((SELECT array_agg(underlying || '/' || settlement || ' ' || name ORDER BY underlying)
           FROM portmargin.rules(portmargin.rulebook_preset('deribit'))),
          '{"BTC/inverse deribit-btc","ETH/inverse deribit-eth"}'::text[],
          'rulebook deribit: coin-settled BTC and ETH; no rule for linear units (pair parameters unpublished)');
SELECT is(pg_temp.err($$SELECT portmargin.rule_for(portmargin.rulebook_preset('deribit'), 'SOL', 'linear')$$) ~ '^22023',
          true, 'rulebook deribit: a USDC-settled unit has no rule (22023), it is not margined with BTC''s');
SELECT ok(portmargin.preset('deribit-btc') OPERATOR(portmargin.=)
          portmargin.deribit_scenarios(price_range => 0.16, buckets => 4, vol_range_up => 0.5, vol_range_down => 0.25,
              short_term_power => 0.3, long_term_power => 0.13, extended_factor => 1,
              option_contingency => 0, futures_contingency => 0, roll_move_risk => 0.075, roll_min_move => 0.01,
              pnl_offset => 0, max_offsetable_pnl => 0, mm_factor => 0.8, min_volatility_for_shock_up => 0.5,
              mmp_rate => 0.03),
          'deribit-btc: the API example''s btc_usd / btc parameters, no contingencies, MMP 3%');
SELECT ok(portmargin.preset('deribit-eth') OPERATOR(portmargin.=)
          portmargin.deribit_scenarios(price_range => 0.18, vol_range_up => 0.4, vol_range_down => 0.25,
              option_contingency => 0, futures_contingency => 0, roll_move_risk => 0.05, roll_min_move => 0.005,
              pnl_offset => 0.6, max_offsetable_pnl => 20000000, mm_factor => 0.8, min_volatility_for_shock_up => 0.5),
          'deribit-eth: eth_usd / eth parameters (vol up 0.4, roll 0.05 / 0.005, pnl_offset 0.6 up to 2e7)');

-- ETH by hand: short 1 ETH inverse perpetual (index 2,000) under deribit-eth.  Worst: +18%, the coin
-- loss of a short inverse future 0.18 / 1.18 = 0.15254237288135594; roll 1 x max(0.005, 0.05 x 0) = 0.005;
-- IM = 0.15754237288135594, MM = 0.8 x IM = 0.12603389830508475.  (Deribit's own response for
-- 0.999487053 ETH short, 2026-02-15: worst_case 0.15246412672881357 = 0.999487053 x 0.18 / 1.18,
-- roll_shock 0.004997435265 = 0.999487053 x 0.005, maintenance 0.8 x their sum.)
CREATE TEMP TABLE eth AS
SELECT portmargin.portfolio_margin(-1, 'ETH', 'perpetual', NULL, NULL, 0, 2000, NULL, 'inverse', 1, 2000,
                                   portmargin.rule_for(portmargin.rulebook_preset('deribit'), 'ETH', 'inverse')) AS m;
SELECT pg_temp.near((SELECT (m).scan_loss FROM eth), 0.18 / 1.18, 1e-12, 'ETH: worst case at +18%');
SELECT pg_temp.near((SELECT (m).roll_shock FROM eth), 0.005, 1e-12, 'ETH: roll shock floor 0.005');
SELECT pg_temp.near((SELECT (m).initial_margin FROM eth), 0.18 / 1.18 + 0.005, 1e-12, 'ETH: initial margin');
SELECT pg_temp.near((SELECT (m).maintenance_margin FROM eth), 0.8 * (0.18 / 1.18 + 0.005), 1e-12, 'ETH: maintenance 0.8 x');

-- =====================================================================
-- 3. Add-ons by hand
-- =====================================================================
-- roll shock above its floor: 2 ETH long in a future with t = 0.5 under deribit-eth:
-- 2 x max(0.005, 0.05 x 0.5) = 0.05 ETH
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(2, 'ETH', 'future', NULL, NULL, 0.5, 2100, NULL, 'inverse', 1, 2000,
                                                           portmargin.preset('deribit-eth'))).roll_shock), 0.05, 1e-12,
  'roll shock: 2 x max(0.005, 0.05 x 0.5) = 0.05');
-- roll shock of a linear unit in cash: 3 SOL long, t = 0.25, F = 150, roll 0.1 / 0.01 (the usd currency's):
-- 3 x max(0.01, 0.1 x 0.25) x 150 = 11.25 USD
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(3, 'SOL', 'future', NULL, NULL, 0.25, 150, NULL, 'linear', 1, NULL,
                                                           portmargin.deribit_scenarios(0.16, roll_move_risk => 0.1))).roll_shock),
  11.25, 1e-12, 'roll shock, linear: 3 x max(0.01, 0.1 x 0.25) x 150 = 11.25 USD');

-- no contingencies in the current model: offsetting futures (long 100 / short 100) and a net short strike
SELECT is((SELECT (m).futures_contingency FROM (SELECT portmargin.portfolio_margin(q, 'BTC', 'future', NULL, NULL, t, 100000, NULL,
              'inverse', 1, 100000, portmargin.preset('deribit-btc')) AS m
          FROM (VALUES (100::float8, 0.1::float8), (-100, 0.3)) v(q, t)) x), 0::float8, 'deribit-btc: futures contingency 0');
SELECT is((SELECT (m).option_contingency FROM (SELECT portmargin.portfolio_margin(-10, 'BTC', 'option', 'put', 90000, 0.1, 100000, 0.5,
              'inverse', 1, 100000, portmargin.preset('deribit-btc')) AS m) x), 0::float8, 'deribit-btc: option contingency 0');
-- the legacy contingencies stay the constructor's defaults (0.3.x's results unchanged): 10 x 0.01
SELECT pg_temp.near((SELECT (m).option_contingency FROM (SELECT portmargin.portfolio_margin(-10, 'BTC', 'option', 'put', 90000, 0.1, 100000, 0.5,
              'inverse', 1, 100000, portmargin.deribit_scenarios()) AS m) x), 0.1, 1e-12, 'deribit_scenarios(): legacy 0.01 per net short option');

-- min_volatility_for_shock_up: short 1 ATM BTC call, F = K = 100,000, vol 0.2, 30 days, coin-settled.
-- Term factor f = (30 / 30)^0.3 = 1: vol up = 0.2 x 1.5 = 0.3, floored at 0.5.  Worst: +16% vol up
-- (weight 1).  Loss = C76(116000, 100000, 30/365, vol_up) / 116000 - C76(100000, 100000, 30/365, 0.2) / 100000:
--   vol_up 0.5: 0.125403596698331;  vol_up 0.3 (no floor): 0.116430052422217
-- roll: |delta| x 0.01 with the coin delta N(d1) - C/F = 0.488564246859775 -> 0.00488564246859775.
-- (/usr/bin/python3, scipy.stats.norm: d1 = (ln F/K + vol^2 t / 2) / (vol sqrt t), C = F N(d1) - K N(d2))
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(-1, 'BTC', 'option', 'call', 100000, 30 / 365.0, 100000, 0.2, 'inverse', 1, 100000,
                                                           portmargin.preset('deribit-btc'))).scan_loss),
  0.125403596698331, 1e-9, 'min_volatility_for_shock_up 0.5: the +16% vol-up loss at vol 0.5');
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(-1, 'BTC', 'option', 'call', 100000, 30 / 365.0, 100000, 0.2, 'inverse', 1, 100000,
                                                           portmargin.deribit_scenarios(0.16, option_contingency => 0))).scan_loss),
  0.116430052422217, 1e-9, 'no floor: the +16% vol-up loss at vol 0.3');
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(-1, 'BTC', 'option', 'call', 100000, 30 / 365.0, 100000, 0.2, 'inverse', 1, 100000,
                                                           portmargin.preset('deribit-btc'))).initial_margin),
  0.125403596698331 + 0.00488564246859775, 1e-9, 'short call: IM = worst case + roll shock');
SELECT pg_temp.arr_is(portmargin.scenario_vols(portmargin.preset('deribit-btc'), 0.2, 30 / 365.0),
  ARRAY[0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.2, 0.15,
        0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.2, 0.15, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]::float8[], 1e-12,
  'scenario_vols: vol 0.2, 30 days: up max(0.3, 0.5), same 0.2, down 0.2 x 0.75');

-- the issue's naked short strangle: 5 short BTC 110,000 calls (vol 0.50) and 5 short 90,000 puts
-- (vol 0.55), 30 days, forward = index = 97,250, coin-settled, deribit-btc.  By hand (scipy, as above):
--   every scenario's P&L = sum q (V(F_j, vol_j) / F_j - V(F, vol) / F); vol up x1.5 (f = 1; above the
--   0.5 floor), down x0.75.  Worst weighted loss: the extended -66% (vol up, weight 0.16 / 0.66):
--   P&L -8.3754598767042 BTC, x 0.242424... = 2.03041451556465 BTC.  Net coin delta 0.578384909415122,
--   roll 0.01 x that = 0.00578384909415122; IM = 2.03619836465881 BTC (0.3.x: 2.13 with the 0.1 BTC
--   option contingency).  Standard table only (extended_moves '{}'): worst -16% vol up,
--   0.602744018818948; IM 0.608527867913099.  Deribit dampens the extended table (extended_dampener
--   100,000 for BTC) by a formula it does not publish: not implemented (doc/venues/deribit.md).
CREATE TEMP TABLE strangle (q float8, o text, k float8, vol float8);
INSERT INTO strangle VALUES (-5, 'call', 110000, 0.50), (-5, 'put', 90000, 0.55);
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(q, 'BTC', 'option', o, k, 30 / 365.0, 97250, vol, 'inverse', 1, 97250,
                                                           portmargin.preset('deribit-btc'))).scan_loss FROM strangle),
  2.03041451556465, 1e-9, 'strangle: the undampened extended -66% entry decides (2.0304 BTC)');
SELECT is((SELECT (portmargin.portfolio_margin(q, 'BTC', 'option', o, k, 30 / 365.0, 97250, vol, 'inverse', 1, 97250,
                                                 portmargin.preset('deribit-btc'))).worst_label FROM strangle),
  '-66% vol up (extended) x0.2424', 'strangle: worst scenario label');
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(q, 'BTC', 'option', o, k, 30 / 365.0, 97250, vol, 'inverse', 1, 97250,
                                                           portmargin.preset('deribit-btc'))).initial_margin FROM strangle),
  2.03619836465881, 1e-9, 'strangle: IM = worst case + roll shock');
SELECT pg_temp.near((SELECT (portmargin.portfolio_margin(q, 'BTC', 'option', o, k, 30 / 365.0, 97250, vol, 'inverse', 1, 97250,
                       portmargin.deribit_scenarios(0.16, extended_moves => '{}', option_contingency => 0, futures_contingency => 0,
                                                    min_volatility_for_shock_up => 0.5))).initial_margin FROM strangle),
  0.608527867913099, 1e-9, 'strangle without the extended table: 0.6085 BTC');

-- =====================================================================
-- 4. Stored forms: 0.3.x sets and text
-- =====================================================================
-- a 0.3.x text form (no min_volatility_for_shock_up / mmp_rate) parses to the 0.3.x set, whose text
-- now shows the new parameters at their defaults
SELECT ok('deribit(price_range=0.16, buckets=4, vol_range_up=0.5, vol_range_down=0.25, short_term_power=0.3, long_term_power=0.13, dte_floor=1, extended_moves={-0.66,-0.33,0.5,1,2,3,4,5}, extended_factor=1, option_contingency=0.01, futures_contingency=0.01, roll_move_risk=0.075, roll_min_move=0.01, pnl_offset=0, max_offsetable_pnl=0, mm_factor=0.8)'::portmargin.scenario_set
          OPERATOR(portmargin.=) portmargin.deribit_scenarios(), '0.3.x text form parses, equal to deribit_scenarios()');
SELECT matches(portmargin.deribit_scenarios()::text, 'mm_factor=0\.8, min_volatility_for_shock_up=0, mmp_rate=0\.03\)$',
               'text form ends with the 0.4.0 parameters');
SELECT ok((portmargin.preset('deribit-eth')::text)::portmargin.scenario_set OPERATOR(portmargin.=) portmargin.preset('deribit-eth'),
          'text round trip with the 0.4.0 parameters');
-- the 0.3.x binary form of a default set is unchanged: 15 + 1 + 8 parameters, 35 scenarios of 32 bytes
SELECT is(pg_column_size(portmargin.deribit_scenarios())
          - pg_column_size(portmargin.preset('deribit-btc')), -16,
          'a set at the 0.4.0 defaults has no tail; a preset stores two more doubles');

-- 0.3.x's 16-argument deribit_scenarios declaration over this library (before ALTER EXTENSION UPDATE):
-- the constructor reads only the arguments declared, the 0.4.0 ones at their defaults
SELECT NOT rolsuper AS pm_not_superuser FROM pg_catalog.pg_roles WHERE rolname = current_user \gset
\if :pm_not_superuser
SELECT skip('a C-language declaration needs a superuser (run as an application role)', 1);
\else
CREATE FUNCTION pg_temp.deribit_031(float8, integer, float8, float8, float8, float8, float8, float8[],
                                    float8, float8, float8, float8, float8, float8, float8, float8)
RETURNS portmargin.scenario_set AS '$libdir/portmargin', 'portmargin_deribit_scenarios' LANGUAGE C IMMUTABLE STRICT;
SELECT ok(pg_temp.deribit_031(0.2, 3, 0.4, 0.2, 0.3, 0.13, 1, '{-0.5,2}', 1, 0, 0, 0.05, 0.005, 0.6, 1e6, 0.8)
          OPERATOR(portmargin.=) portmargin.deribit_scenarios(0.2, 3, 0.4, 0.2, 0.3, 0.13, 1, '{-0.5,2}', 1, 0, 0, 0.05, 0.005, 0.6, 1e6, 0.8,
                                                              min_volatility_for_shock_up => 0, mmp_rate => 0.03),
          '0.3.1''s 16-argument declaration over the 0.4.0 library: the 0.4.0 parameters at their defaults');
\endif

-- =====================================================================
-- 5. Bad input: 22023 naming the argument and the value
-- =====================================================================
SELECT matches(pg_temp.err($$SELECT portmargin.deribit_scenarios(min_volatility_for_shock_up => -0.1)$$),
               '^22023: .*"min_volatility_for_shock_up".*-0\.1', 'negative min_volatility_for_shock_up');
SELECT matches(pg_temp.err($$SELECT portmargin.deribit_scenarios(mmp_rate => -0.03)$$),
               '^22023: .*"mmp_rate".*-0\.03', 'negative mmp_rate');
SELECT matches(pg_temp.err($$SELECT portmargin.deribit_scenarios(mmp_rate => 'NaN')$$),
               '^22023: .*"mmp_rate".*NaN', 'NaN mmp_rate');
SELECT matches(pg_temp.err($$SELECT 'deribit(mmp_rate=-1)'::portmargin.scenario_set$$),
               '^22023: .*"mmp_rate".*-1', 'text form: negative mmp_rate');
SELECT matches(pg_temp.err($$SELECT portmargin.portfolio_margin(-2, 'BTC', 'mmp', NULL, NULL, NULL, NULL, NULL, 'inverse', NULL, NULL,
                                                                 portmargin.rulebook_preset('deribit'))$$),
               '^22023: .*"quantity".*-2', 'a negative MMP size');
-- a linear unit's MMP margin needs a price (a position's forward): without one it is an error, not 0
SELECT ok(pg_temp.err($$SELECT portmargin.portfolio_margin(10, 'SOL', 'mmp', NULL, NULL, NULL, NULL, NULL, 'linear', NULL, NULL,
                                                             portmargin.preset('deribit-btc'))$$) <> 'no error',
          'an MMP size on a linear unit without a price: an error, not a margin of 0');

SELECT * FROM finish();
ROLLBACK;
