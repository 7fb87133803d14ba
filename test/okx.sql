-- test/okx.sql: OKX portfolio margin (method okx, presets okx-*, rulebook okx).
--
-- 1. OKX's published position-builder example, reproduced with the SHIPPED
--    presets (rule_for(rulebook_preset('okx'), ...)).  Source: OKX API v5,
--    "Position builder (new)", POST /api/v5/account/position-builder, its
--    request and response example (ts 1736936801642, 15 January 2025):
--    https://www.okx.com/docs-v5/en/#trading-account-rest-api-position-builder-new
--      request: simPos -10 BTC-USDT-SWAP (avgPx 100000), 10 LTC-USDT-SWAP
--      (avgPx 8000), simAsset 100 USDT, greeksType CASH.
--      response, riskUnitData:
--        BTC: mr1 1164.4109244719994, mr6 1164.4109244720003 (pnl at +24%
--             -2328.8218489440005), mr4 19.4098073796, mr7 43.67206660410001,
--             mr2 = mr3 = mr5 = mr9 = 0, mmr 1183.8207318516002,
--             imr 1538.9669514070802, delta -9704.903689800001, markPx 97093.7
--        LTC: mr1 183.50672805719995, mr6 183.5067280572 (pnl at -36%
--             -367.0134561144), mr4 8.1562464, mr7 7.1367156, mmr
--             191.6629744572, imr 249.16186679436, delta 1019.5308, markPx 102
--      account: derivMmr 1375.4837063088003, borrowMmr 1571.064377796,
--        totalMmr 2946.5480841048, totalImr 9643.45070718144; USDT borrowImr
--        7855.32188898 on availEq -78589.37 USDT.
--    Inputs derived from the response (no other source):
--      USDT/USD = delta / (position x markPx) = 9704.9036898 / (0.1 x 97093.7)
--        = 0.99954 (LTC: 1019.5308 / (10 x 102) = 0.99954 too);
--      the index each MR1 scenario moves: P&L(-8%) = 0.1 x 0.08 x I x 0.99954
--        = 776.2739496480004 -> I = 97078.9 USDT (LTC: 10 x 0.06 x I x 0.99954
--        = 61.168909352399936 -> I = 101.9951 USDT).
--    OKX scans the index (MR1, MR6) but charges MR4 and MR7 on the cash delta
--    at the mark price: two prices for one position.  A portfolio_margin row
--    has one price (forward), so each published number is reproduced by the
--    call whose row carries the price OKX used for it: F = index x 0.99954
--    for MR1 / MR6, F = markPx x 0.99954 for MR4 / MR7; mmr = max(MR1, MR6)
--    + MR4 and imr = 1.3 x mmr then follow from those.  One call at the index
--    price alone is within 3e-6 (checked below).  MR8 (borrowing) comes from
--    a 'liability' row: the USDT liability 100 + 290.63 - 78,980 = -78,589.37
--    USDT = 78,553.2188898 USD.  The C self-test (test/c/test_numeric.c,
--    check_okx_example) reproduces every field above to 1e-8 from units that
--    hold both prices.
-- 2. Hand-derived cases per component (derivation in the comments).
-- 3. 0.3.x text forms still read; bad input: ERROR 22023 naming the argument.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(68);

-- |got - want| <= 1e-8 (absolute)
CREATE FUNCTION pg_temp.eq8(got float8, want float8, descr text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE pass boolean := got IS NOT NULL AND abs(got - want) <= 1e-8;
BEGIN
  RETURN ok(pass, descr) || CASE WHEN pass THEN '' ELSE E'\n' || diag(format('got %s, want %s', got, want)) END;
END $f$;

CREATE TEMP TABLE okx AS
SELECT portmargin.rule_for(portmargin.rulebook_preset('okx'), 'BTC', 'linear') AS btc,
       portmargin.rule_for(portmargin.rulebook_preset('okx'), 'LTC', 'linear') AS ltc;

-- one unit of the example: quantity, multiplier (contract value), price, set
CREATE FUNCTION pg_temp.unit(q float8, mult float8, f float8, s portmargin.scenario_set) RETURNS portmargin.margin
LANGUAGE sql AS $f$
  SELECT portmargin.portfolio_margin(q, 'X', 'perpetual', NULL, NULL, 0, f, NULL, 'linear', mult, NULL, s)
$f$;

CREATE TEMP TABLE ex AS
SELECT pg_temp.unit(-10, 0.01, 97078.9 * 0.99954, btc) AS btc_idx,
       pg_temp.unit(-10, 0.01, 97093.7 * 0.99954, btc) AS btc_mark,
       pg_temp.unit(10, 1, 101.9951 * 0.99954, ltc) AS ltc_idx,
       pg_temp.unit(10, 1, 102 * 0.99954, ltc) AS ltc_mark
FROM okx;

-- the shipped rulebook's rules
SELECT ok((SELECT btc FROM okx) OPERATOR(portmargin.=) portmargin.preset('okx-btc'), 'rulebook okx: BTC takes okx-btc');
SELECT ok(portmargin.rule_for(portmargin.rulebook_preset('okx'), 'ETH', 'inverse') OPERATOR(portmargin.=) portmargin.preset('okx-btc'),
          'rulebook okx: ETH (either settlement) takes okx-btc');
SELECT ok((SELECT ltc FROM okx) OPERATOR(portmargin.=) portmargin.preset('okx-mid'), 'rulebook okx: LTC takes okx-mid');
SELECT is(pg_temp.err($$SELECT portmargin.rule_for(portmargin.rulebook_preset('okx'), 'SOL', 'linear')$$) LIKE '22023:%', true,
          'rulebook okx: no rule for an underlying whose tier is not fully published (SOL) -> 22023');

-- 1. the published example: MR1 scenarios (volSame; vol shocks are not published, so volShockUp/Down equal them)
SELECT pg_temp.arr_is((SELECT array_agg(-10 * 0.01 * v ORDER BY i) FROM okx, unnest(portmargin.risk_array(btc, 'perpetual', NULL, NULL, 0, 97078.9 * 0.99954, NULL)) WITH ORDINALITY a(v, i)),
  '{1164.4109244719994,776.2739496480004,388.1369748240002,0,-388.1369748240002,-776.2739496480004,-1164.4109244719994,2328.8218489440005,-2328.8218489440005}',
  1e-12, 'example BTC: mr1Scenarios -12% .. +12% and mr6FinalResult pnl (+24%), P&L in USD');
SELECT pg_temp.arr_is((SELECT array_agg(10 * v ORDER BY i) FROM okx, unnest(portmargin.risk_array(ltc, 'perpetual', NULL, NULL, 0, 101.9951 * 0.99954, NULL)) WITH ORDINALITY a(v, i)),
  '{-183.50672805719995,-122.33781870480001,-61.168909352399936,0,61.168909352399936,122.33781870480001,183.50672805719995,-367.0134561144,367.0134561144}',
  1e-12, 'example LTC: mr1Scenarios -18% .. +18% and mr6FinalResult pnl (-36%)');
SELECT pg_temp.eq8((SELECT (btc_idx).scan_loss FROM ex), 1164.4109244719994, 'example BTC: mr1 = max(MR1, MR6) (scan)');
SELECT pg_temp.eq8((SELECT (btc_idx).scan_loss FROM ex), 1164.4109244720003, 'example BTC: mr6 = 50% x 2,328.82');
SELECT pg_temp.eq8((SELECT (btc_mark).basis_risk FROM ex), 19.4098073796, 'example BTC: mr4 = 0.2% of |cash delta| 9,704.90');
SELECT pg_temp.eq8((SELECT (btc_mark).minimum_charge FROM ex), 43.67206660410001, 'example BTC: mr7 = 0.45% of |cash delta|');
SELECT pg_temp.eq8((SELECT (btc_idx).scan_loss + (btc_mark).basis_risk FROM ex), 1183.8207318516002, 'example BTC: mmr = mr1 + mr4');
SELECT pg_temp.eq8((SELECT 1.3 * ((btc_idx).scan_loss + (btc_mark).basis_risk) FROM ex), 1538.9669514070802, 'example BTC: imr = 1.3 x mmr');
SELECT pg_temp.eq8((SELECT (ltc_idx).scan_loss FROM ex), 183.50672805719995, 'example LTC: mr1');
SELECT pg_temp.eq8((SELECT (ltc_idx).scan_loss FROM ex), 183.5067280572, 'example LTC: mr6 = 50% x 367.01');
SELECT pg_temp.eq8((SELECT (ltc_mark).basis_risk FROM ex), 8.1562464, 'example LTC: mr4 = 0.8% of |cash delta| 1,019.53');
SELECT pg_temp.eq8((SELECT (ltc_mark).minimum_charge FROM ex), 7.1367156, 'example LTC: mr7 = 0.70% of |cash delta|');
SELECT pg_temp.eq8((SELECT (ltc_idx).scan_loss + (ltc_mark).basis_risk FROM ex), 191.6629744572, 'example LTC: mmr');
SELECT pg_temp.eq8((SELECT 1.3 * ((ltc_idx).scan_loss + (ltc_mark).basis_risk) FROM ex), 249.16186679436, 'example LTC: imr');
SELECT pg_temp.eq8((SELECT (btc_idx).scan_loss + (btc_mark).basis_risk + (ltc_idx).scan_loss + (ltc_mark).basis_risk FROM ex),
                   1375.4837063088003, 'example: derivMmr = sum of the units'' mmr');
-- at one price per row (the index): MR4 and MR7 on the index-priced cash delta, 1.5e-4 (BTC) and
-- 4.8e-5 (LTC) below OKX's mark-priced one, so mmr and imr within 3e-6
SELECT pg_temp.near((SELECT (btc_idx).maintenance_margin FROM ex), 1183.8207318516002, 3e-6, 'example BTC at the index price alone: mmr within 3e-6');
SELECT pg_temp.near((SELECT (ltc_idx).initial_margin FROM ex), 249.16186679436, 3e-6, 'example LTC at the index price alone: imr within 3e-6');
SELECT is((SELECT (btc_idx).maintenance_margin < 1183.8207318516002 FROM ex), true,
          'at the index price MR4 is below OKX''s (index 97,034.24 < mark 97,049.04 USD)');

-- 1b. the example as one account under the okx rulebook (index prices; the USDT liability on the BTC unit)
CREATE TEMP TABLE acct AS
SELECT portmargin.portfolio_margin(q, u, k, NULL, NULL, 0, f, NULL, 'linear', mult, NULL, portmargin.rulebook_preset('okx')) AS m
FROM (VALUES (-10::float8, 'BTC', 'perpetual', 97078.9 * 0.99954, 0.01::float8),
             (10, 'LTC', 'perpetual', 101.9951 * 0.99954, 1),
             (78589.37 * 0.99954, 'BTC', 'liability', NULL, NULL)) v(q, u, k, f, mult);
CREATE TEMP VIEW au AS SELECT x.* FROM acct, unnest((m).units) x;
SELECT is((SELECT string_agg(underlying || ':' || rule_name, ',' ORDER BY underlying) FROM au), 'BTC:okx-btc,LTC:okx-mid',
          'account under rulebook okx: BTC under okx-btc, LTC under okx-mid');
SELECT pg_temp.eq8((SELECT scan_loss FROM au WHERE underlying = 'BTC'), 1164.4109244719994, 'account: BTC unit scan_loss = mr1');
SELECT pg_temp.eq8((SELECT extreme_move FROM au WHERE underlying = 'BTC'), 1164.4109244720003, 'account: BTC unit extreme_move = mr6');
SELECT pg_temp.eq8((SELECT borrowing FROM au WHERE underlying = 'BTC'), 1571.064377796, 'account: BTC unit borrowing = borrowMmr (2% of 78,553.22)');
SELECT pg_temp.eq8((SELECT scan_loss FROM au WHERE underlying = 'LTC'), 183.50672805719995, 'account: LTC unit scan_loss = mr1');
SELECT pg_temp.eq8((SELECT extreme_move FROM au WHERE underlying = 'LTC'), 183.5067280572, 'account: LTC unit extreme_move = mr6');
SELECT is((SELECT borrowing FROM au WHERE underlying = 'LTC'), 0::float8, 'account: LTC unit carries no liability');
SELECT is((SELECT array_agg(ARRAY[theta_decay, vega_term_structure, interest_rate]) FROM au), '{{0,0,0},{0,0,0}}'::float8[],
          'account: mr2, mr3, mr5 = 0 (no options)');
SELECT is((SELECT count(*) FROM au WHERE depeg IS NULL), 2::bigint, 'account: mr9 not computed (NULL)');
SELECT pg_temp.eq8((SELECT (m).maintenance_margin FROM acct) - (SELECT sum(maintenance_margin) FROM au), 1571.064377796,
                   'account maintenance = sum of units'' mmr + borrowMmr');
SELECT pg_temp.eq8((SELECT (m).initial_margin FROM acct) - (SELECT sum(initial_margin) FROM au), 7855.32188898,
                   'account initial = sum of units'' imr + borrowImr (10% of 78,553.22)');
SELECT pg_temp.eq8((SELECT initial_margin - 1.3 * maintenance_margin FROM au WHERE underlying = 'BTC'), 0, 'account: unit imr = 1.3 x unit mmr');
SELECT pg_temp.near((SELECT (m).maintenance_margin FROM acct), 2946.5480841048, 3e-6, 'account: totalMmr within 3e-6 at index prices');
SELECT pg_temp.near((SELECT (m).initial_margin FROM acct), 9643.45070718144, 3e-6, 'account: totalImr within 3e-6 at index prices');

-- 2. hand-derived cases (okx-btc: MR1 +/-12%, MR6 24% x 50%, MR4 5%/yr with 0.2% floor, MR7 0.45%, IMR 1.3)
CREATE FUNCTION pg_temp.m(q float8, kind text, t float8, f float8, s portmargin.scenario_set) RETURNS portmargin.margin
LANGUAGE sql AS $f$ SELECT portmargin.portfolio_margin(q, 'BTC', kind, NULL, NULL, t, f, NULL, 'linear', 1, NULL, s) $f$;
-- (a) 1 linear perpetual at 100,000: MR1 = 0.12 x 100,000 = 12,000 = MR6 (0.5 x 24,000); MR4 = 100,000 x
--     max(0.002, 0.05 x 0) = 200; MR7 = 0.0045 x 100,000 = 450; MMR = 12,200; IMR = 15,860
SELECT pg_temp.eq8((pg_temp.m(1, 'perpetual', 0, 100000, portmargin.preset('okx-btc'))).basis_risk, 200, 'MR4 perpetual: 0.2% of 100,000 (0 before 0.4.0)');
SELECT pg_temp.eq8((pg_temp.m(1, 'perpetual', 0, 100000, portmargin.preset('okx-btc'))).minimum_charge, 450, 'MR7: 0.45% of 100,000');
SELECT pg_temp.eq8((pg_temp.m(1, 'perpetual', 0, 100000, portmargin.preset('okx-btc'))).maintenance_margin, 12200, 'perpetual: MMR = 12,000 + 200');
SELECT pg_temp.eq8((pg_temp.m(1, 'perpetual', 0, 100000, portmargin.preset('okx-btc'))).initial_margin, 15860, 'perpetual: IMR = 1.3 x 12,200');
-- (b) future, 90 days: 0.05 x 90/365 = 0.012329 > 0.002: MR4 = 100,000 x 0.05 x 90/365 = 1,232.876712328767
SELECT pg_temp.eq8((pg_temp.m(1, 'future', 90/365.0, 100000, portmargin.preset('okx-btc'))).basis_risk, 100000 * 0.05 * 90 / 365.0,
                   'MR4 future 90 days: the annual rate x t above the floor');
-- (c) future, 10 days: 0.05 x 10/365 = 0.00137 < 0.002: the floor, MR4 = 200
SELECT pg_temp.eq8((pg_temp.m(1, 'future', 10/365.0, 100000, portmargin.preset('okx-btc'))).basis_risk, 200, 'MR4 future 10 days: the 0.2% floor');
-- (d) per expiry, absolute: long 1 future (t 0.5) and short 1 perpetual, F = 100: scan 0;
--     MR4 = 100 x 0.025 + 100 x 0.002 = 2.7; MR7 = 0.0045 x 200 = 0.9; MMR = 2.7
SELECT pg_temp.eq8((SELECT (portmargin.portfolio_margin(q, 'BTC', k, NULL, NULL, t, 100, NULL, 'linear', 1, NULL, portmargin.preset('okx-btc'))).maintenance_margin
                    FROM (VALUES (1::float8, 'future', 0.5::float8), (-1, 'perpetual', 0)) v(q, k, t)), 2.7,
                   'MR4 calendar spread: each expiry''s |cash delta| charged, 2.5 + 0.2');
-- (e) MR7 binding and tiered: long 400 perpetuals, short 400 futures (1 day) at 100,000: scan 0;
--     MR4 = 40,000,000 x 0.002 x 2 = 160,000 (0.05/365 < 0.002); gross 80,000,000, raw MR7 = 360,000 USD:
--     tiers 0-250,000 x1, 250,000-500,000 x2: 250,000 + 2 x 110,000 = 470,000 = MMR; IMR 611,000
CREATE TEMP TABLE e AS
SELECT portmargin.portfolio_margin(q, 'BTC', k, NULL, NULL, t, 100000, NULL, 'linear', 1, NULL, portmargin.preset('okx-btc')) AS m
FROM (VALUES (400::float8, 'perpetual', 0::float8), (-400, 'future', 1/365.0)) v(q, k, t);
SELECT pg_temp.eq8((SELECT (m).basis_risk FROM e), 160000, 'hedged book: MR4 160,000');
SELECT pg_temp.eq8((SELECT (m).minimum_charge FROM e), 470000, 'hedged book: MR7 tiered 250,000 + 2 x 110,000');
SELECT pg_temp.eq8((SELECT (m).maintenance_margin FROM e), 470000, 'hedged book: MMR = MR7 > MR1 + MR4');
SELECT pg_temp.eq8((SELECT (m).initial_margin FROM e), 611000, 'hedged book: IMR = 1.3 x 470,000');
-- (f) coin-margined (inverse) perpetual, 1 BTC at 100,000 (index 100,000): MR1 at -12% = 0.12/0.88 = 0.136364,
--     MR6 = 0.5 x 0.24/0.76 = 0.157895 BTC; MR4 = 1 x 0.002 = 0.002 BTC; MMR = 0.24/1.52 + 0.002 BTC
CREATE TEMP TABLE f AS
SELECT portmargin.portfolio_margin(1, 'BTC', 'perpetual', NULL, NULL, 0, 100000, NULL, 'inverse', 1, 100000, portmargin.preset('okx-btc')) AS m;
SELECT is((SELECT (m).currency FROM f), 'BTC', 'inverse unit in BTC');
SELECT pg_temp.eq8((SELECT (m).basis_risk FROM f), 0.002, 'inverse perpetual: MR4 0.2% of 1 BTC');
SELECT pg_temp.eq8((SELECT (m).maintenance_margin FROM f), 0.24 / 1.52 + 0.002, 'inverse perpetual: MMR = MR6 + MR4');
-- (g) okx-mid, 1 LTC perpetual at 100: MR1 18 = MR6 (0.5 x 36); MR4 0.8; MR7 0.7; MMR 18.8
SELECT pg_temp.eq8((SELECT (portmargin.portfolio_margin(1, 'LTC', 'perpetual', NULL, NULL, 0, 100, NULL, 'linear', 1, NULL, ltc)).maintenance_margin FROM okx),
                   18.8, 'okx-mid: MMR = 18 + 0.8');
SELECT pg_temp.eq8((SELECT (portmargin.portfolio_margin(1, 'LTC', 'perpetual', NULL, NULL, 0, 100, NULL, 'linear', 1, NULL, ltc)).minimum_charge FROM okx),
                   0.7, 'okx-mid: MR7 0.70%');

-- (h) MR8 on a coin-margined unit: 1 BTC inverse perpetual (F = index = 100,000) and a 2 BTC liability:
--     MR8 = 0.02 x 2 = 0.04 BTC; maintenance = 0.24/1.52 + 0.002 + 0.04; initial = 1.3 x (0.24/1.52 + 0.002) + 0.1 x 2
CREATE TEMP TABLE h AS
SELECT portmargin.portfolio_margin(q, 'BTC', k, NULL, NULL, 0, f, NULL, 'inverse', 1, 100000, portmargin.rulebook_preset('okx')) AS m
FROM (VALUES (1::float8, 'perpetual', 100000::float8), (2, 'liability', NULL)) v(q, k, f);
SELECT pg_temp.eq8((SELECT (m).units[1].borrowing FROM h), 0.04, 'MR8 inverse: 2% of 2 BTC');
SELECT pg_temp.eq8((SELECT (m).maintenance_margin FROM h), 0.24 / 1.52 + 0.002 + 0.04, 'MR8 inverse: maintenance = mmr + MR8');
SELECT pg_temp.eq8((SELECT (m).initial_margin FROM h), 1.3 * (0.24 / 1.52 + 0.002) + 0.2, 'MR8 inverse: initial = 1.3 x mmr + 10% of 2 BTC');
-- (i) a resting order: 1 linear perpetual at 100,000 and a buy order for 1 more: filled, mmr = 24,000 + 400 =
--     24,400, the order's margin 24,400 - 12,200 = 12,200; maintenance 12,200 (orders add none), initial =
--     1.3 x (12,200 + 12,200) = 31,720
CREATE TEMP TABLE o AS
SELECT portmargin.portfolio_margin(q, 'BTC', k, NULL, NULL, 0, 100000, NULL, 'linear', 1, NULL, portmargin.rulebook_preset('okx')) AS m
FROM (VALUES (1::float8, 'perpetual'), (1, 'order:perpetual')) v(q, k);
SELECT pg_temp.eq8((SELECT (m).units[1].open_orders_margin FROM o), 12200, 'order: its margin is the rise of mmr if filled');
SELECT pg_temp.eq8((SELECT (m).maintenance_margin FROM o), 12200, 'order: no maintenance margin for orders');
SELECT pg_temp.eq8((SELECT (m).initial_margin FROM o), 31720, 'order: initial = 1.3 x (mmr + order margin)');
-- (j) a unit with options: MR2, MR3, MR5 not computed (NULL)
SELECT is((SELECT ARRAY[(u).theta_decay, (u).vega_term_structure, (u).interest_rate]
           FROM (SELECT (portmargin.portfolio_margin(-1, 'BTC', 'option', 'call', 110000, 0.1, 100000, 0.5, 'linear', 1, NULL,
                                                     portmargin.rulebook_preset('okx'))).units[1] AS u) x),
          '{NULL,NULL,NULL}'::float8[], 'options: MR2, MR3, MR5 not computed (NULL)');
-- (k) a liability of an underlying the okx rulebook has no rule for: 22023
SELECT is(pg_temp.err($$SELECT portmargin.portfolio_margin(1000, 'SOL', 'liability', NULL, NULL, NULL, NULL, NULL, 'linear', NULL, NULL, portmargin.rulebook_preset('okx'))$$) LIKE '22023:%', true,
          'liability of a unit without a rule (SOL under okx) -> 22023');

-- 3. compatibility: the 0.3.x text form (no basis_minimum, borrowing_*) reads with the defaults
SELECT ok('okx(spot_moves={-0.12,-0.08,-0.04,0,0.04,0.08,0.12}, vol_up=0, vol_down=0, extreme_move=0.24, extreme_fraction=0.5, basis_move_risk=0.05, minimum_charge_rate=0, minimum_charge_tiers={0,250000,500000,1000000,2000000,3000000,4000000}, minimum_charge_multipliers={1,2,4,6,8,10,12}, imr_ratio=1.3)'::portmargin.scenario_set
          OPERATOR(portmargin.=) portmargin.okx_scenarios(), '0.3.x text form reads as okx_scenarios() (basis_minimum 0, borrowing 2% / 10%)');
SELECT ok(portmargin.okx_scenarios(basis_minimum => 0.002)::text LIKE '%basis_minimum=0.002, borrowing_mmr_rate=0.02, borrowing_imr_rate=0.1)',
          'text form names the 0.4.0 parameters');
SELECT pg_temp.eq8((pg_temp.m(1, 'perpetual', 0, 100000, portmargin.okx_scenarios())).basis_risk, 0, 'okx_scenarios() default: no MR4 floor, perpetual MR4 0 as in 0.3.x');
SELECT ok(portmargin.okx_scenarios(basis_minimum => 0.002, minimum_charge_rate => 0.0045)
          OPERATOR(portmargin.=) portmargin.preset('okx-btc'), 'okx-btc = okx_scenarios(basis_minimum 0.002, minimum_charge_rate 0.0045)');

-- 0.3.x's 10-argument okx_scenarios declaration over this library (before ALTER EXTENSION UPDATE): the
-- constructor reads only the arguments declared, the rest at their defaults
SELECT NOT rolsuper AS pm_not_superuser FROM pg_catalog.pg_roles WHERE rolname = current_user \gset
\if :pm_not_superuser
SELECT skip('a C-language declaration needs a superuser (run as an application role)', 1);
\else
CREATE FUNCTION pg_temp.okx_031(float8[], float8, float8, float8, float8, float8, float8, float8[], float8[], float8)
RETURNS portmargin.scenario_set AS '$libdir/portmargin', 'portmargin_okx_scenarios' LANGUAGE C IMMUTABLE STRICT;
SELECT ok(pg_temp.okx_031('{-0.1,0,0.1}', 0.2, 0.1, 0.3, 0.4, 0.06, 0.01, '{0,10000}', '{1,2}', 1.25)
          OPERATOR(portmargin.=) portmargin.okx_scenarios('{-0.1,0,0.1}', 0.2, 0.1, 0.3, 0.4, 0.06, 0.01, '{0,10000}', '{1,2}', 1.25),
          '0.3.1''s 10-argument declaration over the 0.4.0 library: the 0.4.0 parameters at their defaults');
\endif

-- bad input: 22023 naming the argument and value
SELECT is(pg_temp.err($$SELECT portmargin.okx_scenarios(basis_minimum => -0.001)$$) LIKE '22023: invalid value for argument "basis_minimum": -0.001%', true,
          'basis_minimum < 0 -> 22023 naming it');
SELECT is(pg_temp.err($$SELECT portmargin.okx_scenarios(borrowing_mmr_rate => 'NaN')$$) LIKE '22023: invalid value for argument "borrowing_mmr_rate": NaN%', true,
          'borrowing_mmr_rate NaN -> 22023 naming it');
SELECT is(pg_temp.err($$SELECT portmargin.okx_scenarios(borrowing_imr_rate => -1)$$) LIKE '22023: invalid value for argument "borrowing_imr_rate": -1%', true,
          'borrowing_imr_rate < 0 -> 22023 naming it');

SELECT * FROM finish();
ROLLBACK;
