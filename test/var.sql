-- test/var.sql: joint scenario sets and VaR / expected-shortfall margin.
-- Expected values are worked on paper in the comments (quantile convention
-- of Acerbi & Tasche 2002, see doc/var.md), come from closed forms (normal
-- and Student-t VaR / ES of a linear portfolio, McNeil, Frey & Embrechts,
-- QRM 2005, sec. 2.2.4; the numbers below were evaluated with scipy), or
-- are identities (contributions sum to ES, same seed = same scenarios,
-- parallel = serial).  Nothing is pasted from a run of this code.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(134);

-- ---------------------------------------------------------------------------
-- 1. VaR and ES of a P&L vector (gains positive; loss = -pnl)
-- ---------------------------------------------------------------------------
-- pnl {-1,-2,-3,-4,5}: losses 4,3,2,1,-5.  N = 5, alpha = 0.8: N(1-alpha) = 1,
-- VaR = the 2nd largest loss = 3; ES = (1 x 4 + 0 x 3) / 1 = 4.
SELECT is(portmargin.value_at_risk('{-1,-2,-3,-4,5}', 0.8), 3::float8, 'VaR 80% of 5 scenarios = 2nd largest loss');
SELECT is(portmargin.expected_shortfall('{-1,-2,-3,-4,5}', 0.8), 4::float8, 'ES 80% of 5 scenarios = largest loss');
-- losses 10..1 (pnl -10..-1), N = 10:
--   alpha 0.9:  N beta = 1   -> VaR = 2nd largest = 9,  ES = 10
--   alpha 0.95: N beta = 0.5 -> VaR = largest = 10,    ES = 0.5 x 10 / 0.5 = 10
--   alpha 0.75: N beta = 2.5 -> VaR = 3rd largest = 8, ES = (10 + 9 + 0.5 x 8) / 2.5 = 9.2
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.9), 9::float8, 'VaR 90%, N = 10');
SELECT is(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.9), 10::float8, 'ES 90%, N = 10');
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.95), 10::float8, 'VaR 95%, N = 10');
SELECT is(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.95), 10::float8, 'ES 95%, N = 10');
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.75), 8::float8, 'VaR 75%, N = 10');
SELECT pg_temp.near(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 10) i), 0.75), 9.2, 1e-15, 'ES 75%, N = 10: (10 + 9 + 0.5 x 8) / 2.5');
-- losses 100..1, N = 100 (order shuffled): 99%: N beta = 1 -> VaR = 99, ES = 100;
-- 97.5%: N beta = 2.5 -> VaR = 98, ES = (100 + 99 + 0.5 x 98) / 2.5 = 99.2
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 100) i ORDER BY (i * 37) % 101), 0.99), 99::float8, 'VaR 99%, N = 100: 2nd largest loss');
SELECT is(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 100) i ORDER BY (i * 37) % 101), 0.99), 100::float8, 'ES 99%, N = 100');
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 100) i), 0.975), 98::float8, 'VaR 97.5%, N = 100');
SELECT pg_temp.near(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 100) i), 0.975), 99.2, 1e-15, 'ES 97.5%, N = 100');
-- N = 250 at 99% (Basel backtesting window): N beta = 2.5 -> VaR = 3rd largest loss (248)
SELECT is(portmargin.value_at_risk(array(SELECT -i::float8 FROM generate_series(1, 250) i), 0.99), 248::float8, 'VaR 99%, N = 250: 3rd largest loss');
SELECT pg_temp.near(portmargin.expected_shortfall(array(SELECT -i::float8 FROM generate_series(1, 250) i), 0.99),
                    (250 + 249 + 0.5 * 248) / 2.5, 1e-15, 'ES 99%, N = 250: (250 + 249 + 0.5 x 248) / 2.5');
-- weighted: pnl {-10,-5,0,5}, probabilities {.1,.2,.3,.4}, alpha 0.8 (beta 0.2): loss 10 (p .1)
-- counted; loss 5 would bring .3 > .2 -> VaR = 5; ES = (.1 x 10 + .1 x 5) / .2 = 7.5
SELECT is(portmargin.value_at_risk('{-10,-5,0,5}', 0.8, '{0.1,0.2,0.3,0.4}'), 5::float8, 'weighted VaR');
SELECT pg_temp.near(portmargin.expected_shortfall('{-10,-5,0,5}', 0.8, '{0.1,0.2,0.3,0.4}'), 7.5, 1e-14, 'weighted ES');
-- weights are relative: x 10 changes nothing; equal weights = unweighted
SELECT pg_temp.near(portmargin.expected_shortfall('{-10,-5,0,5}', 0.8, '{1,2,3,4}'), 7.5, 1e-14, 'weights are normalised');
SELECT pg_temp.near(portmargin.expected_shortfall('{-1,-2,-3,-4,5}', 0.8, '{1,1,1,1,1}'), 4, 1e-15, 'equal weights = unweighted');
-- all gains: VaR and ES are negative (a margin floors them at 0, below)
SELECT is(portmargin.value_at_risk('{1,2,3}', 0.5), -2::float8, 'VaR of gains is negative: 2nd largest loss of {-1,-2,-3}');

-- ---------------------------------------------------------------------------
-- 2. joint scenario sets
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE js AS SELECT portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}') AS s;
SELECT is(portmargin.scenario_method(s), 'var', 'method var') FROM js;
SELECT is(portmargin.scenario_count(s), 4, 'four joint scenarios') FROM js;
SELECT is((s::text)::portmargin.scenario_set::text, s::text, 'text round trip') FROM js;
SELECT ok((s::text)::portmargin.scenario_set OPERATOR(portmargin.=) s, 'text round trip keeps the value') FROM js;
SELECT is((SELECT array_agg(price_move ORDER BY idx, underlying) FROM portmargin.joint_moves(s)),
          '{0.1,-0.05,-0.2,0.1,0.05,0.02,-0.1,-0.1}'::float8[], 'joint_moves lists moves[scenario][underlying]') FROM js;
SELECT is(portmargin.var_scenarios('{BTC,ETH}', '{0.1,-0.05,-0.2,0.1}')::text,
          portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1}}')::text, 'flat moves = 2-D moves');
-- risk_array picks the underlying's column: linear future F = 100, 1 unit: P&L = 100 x move
SELECT is(portmargin.risk_array(s, 'future', NULL, NULL, 0.25, 100, NULL, underlying => 'ETH'),
          '{-5,10,2,-10}'::float8[], 'risk_array of a joint set uses the underlying''s moves') FROM js;
SELECT matches(pg_temp.err($$SELECT portmargin.risk_array(s, 'future', NULL, NULL, 0.25, 100, NULL) FROM js$$), '^22004: .*underlying',
               'risk_array of a joint set without underlying -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.risk_array(s, 'future', NULL, NULL, 0.25, 100, NULL, underlying => 'SOL') FROM js$$), '^22023: .*"underlying".*SOL',
               'an underlying without moves -> ERROR naming it');

-- ---------------------------------------------------------------------------
-- 3. the margin aggregate with joint scenarios
-- ---------------------------------------------------------------------------
-- book: long 1 BTC future (F 100) and 2 ETH futures (F 10), linear, multiplier 1.
--   BTC P&L = 100 x {0.1,-0.2,0.05,-0.1} = {10,-20,5,-10}
--   ETH P&L =  20 x {-0.05,0.1,0.02,-0.1} = {-1,2,0.4,-2}
--   total {9,-18,5.4,-12}; losses {-9,18,-5.4,12}
-- confidence 0.5 (N beta = 2): VaR = 3rd largest loss = -5.4; ES = (18 + 12) / 2 = 15.
-- Euler: the tail scenarios 2 and 4, weight 1/2 each: BTC (20 + 10) / 2 = 15, ETH (-2 + 2) / 2 = 0.
CREATE TEMP TABLE jbook (q float8, u text, f float8);
INSERT INTO jbook VALUES (1, 'BTC', 100), (2, 'ETH', 10);
CREATE FUNCTION pg_temp.jm(s portmargin.scenario_set) RETURNS portmargin.margin LANGUAGE sql AS $f$
  SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL, s) FROM jbook
$f$;
CREATE TEMP TABLE jr AS SELECT pg_temp.jm(portmargin.with_tail(s, 0.5)) AS m FROM js;
SELECT is((m).pnl, '{9,-18,5.4,-12}'::float8[], 'joint P&L vector = sum of each underlying''s own moves') FROM jr;
SELECT is((m).var, -5.4::float8, 'VaR 50% = 3rd largest loss') FROM jr;
SELECT is((m).expected_shortfall, 15::float8, 'ES 50% = (18 + 12) / 2') FROM jr;
SELECT is((m).initial_margin, 15::float8, 'margin = ES') FROM jr;
SELECT is((m).maintenance_margin, 15::float8, 'maintenance = initial') FROM jr;
SELECT is((m).unit_margins, '{15,0}'::float8[], 'Euler contributions: BTC 15, ETH 0') FROM jr;
SELECT is((m).worst_scenario, 3, 'worst_scenario = the VaR scenario') FROM jr;
SELECT is((m).roll_shock, 0::float8, 'no grid add-ons') FROM jr;
-- statistic var at 0.75 (N beta = 1): VaR = 2nd largest loss = 12; contribution = scenario 4: BTC 10, ETH 2
SELECT is((m).initial_margin, 12::float8, 'statistic var: margin = VaR 75% = 12') FROM (SELECT pg_temp.jm(portmargin.with_tail(s, 0.75, 'var')) m FROM js) x;
SELECT is((m).unit_margins, '{10,2}'::float8[], 'statistic var: contributions = losses in the VaR scenario') FROM (SELECT pg_temp.jm(portmargin.with_tail(s, 0.75, 'var')) m FROM js) x;
-- buffer 0.25 (EMIR art. 28(1)(a)): 15 x 1.25 = 18.75, of which 3.75 buffer; contributions scale too
SELECT is((m).initial_margin, 18.75::float8, 'buffer 25%: 15 x 1.25') FROM (SELECT pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.25)) m FROM js) x;
SELECT is((m).apc_buffer, 3.75::float8, 'apc_buffer = 0.25 x 15') FROM (SELECT pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.25)) m FROM js) x;
SELECT is((m).unit_margins, '{18.75,0}'::float8[], 'contributions include the buffer') FROM (SELECT pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 0.25)) m FROM js) x;
-- a book that gains in every scenario: margin 0 (not negative)
SELECT is((m).initial_margin, 0::float8, 'all gains: margin 0')
FROM (SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL,
                                         portmargin.var_scenarios('{BTC}', '{0.1,0.2,0.3}')) m) x;
-- floor (EMIR art. 28(1)(c)): main = js at 0.5 (ES 15); floor set: BTC -50%, ETH 0 twice -> BTC loses 50,
-- total losses {50,50}: floor ES 50% = 50 > 15 -> margin 50, floor_statistic 50, worst scenario in the floor (5 or 6)
CREATE TEMP TABLE jf AS SELECT pg_temp.jm(portmargin.with_tail(portmargin.with_floor(s, portmargin.var_scenarios('{ETH,BTC}', '{{0,-0.5},{0,-0.5}}')), 0.5)) AS m FROM js;
SELECT is((m).initial_margin, 50::float8, 'floor binds: margin = floor group ES') FROM jf;
SELECT is((m).expected_shortfall, 15::float8, 'expected_shortfall reports the main group') FROM jf;
SELECT is((m).floor_statistic, 50::float8, 'floor_statistic') FROM jf;
-- the floor's two equal losses: N beta = 1, VaR = the 2nd loss in the order; among equal losses the lower
-- scenario index comes first (doc/var.md), so scenario 5 is the tail and 6 the VaR scenario (0.3.0 said 5)
SELECT is((m).worst_scenario, 6, 'worst scenario = the second of the floor''s two equal losses (lower index first)') FROM jf;
SELECT is((SELECT count(*)::int FROM portmargin.scenarios(portmargin.with_floor(s, s)) WHERE extended), 4, 'scenarios() flags the floor group') FROM js;
-- a floor below the main statistic changes nothing
SELECT is((pg_temp.jm(portmargin.with_tail(portmargin.with_floor(s, portmargin.var_scenarios('{BTC,ETH}', '{{-0.01,0}}')), 0.5))).initial_margin,
          15::float8, 'floor below: margin = main ES') FROM js;
-- stressed blend (EMIR art. 28(1)(b)), weight 0.25: base {+10%, -10%} BTC, stressed {-40%} BTC.
-- probabilities: base 0.375 each, stressed 0.25.  Long 1 BTC future F 100: losses -10 (.375), 10 (.375), 40 (.25).
-- alpha 0.8, beta 0.2: loss 40 (p .25) already exceeds beta -> VaR = 40, ES = 40.
-- alpha 0.5, beta 0.5: 40 (.25) counted; 10 (.375) exceeds -> VaR = 10, ES = (.25 x 40 + .25 x 10) / .5 = 25
CREATE TEMP TABLE jb AS SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{BTC}', '{0.1,-0.1}'),
                                                          portmargin.var_scenarios('{BTC}', '{-0.4}'), 0.25) AS s;
SELECT is((SELECT array_agg(weight ORDER BY idx) FROM portmargin.scenarios(s)), '{0.375,0.375,0.25}'::float8[], 'blend weights 0.75/2, 0.75/2, 0.25') FROM jb;
SELECT is((m).var, 40::float8, 'blend: VaR 80% = the stressed loss')
FROM (SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.with_tail(s, 0.8)) m FROM jb) x;
SELECT pg_temp.near((m).expected_shortfall, 25, 1e-14, 'blend: ES 50% = (.25 x 40 + .25 x 10) / .5')
FROM (SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.with_tail(s, 0.5)) m FROM jb) x;
-- mixed scenario sets in one group -> ERROR
SELECT matches(pg_temp.err($$SELECT portmargin.portfolio_margin(1, u, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, s)
                              FROM (VALUES ('BTC', portmargin.var_scenarios('{BTC}', '{0.1}')), ('BTC', portmargin.var_scenarios('{BTC}', '{0.2}'))) v(u, s)$$),
               '^22023: .*same scenario set', 'two joint sets in one group -> ERROR');

-- ---------------------------------------------------------------------------
-- 4. historical simulation
-- ---------------------------------------------------------------------------
-- prices: A 100, 110, 99, 99 and B 10, 10, (missing), 12 on 1-4 Jan 2024.
-- complete days: 1, 2, 4 -> simple returns A: 110/100-1 = 0.1, 99/110-1 = -0.1; B: 0, 12/10-1 = 0.2
CREATE TEMP TABLE hist (u text, d date, p float8);
INSERT INTO hist VALUES ('A','2024-01-01',100),('A','2024-01-02',110),('A','2024-01-03',99),('A','2024-01-04',99),
                        ('B','2024-01-01',10),('B','2024-01-02',10),('B','2024-01-04',12);
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx, underlying) FROM portmargin.joint_moves(
          (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), returns => 'simple') FROM hist))),
       '{0.1,0,-0.1,0.2}', 1e-15, 'historical 1-day simple moves on complete days (the gap day dropped)');
-- horizon 2, overlapping: A 1.1 x 0.9 - 1 = -0.01, B 1.0 x 1.2 - 1 = 0.2
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx, underlying) FROM portmargin.joint_moves(
          (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => 2, returns => 'simple') FROM hist))),
       '{-0.01,0.2}', 1e-15, 'horizon 2, overlapping simple returns');
-- log returns, horizon 2 with sqrt scaling: move = exp(sqrt(2) ln(P_t/P_t-1)) - 1
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx, underlying) FROM portmargin.joint_moves(
          (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), horizon => 2, scaling => 'sqrt') FROM hist))),
       ARRAY[exp(sqrt(2) * ln(1.1)) - 1, 0, exp(sqrt(2) * ln(0.9)) - 1, exp(sqrt(2) * ln(1.2)) - 1], 1e-15, 'log returns with sqrt(2) scaling');
-- lookback 1: only the last return
SELECT is((SELECT portmargin.scenario_count(portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), lookback => 1)) FROM hist), 1, 'lookback 1 -> 1 scenario');
-- a lookback longer than the history keeps it all (2147483647 once overflowed and crashed: fuzz finding)
SELECT is((SELECT portmargin.scenario_count(portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), lookback => 2147483647)) FROM hist), 2,
          'lookback 2147483647 -> every return (2 scenarios)');
-- filtered HS, lambda 0.5, returns r = 0.1, -0.1, 0.2 (input => return, simple):
--   s2_1 = mean r^2 = 0.02; s2_2 = .5 x .02 + .5 x .01 = .015; s2_3 = .5 x .015 + .5 x .01 = .0125;
--   sigma_now^2 = .5 x .0125 + .5 x .04 = .02625;  r~_t = r_t sqrt(.02625 / s2_t)
SELECT pg_temp.arr_is((SELECT array_agg(price_move ORDER BY idx) FROM portmargin.joint_moves(
          portmargin.historical_scenarios('{X,X,X}', '{2024-01-01,2024-01-02,2024-01-03}', '{0.1,-0.1,0.2}',
                                          input => 'return', returns => 'simple', ewma_lambda => 0.5))),
       ARRAY[0.1 * sqrt(0.02625 / 0.02), -0.1 * sqrt(0.02625 / 0.015), 0.2 * sqrt(0.02625 / 0.0125)], 1e-14,
       'filtered historical simulation: r_t x sigma_now / sigma_t (EWMA, lambda 0.5)');
-- the underlyings of an HS set are sorted by name; a position in A moves with column A
SELECT pg_temp.arr_is((SELECT (portmargin.portfolio_margin(1, 'A', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, s)).pnl
           FROM (SELECT portmargin.historical_scenarios(array_agg(u), array_agg(d), array_agg(p), returns => 'simple') s FROM hist) h),
          '{10,-10}', 1e-13, 'HS margin: P&L of A follows A''s history (100 x 10%, 100 x -10%)');

-- ---------------------------------------------------------------------------
-- 5. Monte Carlo: closed forms, correlations, seeds
-- ---------------------------------------------------------------------------
-- linear book w = (100, -50, 200) on three underlyings with sigma (0.02, 0.03, 0.05) and
-- C = [[1,.6,-.3],[.6,1,.2],[-.3,.2,1]], simple returns, spot F = 1:
--   s^2 = w' diag(sigma) C diag(sigma) w = 84.65, s = 9.200543462209176
--   normal: VaR99 = s z_.99 = 21.403665, ES99 = s phi(z)/(0.01) = 24.521419
--   Student t5 (unit variance): VaR99 = s sqrt(3/5) t_.99 = 23.980881, ES99 = 31.731173
--   (scipy 1.10: norm.ppf/pdf, t.ppf/pdf; ES_t = s sqrt(3/5) f_t(t_a)(5 + t_a^2) / (4 (1 - a)))
-- with 10^6 scenarios one run's standard error is about 0.2% (VaR, normal ES) and 0.55% (t ES);
-- the tolerances are about 4 standard errors.
CREATE TEMP TABLE mcbook (q float8, u text);
INSERT INTO mcbook VALUES (100, 'A'), (-50, 'B'), (200, 'C');
CREATE FUNCTION pg_temp.mcm(s portmargin.scenario_set) RETURNS portmargin.margin LANGUAGE sql AS $f$
  SELECT portmargin.portfolio_margin(q, u, 'spot', NULL, NULL, NULL, 1, NULL, 'linear', 1, NULL, s) FROM mcbook
$f$;
CREATE TEMP TABLE mcg AS SELECT pg_temp.mcm(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.02,0.03,0.05}',
    '{{1,.6,-.3},{.6,1,.2},{-.3,.2,1}}', 1000000, 20261125, returns => 'simple')) AS m;
SELECT pg_temp.near((m).var / 21.403665, 1, 0.008, 'MC Gaussian VaR99 within 0.8% of s z_0.99') FROM mcg;
SELECT pg_temp.near((m).expected_shortfall / 24.521419, 1, 0.008, 'MC Gaussian ES99 within 0.8% of the normal ES') FROM mcg;
CREATE TEMP TABLE mct AS SELECT pg_temp.mcm(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.02,0.03,0.05}',
    '{{1,.6,-.3},{.6,1,.2},{-.3,.2,1}}', 1000000, 20261126, 'student', 5, 'simple')) AS m;
SELECT pg_temp.near((m).var / 23.980881, 1, 0.01, 'MC Student t5 VaR99 within 1% of the t VaR') FROM mct;
SELECT pg_temp.near((m).expected_shortfall / 31.731173, 1, 0.025, 'MC Student t5 ES99 within 2.5% of the t ES') FROM mct;
-- contributions sum to the ES (Euler)
SELECT pg_temp.near((SELECT sum(x) FROM unnest((m).unit_margins) x), (m).expected_shortfall, 1e-12,
                    'Euler contributions of the three underlyings sum to ES') FROM mcg;
-- sample moments of 200,000 Gaussian scenarios: std within 1% of sigma, correlations within 0.01
CREATE TEMP TABLE mcm AS
SELECT idx, max(price_move) FILTER (WHERE underlying = 'A') a, max(price_move) FILTER (WHERE underlying = 'B') b,
       max(price_move) FILTER (WHERE underlying = 'C') c
FROM portmargin.joint_moves(portmargin.monte_carlo_scenarios('{A,B,C}', '{0.02,0.03,0.05}', '{{1,.6,-.3},{.6,1,.2},{-.3,.2,1}}',
                                                             200000, 99, returns => 'simple')) GROUP BY idx;
SELECT ok(abs(stddev(a) / 0.02 - 1) < 0.01 AND abs(stddev(b) / 0.03 - 1) < 0.01 AND abs(stddev(c) / 0.05 - 1) < 0.01,
          'MC sample standard deviations within 1% of the vols') FROM mcm;
SELECT ok(abs(corr(a, b) - 0.6) < 0.01 AND abs(corr(a, c) + 0.3) < 0.01 AND abs(corr(b, c) - 0.2) < 0.01,
          'MC sample correlations within 0.01 of the matrix') FROM mcm;
-- log returns: move = exp(sigma z) - 1, so E[move] = exp(sigma^2 / 2) - 1 (5.0e-4 for sigma 0.05 vs 0 for simple)
SELECT ok(abs(avg(price_move) - (exp(0.05 ^ 2 / 2) - 1)) < 4 * 0.05 / sqrt(200000), 'log-return moves have mean exp(sigma^2/2) - 1')
FROM portmargin.joint_moves(portmargin.monte_carlo_scenarios('{C}', '{0.05}', '{{1}}', 200000, 5));
-- the same seed gives the same scenarios; another seed others
SELECT is(md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 1000, 7)::text),
          md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 1000, 7)::text), 'same seed, same scenarios');
SELECT isnt(md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 1000, 7)::text),
            md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 1000, 8)::text), 'other seed, other scenarios');
-- generated inside parallel workers: byte-identical to the serial ones
CREATE TEMP TABLE seeds AS SELECT g AS seed FROM generate_series(1, 40) g;
ANALYZE seeds;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE par AS SELECT seed, md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 500, seed)::text) h FROM seeds;
SET max_parallel_workers_per_gather = 0;
SELECT is((SELECT count(*)::int FROM par p WHERE h = md5(portmargin.monte_carlo_scenarios('{A,B}', '{0.02,0.03}', '{{1,.5},{.5,1}}', 500, p.seed)::text)),
          40, 'scenarios generated in a parallel query = generated serially (40 seeds)');
RESET max_parallel_workers_per_gather;

-- a larger random book: parallel aggregate = serial aggregate; ES = ES of the P&L vector
SELECT setseed(0.77);
CREATE TEMP TABLE vb AS
SELECT (g % 200) AS acct, (ARRAY['A','B','C'])[1 + (g % 3)] AS u, CASE WHEN random() < 0.5 THEN 'future' ELSE 'option' END AS kind,
       CASE WHEN random() < 0.5 THEN 'call' ELSE 'put' END AS otype, 80 + 40 * random() AS k, 0.05 + random() AS t,
       round((random() * 20 - 10)::numeric, 1)::float8 AS q
FROM generate_series(1, 20000) g;
ANALYZE vb;
CREATE TEMP TABLE vset AS SELECT portmargin.monte_carlo_scenarios('{A,B,C}', '{0.05,0.08,0.1}', '{{1,.6,-.3},{.6,1,.2},{-.3,.2,1}}', 2000, 3) s;
CREATE FUNCTION pg_temp.vrun(w int) RETURNS TABLE (acct int, m portmargin.margin) LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('SET LOCAL max_parallel_workers_per_gather = %s', w);
  RETURN QUERY SELECT vb.acct, portmargin.portfolio_margin(q, u, kind, otype, k, t, 100, 0.6, 'linear', 1, NULL, (SELECT s FROM vset))
               FROM vb GROUP BY vb.acct;
END $f$;
SET parallel_setup_cost = 0; SET min_parallel_table_scan_size = 0;
CREATE TEMP TABLE v0 AS SELECT * FROM pg_temp.vrun(0);
CREATE TEMP TABLE v2 AS SELECT * FROM pg_temp.vrun(2);
SELECT is((SELECT count(*)::int FROM v0 JOIN v2 USING (acct)
           WHERE abs((v0.m).initial_margin - (v2.m).initial_margin) <= 1e-9 * greatest(1, abs((v0.m).initial_margin))), 200,
          'VaR margin: 2 parallel workers = serial for 200 accounts (1e-9)');
SELECT is((SELECT count(*)::int FROM v0 WHERE abs((m).expected_shortfall - portmargin.expected_shortfall((m).pnl, 0.99)) <= 1e-9 * greatest(1, abs((m).expected_shortfall))),
          200, 'the aggregate''s ES = expected_shortfall() of its own P&L vector');
SELECT is((SELECT count(*)::int FROM v0 WHERE abs((SELECT sum(x) FROM unnest((m).unit_margins) x) - (m).initial_margin) <= 1e-9 * greatest(1, (m).initial_margin)),
          200, 'contributions sum to the margin in every account');
-- the state round trip: merge of shards = one pass
SELECT is((SELECT count(*)::int FROM (
             SELECT acct, portmargin.finalize_margin(portmargin.merge_margin_states(st)) r FROM (
               SELECT acct, (g % 2) AS shard, portmargin.portfolio_margin_state(q, u, kind, otype, k, t, 100, 0.6, 'linear', 1, NULL, (SELECT s FROM vset)) st
               FROM (SELECT *, row_number() OVER () g FROM vb) b GROUP BY acct, g % 2) x GROUP BY acct) y
           JOIN v0 USING (acct) WHERE abs((r).initial_margin - (v0.m).initial_margin) <= 1e-9 * greatest(1, (v0.m).initial_margin)), 200,
          'VaR margin: merge_margin_states of two shards = one pass');

-- two joint sets on interleaved rows, grouped by set: each group = the set alone
CREATE TEMP TABLE two_sets AS
SELECT 'a' AS name, portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02},{-0.1,-0.1}}', confidence => 0.5) AS s
UNION ALL SELECT 'b', portmargin.var_scenarios('{BTC,ETH}', '{{-0.3,0.1},{0.2,0.2}}', confidence => 0.5);
SELECT is((SELECT array_agg(round((m).initial_margin::numeric, 9) ORDER BY name) FROM (
             SELECT t.name, portmargin.portfolio_margin(b.q, b.u, 'future', NULL, NULL, 0.25, b.f, NULL, 'linear', 1, NULL, t.s) m
             FROM (SELECT * FROM jbook, generate_series(1, 3) g) b CROSS JOIN two_sets t GROUP BY t.name) x),
          (SELECT array_agg(round((pg_temp.jm(s)).initial_margin::numeric * 3, 9) ORDER BY name) FROM two_sets),
          'interleaved rows of two joint sets, grouped by set = each set alone (x3 positions)');

-- a stored (compressed) joint set alternating with a grid set in sorted grouping: each group uses its own set
-- (the stored-form cache once kept the joint set's bytes after a grid set replaced it: fuzz finding)
CREATE TEMP TABLE alt_sets AS SELECT * FROM (VALUES ('a', portmargin.preset('deribit-btc')),
  ('b', portmargin.monte_carlo_scenarios('{BTC,ETH}', '{0.04,0.05}', '{{1,0.5},{0.5,1}}', 300, 7))) v(name, sc);
CREATE TEMP TABLE alt_pos AS SELECT * FROM (VALUES (1, 1.0::float8, 'BTC'), (1, -1.0, 'ETH'), (2, 1.0, 'BTC'), (3, -2.0, 'BTC')) v(acct, q, u);
SET enable_hashagg = off;
CREATE TEMP TABLE alt_both AS SELECT acct, name, (portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.1, 100, 0.5, 'linear', 1, 100, sc)).initial_margin AS im
FROM alt_pos, alt_sets GROUP BY acct, name;
RESET enable_hashagg;
SELECT is((SELECT count(*)::int FROM alt_both b WHERE b.im = (SELECT (portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.1, 100, 0.5, 'linear', 1, 100, sc)).initial_margin
                                                             FROM alt_pos p, alt_sets s WHERE p.acct = b.acct AND s.name = b.name)), 6,
          'sorted grouping over a stored joint set and a grid set: every group = that set alone');

-- a joint-set margin_state (weights, groups and hash, not moves) reads back; every truncation is an ERROR
CREATE TEMP TABLE vst AS SELECT portmargin.portfolio_margin_state(q, u, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL,
    portmargin.with_floor(portmargin.blend_scenarios(portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02}}'),
                                                     portmargin.var_scenarios('{ETH,BTC}', '{{0.1,-0.3}}'), 0.3),
                          portmargin.var_scenarios('{BTC,ETH}', '{{-0.5,0.2}}'))) AS st
FROM jbook v(q, u, f);
SELECT is(to_json(portmargin.finalize_margin((st::text)::portmargin.margin_state))::text,
          to_json(pg_temp.jm(portmargin.with_floor(portmargin.blend_scenarios(portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02}}'),
                                                     portmargin.var_scenarios('{ETH,BTC}', '{{0.1,-0.3}}'), 0.3),
                          portmargin.var_scenarios('{BTC,ETH}', '{{-0.5,0.2}}'))))::text,
          'joint-set margin_state through text = portfolio_margin') FROM vst;
SELECT is((SELECT count(*)::int FROM vst, generate_series(0, length(st::text) - 1) n
           WHERE pg_temp.err(format('SELECT portmargin.finalize_margin(%L::portmargin.margin_state)', left(st::text, n))) = 'no error'), 0,
          'every truncation of a joint-set margin_state raises an ERROR');

-- ---------------------------------------------------------------------------
-- 6. bad input: ERROR 22023 naming the argument (22004 for NULL)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE bad (q text, code text, arg text);
INSERT INTO bad VALUES
  ($$SELECT portmargin.value_at_risk('{1,2}', 1)$$, '22023', 'confidence'),
  ($$SELECT portmargin.value_at_risk('{1,2}', 0)$$, '22023', 'confidence'),
  ($$SELECT portmargin.expected_shortfall('{1,2}', 'NaN')$$, '22023', 'confidence'),
  ($$SELECT portmargin.value_at_risk('{}', 0.9)$$, '22023', 'pnl'),
  ($$SELECT portmargin.value_at_risk('{1,NaN}', 0.9)$$, '22023', 'pnl'),
  ($$SELECT portmargin.value_at_risk('{1,2}', 0.9, '{1}')$$, '22023', 'weights'),
  ($$SELECT portmargin.var_scenarios('{A}', '{0.1}', confidence => 1.5)$$, '22023', 'confidence'),
  ($$SELECT portmargin.var_scenarios('{A,B}', '{0.1,0.2,0.3}')$$, '22023', 'moves'),
  ($$SELECT portmargin.var_scenarios('{A,A}', '{0.1,0.2}')$$, '22023', 'underlyings'),
  ($$SELECT portmargin.var_scenarios('{A}', '{-1.5}')$$, '22023', 'moves'),
  ($$SELECT portmargin.var_scenarios('{A}', '{0.1}', statistic => 'cvar')$$, '22023', 'statistic'),
  ($$SELECT portmargin.historical_scenarios('{A}', '{2024-01-01}', '{100}', horizon => 0)$$, '22023', 'horizon'),
  ($$SELECT portmargin.historical_scenarios('{}', '{}', '{}')$$, '22023', 'underlyings'),
  ($$SELECT portmargin.historical_scenarios('{A}', '{2024-01-01}', '{100}')$$, '22023', 'days'),
  ($$SELECT portmargin.historical_scenarios('{A,A}', '{2024-01-01,2024-01-02}', '{100,NaN}')$$, '22023', 'vals'),
  ($$SELECT portmargin.historical_scenarios('{A,A}', '{2024-01-01,2024-01-01}', '{100,101}')$$, '22023', 'days'),
  ($$SELECT portmargin.historical_scenarios('{A,A}', '{2024-01-01,2024-01-02}', '{100,101}', ewma_lambda => 1)$$, '22023', 'ewma_lambda'),
  ($$SELECT portmargin.historical_scenarios('{A,A}', '{2024-01-01,2024-01-02}', '{100,101}', confidence => 0)$$, '22023', 'confidence'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.1,0.1}', '{{1,0.5,0},{0.5,1,0}}', 10)$$, '22023', 'correlation'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.1,0.1}', '{{1,0.5},{0.4,1}}', 10)$$, '22023', 'correlation'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.1,0.1}', '{{0.9,0.5},{0.5,1}}', 10)$$, '22023', 'correlation'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B,C}', '{0.1,0.1,0.1}', '{{1,.9,-.9},{.9,1,.9},{-.9,.9,1}}', 10)$$, '22023', 'correlation'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.1}', '{{1,0.5},{0.5,1}}', 10)$$, '22023', 'vols'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.1,NaN}', '{{1,0.5},{0.5,1}}', 10)$$, '22023', 'vols'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A}', '{0.1}', '{{1}}', 10, 1, 'student', 2)$$, '22023', 'df'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A}', '{0.1}', '{{1}}', 0)$$, '22023', 'n'),
  ($$SELECT portmargin.monte_carlo_scenarios('{A}', '{0.1}', '{{1}}', 10, 1, 'clayton')$$, '22023', 'copula'),
  ($$SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{A}', '{0.1}'), portmargin.var_scenarios('{A}', '{0.2}'), 1.5)$$, '22023', 'stressed_weight'),
  ($$SELECT portmargin.blend_scenarios(portmargin.var_scenarios('{A}', '{0.1}'), portmargin.var_scenarios('{B}', '{0.2}'), 0.3)$$, '22023', 'stressed'),
  ($$SELECT portmargin.with_floor(portmargin.preset('span'), portmargin.var_scenarios('{B}', '{0.2}'))$$, '22023', 'scenarios'),
  ($$SELECT portmargin.with_tail(portmargin.var_scenarios('{A}', '{0.1}'), 0.99, 'es', -0.25)$$, '22023', 'buffer'),
  ($$SELECT portmargin.value_at_risk('{{1,2},{3,4}}', 0.5)$$, '22023', 'pnl');
SELECT matches(pg_temp.err(q), '^' || code || ': .*"' || arg || '"', format('%s -> ERROR %s naming "%s"', left(q, 60), code, arg))
FROM bad ORDER BY q;
-- a tail smaller than one scenario: ES is the largest loss, not NaN (N beta = 1e-9 was once snapped to 0: fuzz finding)
SELECT is(portmargin.expected_shortfall('{1}', 0.999999999), -1::float8, 'ES with N(1 - confidence) << 1 = the largest loss');
-- a margin_state whose method does not match its parameters is rejected (a tims state relabelled span)
SELECT matches(pg_temp.err(format('SELECT portmargin.finalize_margin(%L::portmargin.margin_state)',
                 overlay((SELECT portmargin.portfolio_margin_state(1, 'X', 'future', NULL, NULL, 0.1, 100, NULL, 'linear', 1, NULL,
                                                                   portmargin.tims_scenarios(0.2, 0.1, 4)))::text placing '0001' from 7 for 4))),
               '^22P03: .*does not match', 'margin_state with the method bytes changed -> ERROR 22P03');
SELECT matches(pg_temp.err($$SELECT ''::portmargin.margin_state$$), '^22P03: invalid portfolio margin state', 'empty margin_state -> ERROR 22P03');

-- ---------------------------------------------------------------------------
-- 7. the tail: ties, accuracy, overflow (issue 9 points 2 and 5)
-- ---------------------------------------------------------------------------
-- ties, equal weights: long 1 BTC and 1 ETH future at F = 100; moves (BTC, ETH) are binary fractions so
-- every P&L is exact: s1 (-1/8, 0) loses 12.5 (all BTC), s2 (0, -1/8) loses 12.5 (all ETH), s3 (1/16, 1/16)
-- gains 12.5, s4 (1/8, 1/8) gains 25.  At 75%, N beta = 1: VaR = the 2nd loss in the order.  Larger loss
-- first, then lower index: s1, s2, s3, s4 -> the tail is s1 (weight 1), VaR scenario s2 (weight 0);
-- ES = 12.5, contributions BTC 12.5, ETH 0.  (0.3.0's gsl_sort_largest_index ordered the two tied
-- losses s2, s1: ETH 12.5, BTC 0, worst scenario 1.)
CREATE TEMP TABLE tbook (q float8, u text);
INSERT INTO tbook VALUES (1, 'BTC'), (1, 'ETH');
CREATE FUNCTION pg_temp.tm(s portmargin.scenario_set) RETURNS portmargin.margin LANGUAGE sql AS $f$
  SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, s) FROM tbook
$f$;
CREATE TEMP TABLE tie_sets AS
SELECT 'equal' AS name, portmargin.var_scenarios('{BTC,ETH}', '{{-0.125,0},{0,-0.125},{0.0625,0.0625},{0.125,0.125}}', confidence => 0.75) AS s
UNION ALL
-- the same scenarios with weights 0.5,0.5,0.5,1 (p = .2,.2,.2,.4), confidence 0.8 (beta = 0.19999999999999996):
-- s1: 0.2 <= beta (1 + 1e-12), counted; s2: 0.4 passes -> VaR scenario s2, w = max(0, beta - 0.2) = 0;
-- ES = 0.2 x 12.5 / beta = 12.500000000000002 (all in BTC)
SELECT 'weighted', portmargin.var_scenarios('{BTC,ETH}', '{{-0.125,0},{0,-0.125},{0.0625,0.0625},{0.125,0.125}}',
                                            weights => '{0.5,0.5,0.5,1}', confidence => 0.8)
UNION ALL
-- nine scenarios that all lose 12.5 exactly: BTC moves -(128 - j) / 1024, ETH -j / 1024 in scenario j (1..9),
-- so BTC loses 12.5 - 100 j / 1024 and ETH 100 j / 1024 (binary fractions: exact); weights 3,1,2,1,3,1,2,1,3
-- quarters (sum 17/4, so p = 3/17, 1/17, ...); at 80% (beta 0.2): scenario 1 counts 3/17 < beta, scenario 2 brings 4/17 > beta -> VaR
-- scenario 2; tail weights (3/17) / beta and w / beta, w = beta - 3/17; ETH's contribution
-- ((3/17) 100/1024 + w 200/1024) / beta, BTC's 12.5 minus that
SELECT 'weighted nine', portmargin.var_scenarios('{BTC,ETH}',
         array(SELECT ARRAY[-(128 - j) / 1024.0::float8, -j / 1024.0::float8] FROM generate_series(1, 9) j),
         weights => '{0.75,0.25,0.5,0.25,0.75,0.25,0.5,0.25,0.75}', confidence => 0.8);
SELECT is((pg_temp.tm(s)).worst_scenario, 2, 'tie, equal weights: the VaR scenario is the second of two equal losses') FROM tie_sets WHERE name = 'equal';
SELECT is((pg_temp.tm(s)).unit_margins, '{12.5,0}'::float8[], 'tie, equal weights: the tail is the lower-index scenario (all BTC)') FROM tie_sets WHERE name = 'equal';
SELECT is((pg_temp.tm(portmargin.with_tail(s, 0.75, 'var'))).unit_margins, '{0,12.5}'::float8[],
          'tie, statistic var: contributions = the VaR scenario s2 (all ETH)') FROM tie_sets WHERE name = 'equal';
SELECT is((pg_temp.tm(s)).worst_scenario, 2, 'tie, weighted: VaR scenario s2') FROM tie_sets WHERE name = 'weighted';
SELECT pg_temp.arr_is((pg_temp.tm(s)).unit_margins, ARRAY[0.2 * 12.5 / (1 - 0.8::float8), 0], 1e-15,
                      'tie, weighted: the tail is s1 (all BTC)') FROM tie_sets WHERE name = 'weighted';
SELECT is((pg_temp.tm(s)).worst_scenario, 2, 'nine tied losses, weighted: VaR scenario 2 (lower index first)') FROM tie_sets WHERE name = 'weighted nine';
SELECT pg_temp.arr_is((pg_temp.tm(s)).unit_margins,
                      ARRAY[12.5 - eth, eth], 1e-14, 'nine tied losses, weighted: contributions of scenarios 1 and 2')
FROM tie_sets, LATERAL (SELECT (3 / 17.0::float8 * 100 / 1024 + ((1 - 0.8::float8) - 3 / 17.0::float8) * 200 / 1024) / (1 - 0.8::float8) AS eth) e
WHERE name = 'weighted nine';
-- the same scenarios listed in another order give the same VaR and ES; the VaR scenario follows the rule
SELECT is((pg_temp.tm(portmargin.var_scenarios('{BTC,ETH}', '{{0.125,0.125},{0,-0.125},{0.0625,0.0625},{-0.125,0}}', confidence => 0.75))).unit_margins,
          '{0,12.5}'::float8[], 'tie, equal weights, scenarios reordered: the tail is now the ETH loss (lower index)');

-- accuracy and overflow: test/fixtures/tail_cases.csv holds VaR and ES of 18 vectors computed exactly with
-- Python fractions from the definitions (test/fixtures/gen_tail.py): VaR exact; ES within
-- 4 ulp(ES) + n 2^-100 x the sum of |terms| (compensated summation).  The first case, 1e16 and 499 ones,
-- is (1e16 + 499) / 500 = 20000000000000.998; 0.3.0's ordered sum lost every 1 (2e13: 256 ulp off).
CREATE TEMP TABLE tail_fx (name text, confidence float8, pnl float8[], weights float8[], var float8, es float8, abs_terms float8);
\copy tail_fx FROM 'test/fixtures/tail_cases.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE tail_got AS
SELECT name, var, es, abs_terms, cardinality(pnl) AS n,
       portmargin.value_at_risk(pnl, confidence, weights) AS got_var,
       portmargin.expected_shortfall(pnl, confidence, weights) AS got_es
FROM tail_fx;
SELECT is((SELECT count(*)::int FROM tail_got), 18, 'tail fixture: 18 cases');
SELECT is((SELECT string_agg(name, '; ') FROM tail_got WHERE got_var IS DISTINCT FROM var), NULL,
          'tail fixture: VaR = the exact order statistic in every case');
SELECT is((SELECT string_agg(format('%s: got %s, want %s', name, got_es, es), '; ') FROM tail_got
           WHERE NOT abs(got_es - es) <= 4 * 2 ^ (floor(ln(greatest(abs(es), 1e-300)) / ln(2)) - 52) + n * 2 ^ -100 * abs_terms),
          NULL, 'tail fixture: ES within 4 ulp + n 2^-100 sum |terms| of the exact value in every case');
SELECT is(portmargin.expected_shortfall('{1e308,1e308}', 1e-15), -1e308::float8,
          'expected_shortfall({1e308,1e308}, 1e-15) = -1e308 (was -Infinity: the sum overflowed)');
-- losses 2, 1, -3 with p = 1/3 each, beta 0.5: 2 counted (1/3), 1 passes -> VaR 1, w = 1/6,
-- ES = (2/3 + 1/6) / 0.5 = 5/3, as without weights ((2 + 0.5 x 1) / 1.5)
SELECT pg_temp.near(portmargin.expected_shortfall('{-1,-2,3}', 0.5, '{1e308,1e308,1e308}'), 5 / 3.0, 1e-15,
                    'weights of 1e308 are equal weights (their sum overflowed in 0.3.0): ES 50% = 5/3');
-- two losses of the largest double, weights 1 and 2, at 0.2%: the mean of equal losses is that loss; rounding of
-- the weighted sum once carried it past the double range (Infinity)
SELECT is(portmargin.expected_shortfall('{-1.7976931348623157e308,-1.7976931348623157e308}', 0.002, '{1,2}'),
          1.7976931348623157e308::float8, 'ES of equal losses at the top of the double range = that loss (never Infinity)');
-- the account's P&L overflows (1e307 x 10 x 2 in scenario 3, in both units): ERROR 22003 naming the scenario
-- (0.3.0 returned margin 0 with P&L {0,0,Infinity})
SELECT matches(pg_temp.err($$SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL,
                                portmargin.var_scenarios('{A,B}', '{{0.1,0.1},{-0.1,-0.1},{0.2,-0.2}}', confidence => 0.5))
                              FROM (VALUES (1e307::float8, 'A'), (-1e307::float8, 'B')) v(q, u)$$),
               '^22003: .*P&L in joint scenario 3 is out of range', 'an overflowed account P&L -> ERROR 22003 naming the scenario');
-- a buffer of 1e308 on an ES of 15 overflows the margin: ERROR 22003 naming the field (was "portfolio_margin is out of range")
SELECT matches(pg_temp.err($$SELECT pg_temp.jm(portmargin.with_tail(s, 0.5, 'es', 1e308)) FROM js$$),
               '^22003: portfolio_margin: initial_margin is out of range', 'an overflowed margin -> ERROR 22003 naming initial_margin');
-- a large vector completes (no timing here: bench/var_cancel.sh measures; 0.3.0 took minutes)
SELECT is(portmargin.value_at_risk(array(SELECT -(i % 1000)::float8 FROM generate_series(1, 1000000) i), 0.5), 499::float8,
          'VaR 50% of 1,000,000 losses 0..999 (1000 times each) = 499');

-- ---------------------------------------------------------------------------
-- 8. offsetting positions cancel exactly, whatever the row or merge order (issue 9 point 8)
-- ---------------------------------------------------------------------------
-- state P holds calls K = 101.37 (+1), 97.13 (+3), 111.1 (+2); Q and R hold -1 x 101.37 and -3 x 97.13, -2 x 111.1:
-- the book is flat, so every scenario P&L and the margin are exactly 0.  Adding quantity x P&L vector per row
-- left 2.7e-15 under SPAN and 3.6e-15 in two of the joint set's 16 moves (-16% to +14%) when P's rows came
-- first (P's sum rounded, then Q and R subtracted).  With a joint
-- set positions are now netted per instrument before any vector is added: exactly 0 in every row order.  The
-- grid methods still add per row (cheaper for 16-35 scenarios): within n 2^-53 x the sum over the n positions
-- of |quantity x risk array| per scenario (products and additions each round once; doc/var.md).
CREATE TEMP TABLE flat (st text, q float8, k float8);
INSERT INTO flat VALUES ('P', 1, 101.37), ('P', 3, 97.13), ('P', 2, 111.1), ('Q', -1, 101.37), ('R', -3, 97.13), ('R', -2, 111.1);
CREATE TEMP TABLE flat_sets AS
SELECT 'span' AS name, portmargin.preset('span') AS s
UNION ALL SELECT 'var', portmargin.var_scenarios('{BTC}', array(SELECT ARRAY[(j - 8) / 50.0] FROM generate_series(0, 15) j), confidence => 0.5);
CREATE TEMP TABLE flat_m AS
SELECT name, ord, portmargin.portfolio_margin(q, 'BTC', 'option', 'call', k, 0.1, 103.7, 0.63, 'linear', 1, NULL, s ORDER BY o) AS m
FROM flat_sets, (VALUES ('states P, Q, R'), ('strike, then quantity')) v(ord),
     LATERAL (SELECT f.*, CASE WHEN ord = 'states P, Q, R' THEN st ELSE to_char(k, '000.00') || to_char(q, 'S0') END AS o FROM flat f) x
GROUP BY name, ord;
SELECT is((SELECT string_agg(format('%s: %s %s', ord, (m).initial_margin, (m).pnl), '; ') FROM flat_m
           WHERE name = 'var' AND ((m).initial_margin <> 0 OR EXISTS (SELECT 1 FROM unnest((m).pnl) x WHERE x <> 0))), NULL,
          'a flat book, joint set: margin and every scenario P&L exactly 0 in both row orders');
CREATE TEMP TABLE flat_gross AS
SELECT fs.name, u.j, sum(abs(f.q * u.v)) AS g, count(*) AS n
FROM flat f, flat_sets fs,
     unnest(portmargin.risk_array(fs.s, 'option', 'call', f.k, 0.1, 103.7, 0.63, 'linear', 1,
                                  CASE WHEN fs.name = 'var' THEN 'BTC' END)) WITH ORDINALITY u(v, j)
GROUP BY fs.name, u.j;
SELECT is((SELECT count(*)::int FROM flat_m m CROSS JOIN LATERAL unnest((m.m).pnl) WITH ORDINALITY u(v, j)
           JOIN flat_gross g ON g.name = m.name AND g.j = u.j WHERE m.name = 'span' AND abs(u.v) <= g.n * 2 ^ -53 * g.g), 2 * 16,
          'a flat book, SPAN: every P&L within n 2^-53 sum |q x risk array| of 0 in both row orders');
-- partitionwise aggregation combines in-process partial states (net quantities, not vectors) without
-- serialising them: the same margins and P&L vectors as one aggregate
CREATE TEMP TABLE pw (acct int, ins int, q float8, u text, kind text) PARTITION BY HASH (ins);
CREATE TEMP TABLE pw0 PARTITION OF pw FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TEMP TABLE pw1 PARTITION OF pw FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TEMP TABLE pw2 PARTITION OF pw FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO pw SELECT g % 20, i, (g % 7) - 3, (ARRAY['A','B','C'])[1 + i % 3], CASE WHEN i % 4 = 0 THEN 'future' ELSE 'option' END
FROM generate_series(1, 2000) g, LATERAL (SELECT (g * 7) % 40 AS i) x;
ANALYZE pw;
CREATE FUNCTION pg_temp.pwrun(partitionwise boolean) RETURNS TABLE (acct int, m portmargin.margin) LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('SET LOCAL enable_partitionwise_aggregate = %s', partitionwise);
  RETURN QUERY SELECT pw.acct, portmargin.portfolio_margin(q, u, kind, 'call', 80 + ins, 0.3, 100, 0.6, 'linear', 1, NULL, (SELECT s FROM vset))
               FROM pw GROUP BY pw.acct;
END $f$;
SELECT is((SELECT count(*)::int FROM pg_temp.pwrun(false) a JOIN pg_temp.pwrun(true) b USING (acct)
           WHERE (a.m).initial_margin = (b.m).initial_margin AND (a.m).pnl = (b.m).pnl), 20,
          'partitionwise partial aggregation (in-process combine) = one aggregate, 20 accounts');
-- margin_state values carry P&L vectors, not positions: merge_margin_states adds vectors that were each rounded
-- in their own state, so the merged P&L is the sum in some order, within the same bound, not exactly 0
CREATE TEMP TABLE flat_states AS
SELECT name, st, portmargin.portfolio_margin_state(q, 'BTC', 'option', 'call', k, 0.1, 103.7, 0.63, 'linear', 1, NULL, s) AS ms
FROM flat, flat_sets GROUP BY name, st, s;
WITH merged AS (
  SELECT name, ord, (portmargin.finalize_margin(portmargin.merge_margin_states(ms ORDER BY array_position(string_to_array(ord, ','), st)))).pnl
  FROM flat_states, (VALUES ('P,Q,R'), ('Q,R,P'), ('R,P,Q')) o(ord) GROUP BY name, ord)
SELECT is((SELECT count(*)::int FROM merged m CROSS JOIN LATERAL unnest(m.pnl) WITH ORDINALITY u(v, j)
           JOIN flat_gross g ON g.name = m.name AND g.j = u.j WHERE abs(u.v) <= g.n * 2 ^ -53 * g.g), 3 * (16 + 16),
          'merged margin_states of a flat book: every P&L within n 2^-53 sum |q x risk array| of 0, three merge orders');

SELECT * FROM finish();
ROLLBACK;
