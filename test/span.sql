-- test/span.sql: SPAN from published risk arrays (span_portfolio, span_margin,
-- span_parameters).  Expected values come from published worked examples (each
-- cited) or are derived by hand in the comments beside them; none is our output.
BEGIN;
\ir lib/helpers.psql
SELECT plan(63);

-- Arrays are per long contract, losses positive (CME, "Components of SPAN":
-- http://www.cme.com/clearing/rmspan/span/components.html).  fut(x): a future
-- whose outright (price scan) loss is x: CME's scenario order 1-2 unchanged,
-- 3-4 up 1/3, 5-6 down 1/3, 7-8 up 2/3, 9-10 down 2/3, 11-12 up 3/3, 13-14
-- down 3/3, 15/16 extreme up/down (3 x range x cover 0.33 = 0.99 x range).
CREATE TEMP TABLE fut(x float8, a float8[]);
CREATE FUNCTION pg_temp.fut(x float8) RETURNS float8[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY[0, 0, -x/3, -x/3, x/3, x/3, -2*x/3, -2*x/3, 2*x/3, 2*x/3, -x, -x, x, x, -0.99*x, 0.99*x]::float8[] $$;

CREATE TEMP TABLE pos (
    account int, cc text, month int, qty float8, arr float8[], delta float8, value float8, pc text
);

-- =====================================================================
-- A. Scan risk: McMillan, "Options as a Strategic Investment", ch. 34
--    (SPAN margin; https://optionstrategist.com/blog/2019/07/span-margin-113).
--    S&P future, scan $10,000, extreme $7,000; the book's P&L (gains
--    positive) turned into SPAN's sign (losses positive).
-- =====================================================================
INSERT INTO pos VALUES
 (1, 'SP', 199212, 1, '{0,0,-3330,-3330,3330,3330,-6670,-6670,6670,6670,-10000,-10000,10000,10000,-7000,7000}', 1, NULL, NULL),
 (2, 'SP', 199212, 1, '{-460,610,-2640,-1730,1270,2340,-5210,-4540,2540,3430,-8060,-7640,3380,3990,-3130,1500}', 0.6, 0, 'C'),
 (3, 'SP', 199212, 1, '{0,0,-3330,-3330,3330,3330,-6670,-6670,6670,6670,-10000,-10000,10000,10000,-7000,7000}', 1, NULL, NULL),
 (3, 'SP', 199212, -1, '{-460,610,-2640,-1730,1270,2340,-5210,-4540,2540,3430,-8060,-7640,3380,3990,-3130,1500}', 0.6, 0, 'C'),
 (4, 'SP', 199212, 3, '{0,0,-3330,-3330,3330,3330,-6670,-6670,6670,6670,-10000,-10000,10000,10000,-7000,7000}', 1, NULL, NULL),
 (4, 'SP', 199212, -5, '{-460,610,-2640,-1730,1270,2340,-5210,-4540,2540,3430,-8060,-7640,3380,3990,-3130,1500}', 0.6, 0, 'C');

CREATE TEMP VIEW m AS
SELECT account, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
                                       '{"combined_commodities":[{"cc":"SP","currency":"USD"}]}') AS m
FROM pos WHERE account <= 4 GROUP BY account;

SELECT is((SELECT (m).scan_loss FROM m WHERE account = 1), 10000::float8, 'McMillan: long 1 S&P future, scan risk 10,000');
SELECT is((SELECT (m).scan_loss FROM m WHERE account = 2), 3990::float8, 'McMillan: long 1 Dec 410 call, scan risk 3,990 (scenario 14)');
SELECT is((SELECT (m).units[1].worst_scenario FROM m WHERE account = 2), 14, '... and its worst scenario is 14 (down 3/3, volatility down)');
SELECT is((SELECT (m).scan_loss FROM m WHERE account = 3), 6620::float8, 'McMillan: covered write (long future, short call), scan risk 6,620 (scenario 13)');
-- long 3 futures, short 5 calls: scenario 16 = 3 x 7000 - 5 x 1500 = 13,500; scenario 13 = 30,000 - 16,900 = 13,100;
-- scenario 14 = 30,000 - 19,950 = 10,050; every other scenario is lower
SELECT is((SELECT (m).scan_loss FROM m WHERE account = 4), 13500::float8, 'McMillan: long 3 futures, short 5 calls: 13,500 (scenario 16, by hand)');
SELECT is((SELECT (m).maintenance_margin FROM m WHERE account = 1), 10000::float8, 'maintenance = scan risk without spreads, options or ratios');
SELECT is((SELECT (m).initial_margin FROM m WHERE account = 1), 10000::float8, 'initial ratio 1 by default');

-- =====================================================================
-- B. Intra-commodity spreads: CME, "Margin: Know What's Needed" spread
--    calculation (https://cmegroup.com/clearing/margins/spread-calc.html),
--    "for example purposes only": outrights M2 $500, M3 $500, M4 $750;
--    spread charges 2v3 $200, 2v4 $50, 3v4 $0.  CME: margin = (the months
--    netted by the scan) + the spread charge.
-- =====================================================================
CREATE TEMP TABLE intra_params AS SELECT portmargin.span_parameters($${"combined_commodities":[{"cc":"X","currency":"USD",
  "intra_tiers":[{"tier":2,"start":202602,"end":202602},{"tier":3,"start":202603,"end":202603},{"tier":4,"start":202604,"end":202604}],
  "intra_spreads":[{"priority":1,"rate":200,"legs":[{"tier":2,"side":"A"},{"tier":3,"side":"B"}]},
                   {"priority":2,"rate":50,"legs":[{"tier":2,"side":"A"},{"tier":4,"side":"B"}]},
                   {"priority":3,"rate":0,"legs":[{"tier":3,"side":"A"},{"tier":4,"side":"B"}]}]}]}$$::jsonb) AS p;
INSERT INTO pos VALUES
 (10, 'X', 202602, 1, pg_temp.fut(500), 1, NULL, NULL), (10, 'X', 202603, -1, pg_temp.fut(500), 1, NULL, NULL),
 (11, 'X', 202602, 1, pg_temp.fut(500), 1, NULL, NULL), (11, 'X', 202604, -1, pg_temp.fut(750), 1, NULL, NULL),
 (12, 'X', 202603, 1, pg_temp.fut(500), 1, NULL, NULL), (12, 'X', 202604, -1, pg_temp.fut(750), 1, NULL, NULL),
 -- the same spread the other way round (short M2, long M3): side A short, B long
 (13, 'X', 202602, -1, pg_temp.fut(500), 1, NULL, NULL), (13, 'X', 202603, 1, pg_temp.fut(500), 1, NULL, NULL);
CREATE TEMP VIEW mi AS
SELECT account, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT p FROM intra_params)) AS m
FROM pos WHERE account BETWEEN 10 AND 19 GROUP BY account;
SELECT is((SELECT (m).maintenance_margin FROM mi WHERE account = 10), 200::float8, 'CME spread page: +1 M2 / -1 M3 = (500 - 500) + 200 = $200');
SELECT is((SELECT (m).maintenance_margin FROM mi WHERE account = 11), 300::float8, 'CME spread page: +1 M2 / -1 M4 = (750 - 500) + 50 = $300');
SELECT is((SELECT (m).maintenance_margin FROM mi WHERE account = 12), 250::float8, 'CME spread page: +1 M3 / -1 M4 = (750 - 500) + 0 = $250');
SELECT is((SELECT (m).units[1].intra_spread_charge FROM mi WHERE account = 11), 50::float8, '... the 2v4 charge is in the unit breakdown');
SELECT is((SELECT (m).maintenance_margin FROM mi WHERE account = 13), 200::float8, 'a spread short the A side and long the B side is charged the same');

-- =====================================================================
-- C. Inter-commodity credit: CME spread page (same URL): Corn vs Soybeans 2:1,
--    credit 55%, outrights Corn $1,750, Soybeans $2,500.  Gross 1,750 x 2 +
--    2,500 = $6,000; credit 3,500 x 55% + 2,500 x 55% = $3,300; margin $2,700.
--    (For a future the weighted futures price risk is its outright:
--    price risk = (worst + paired)/2 - time risk = 1,750 per delta.)
-- =====================================================================
CREATE TEMP TABLE inter_params AS SELECT portmargin.span_parameters($${"combined_commodities":[
    {"cc":"C","currency":"USD"},{"cc":"S","currency":"USD"},{"cc":"W","currency":"USD"}],
  "inter_spreads":[{"priority":1,"credit_rate":55,"legs":[{"cc":"C","ratio":2,"side":"A"},{"cc":"S","ratio":1,"side":"B"}]}]}$$::jsonb) AS p;
INSERT INTO pos VALUES
 (20, 'C', 202603, 2, pg_temp.fut(1750), 1, NULL, NULL), (20, 'S', 202603, -1, pg_temp.fut(2500), 1, NULL, NULL),
 -- both long: the sides do not match, no credit: 3,500 + 2,500
 (21, 'C', 202603, 2, pg_temp.fut(1750), 1, NULL, NULL), (21, 'S', 202603, 1, pg_temp.fut(2500), 1, NULL, NULL),
 -- 4 corn short, 1 soy long: one spread (2 corn deltas), 2 corn left: 7,000 + 2,500 - 3,300 = 6,200
 (22, 'C', 202603, -4, pg_temp.fut(1750), 1, NULL, NULL), (22, 'S', 202603, 1, pg_temp.fut(2500), 1, NULL, NULL);
CREATE TEMP VIEW mc AS
SELECT account, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT p FROM inter_params)) AS m
FROM pos WHERE account BETWEEN 20 AND 29 GROUP BY account;
SELECT is((SELECT (m).maintenance_margin FROM mc WHERE account = 20), 2700::float8, 'CME spread page: Corn 2 : Soybeans 1 at 55% = $2,700');
SELECT is((SELECT (m).cross_margin_offset FROM mc WHERE account = 20), 3300::float8, '... credit $3,300');
SELECT is((SELECT array_agg(round(u.inter_spread_credit::numeric, 9) ORDER BY u.underlying) FROM mc, unnest((m).units) u WHERE account = 20),
          ARRAY[1925, 1375]::numeric[], '... corn leg 3,500 x 55% = 1,925, soybean leg 2,500 x 55% = 1,375');
SELECT is((SELECT (m).maintenance_margin FROM mc WHERE account = 21), 6000::float8, 'legs on the wrong sides get no credit');
SELECT is((SELECT (m).maintenance_margin FROM mc WHERE account = 22), 6200::float8, 'only the deltas one spread takes are credited (7,000 + 2,500 - 3,300)');

-- =====================================================================
-- D. Inter spreads in priority order (by hand).  A +1 (outright 1,000),
--    B -2 (800 each), C +1 (600).  Spread 1 (priority 1): A/B 1:1 at 50%;
--    spread 2 (priority 2): B/C 1:1 at 30%.  WFPR: A 1,000; B 1,600 / 2 =
--    800; C 600.  Spread 1 takes 1 A and 1 B: credit 500 + 400; B has -1
--    left; spread 2 takes it and C: 240 + 180.  Scan 1,000 + 1,600 + 600 =
--    3,200; credit 1,320; margin 1,880.  With B -1 only, the two spreads
--    compete for B's one delta and the first in priority takes it.
-- =====================================================================
CREATE TEMP TABLE prio AS SELECT
  portmargin.span_parameters($${"combined_commodities":[{"cc":"A","currency":"USD"},{"cc":"B","currency":"USD"},{"cc":"C","currency":"USD"}],
    "inter_spreads":[{"priority":1,"credit_rate":50,"legs":[{"cc":"A","side":"A"},{"cc":"B","side":"B"}]},
                     {"priority":2,"credit_rate":30,"legs":[{"cc":"B","side":"A"},{"cc":"C","side":"B"}]}]}$$::jsonb) AS ab_first,
  portmargin.span_parameters($${"combined_commodities":[{"cc":"A","currency":"USD"},{"cc":"B","currency":"USD"},{"cc":"C","currency":"USD"}],
    "inter_spreads":[{"priority":2,"credit_rate":50,"legs":[{"cc":"A","side":"A"},{"cc":"B","side":"B"}]},
                     {"priority":1,"credit_rate":30,"legs":[{"cc":"B","side":"A"},{"cc":"C","side":"B"}]}]}$$::jsonb) AS bc_first;
INSERT INTO pos VALUES
 (30, 'A', 202603, 1, pg_temp.fut(1000), 1, NULL, NULL), (30, 'B', 202603, -2, pg_temp.fut(800), 1, NULL, NULL),
 (30, 'C', 202603, 1, pg_temp.fut(600), 1, NULL, NULL),
 (31, 'A', 202603, 1, pg_temp.fut(1000), 1, NULL, NULL), (31, 'B', 202603, -1, pg_temp.fut(800), 1, NULL, NULL),
 (31, 'C', 202603, 1, pg_temp.fut(600), 1, NULL, NULL);
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT ab_first FROM prio))).maintenance_margin
           FROM pos WHERE account = 30), 1880::float8, 'two inter spreads in priority order: 3,200 - (500 + 400) - (240 + 180) = 1,880');
-- account 31: B -1 only.  A/B first: credit 500 + 400 = 900, C left alone: 2,400 - 900 = 1,500.
-- B/C first: credit 240 + 180 = 420: 2,400 - 420 = 1,980.
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT ab_first FROM prio))).maintenance_margin
           FROM pos WHERE account = 31), 1500::float8, 'the spread of the first priority takes the shared delta: 2,400 - 900 = 1,500');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT bc_first FROM prio))).maintenance_margin
           FROM pos WHERE account = 31), 1980::float8, '... and with the priorities swapped the other one does: 2,400 - 420 = 1,980');

-- =====================================================================
-- E. Weighted futures price risk of an option (by hand), McMillan's call
--    array: worst scenario 14 (3,990), paired with 13 (3,380); time risk =
--    (scenario 1 + scenario 2)/2 = (-460 + 610)/2 = 75; price risk =
--    (3,990 + 3,380)/2 - 75 = 3,610.  Long 1 call, composite delta 0.6:
--    WFPR = 3,610 / 0.6.  Against a short future of cc F (outright 5,000),
--    spread 0.6 : 1 at 40%: call leg 3,610 / 0.6 x 0.6 x 40% = 1,444, future
--    leg 5,000 x 40% = 2,000.  Margin 3,990 + 5,000 - 3,444 = 5,546.
-- =====================================================================
INSERT INTO pos VALUES
 (40, 'O', 199212, 1, '{-460,610,-2640,-1730,1270,2340,-5210,-4540,2540,3430,-8060,-7640,3380,3990,-3130,1500}', 0.6, 0, 'C'),
 (40, 'F', 199212, -1, pg_temp.fut(5000), 1, NULL, NULL);
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            $${"combined_commodities":[{"cc":"O","currency":"USD"},{"cc":"F","currency":"USD"}],
               "inter_spreads":[{"priority":1,"credit_rate":40,"legs":[{"cc":"O","ratio":0.6,"side":"A"},{"cc":"F","ratio":1,"side":"B"}]}]}$$)).maintenance_margin
           FROM pos WHERE account = 40), 5546::float8, 'an option''s weighted price risk: price risk 3,610 per 0.6 delta; 3,990 + 5,000 - 3,444 = 5,546');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            $${"combined_commodities":[{"cc":"O","currency":"USD","wfpr_method":3,"price_scan_range":4000},{"cc":"F","currency":"USD"}],
               "inter_spreads":[{"priority":1,"credit_rate":40,"legs":[{"cc":"O","ratio":0.6,"side":"A"},{"cc":"F","ratio":1,"side":"B"}]}]}$$)).maintenance_margin
           FROM pos WHERE account = 40), 6030::float8, 'WFPR method 3 (the scan range, 4,000): call leg 4,000 x 0.6 x 40% = 960; 8,990 - 960 - 2,000 = 6,030');

-- =====================================================================
-- F. Delivery month, account-type ratios (by hand).  Tiers 1 = Mar (the
--    spot month), 2 = Jun; spread tier 1 / tier 2 at $100; spot month Mar:
--    $40 per delta consumed by spreads, $70 per delta left in outrights.
--    +3 Mar (outright 1,000), -1 Jun (outright 1,200): the array is
--    3 x 1,000 - 1,200 = 1,800 per unit move: scan 1,800.  One spread: intra
--    100; Mar: 1 delta consumed, 2 left: 40 + 140 = 180.  Risk 2,080.
--    Initial ratios 1.10 member, 1.20 hedger, 1.35 speculator; maintenance
--    factors 1, 1, 1.
-- =====================================================================
CREATE TEMP TABLE spot_params AS SELECT portmargin.span_parameters($${"combined_commodities":[{"cc":"Y","currency":"USD",
  "initial_ratios":[1.10,1.20,1.35],
  "intra_tiers":[{"tier":1,"start":202603,"end":202603},{"tier":2,"start":202606,"end":202612}],
  "intra_spreads":[{"priority":1,"rate":100,"legs":[{"tier":1,"side":"A"},{"tier":2,"side":"B"}]}],
  "spot_months":[{"month":202603,"rate_consumed":40,"rate_remaining":70}]}]}$$::jsonb) AS p;
INSERT INTO pos VALUES
 (50, 'Y', 202603, 3, pg_temp.fut(1000), 1, NULL, NULL), (50, 'Y', 202606, -1, pg_temp.fut(1200), 1, NULL, NULL);
CREATE TEMP VIEW ms AS
SELECT t, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc), (SELECT p FROM spot_params), t) AS m
FROM pos, unnest(ARRAY['M', 'H', 'S', 'X', 'R']) t WHERE account = 50 GROUP BY t;
SELECT is((SELECT (m).maintenance_margin FROM ms WHERE t = 'S'), 2080::float8, 'scan 1,800 + intra 100 + spot 40 + 2 x 70 = 2,080');
SELECT is((SELECT ((m).units[1].intra_spread_charge, (m).units[1].spot_month_charge)::text FROM ms WHERE t = 'S'),
          '(100,180)', '... intra 100 and spot 180 in the breakdown');
SELECT is((SELECT (m).initial_margin FROM ms WHERE t = 'M'), 2080 * 1.10::float8, 'member initial = 2,080 x 1.10');
SELECT is((SELECT (m).initial_margin FROM ms WHERE t = 'H'), 2080 * 1.20::float8, 'hedger initial = 2,080 x 1.20');
SELECT is((SELECT (m).initial_margin FROM ms WHERE t = 'S'), 2080 * 1.35::float8, 'speculator initial = 2,080 x 1.35');
SELECT is((SELECT (m).initial_margin FROM ms WHERE t = 'X'), 2080 * 1.20::float8, 'non-HRP (X) uses the hedger ratio');
SELECT is((SELECT (m).initial_margin FROM ms WHERE t = 'R'), 2080 * 1.35::float8, 'HRP (R) uses the speculator ratio');

-- =====================================================================
-- G. Short option minimum and net option value (by hand).
--    Short 2 calls and 3 puts whose arrays are small (deep out of the
--    money: worst loss 10 each), SOM rate $100: method 1 = max(2, 3) x 100
--    = 300; method 2 = (2 + 3) x 100 = 500; the requirement is the larger
--    of scan (5 x 10 = 50) and SOM.  Option value $4 per contract: NOV =
--    -5 x 4 = -20 is added (short options are a liability).
-- =====================================================================
INSERT INTO pos VALUES
 (60, 'Z', 202603, -2, '{-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10}', 0.01, 4, 'C'),
 (60, 'Z', 202603, -3, '{-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10,-10}', -0.01, 4, 'P');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"Z","currency":"USD","som_rate":100,"som_method":1}]}')).maintenance_margin
           FROM pos WHERE account = 60), 320::float8, 'SOM method 1: max(2, 3) x 100 = 300 > scan 50; plus the short options'' value 20');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"Z","currency":"USD","som_rate":100,"som_method":2}]}')).short_option_minimum
           FROM pos WHERE account = 60), 500::float8, 'SOM method 2: (2 + 3) x 100 = 500');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"Z","currency":"USD","som_rate":100,"som_method":2,"option_style":"F"}]}')).maintenance_margin
           FROM pos WHERE account = 60), 500::float8, 'futures-style options have no net option value');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, -qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"Z","currency":"USD","som_rate":100}]}')).maintenance_margin
           FROM pos WHERE account = 60), 0::float8, 'long options: no SOM, scan 0 (all gains), NOV +20 leaves nothing to pay (floored at 0)');

-- Limited net option value (CME, "Combined Commodities": a combined commodity whose available net option
-- value has limits cannot use it to offset risk in another one).  L: one long option losing 100 in every
-- scenario, worth 5,000; F: one long future, outright 3,000.  Pooled: max(0, 100 + 3,000 - 5,000) = 0.
-- L limited: L max(0, 100 - 5,000) = 0, F 3,000: 3,000.
INSERT INTO pos VALUES
 (61, 'L', 202603, 1, '{100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,100}', 0.5, 5000, 'C'),
 (61, 'F', 202603, 1, pg_temp.fut(3000), 1, NULL, NULL);
SELECT results_eq($$SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
                             format('{"combined_commodities":[{"cc":"L","currency":"USD","limit_option_value":%s},{"cc":"F","currency":"USD"}]}', lim::text)::portmargin.span_parameters)).maintenance_margin
                    FROM pos, (VALUES (false), (true)) v(lim) WHERE account = 61 GROUP BY lim ORDER BY lim$$,
                  $$VALUES (0::float8), (3000::float8)$$, 'a limited net option value offsets its own combined commodity only: 0 pooled, 3,000 limited');

-- =====================================================================
-- H. Scan tiers (by hand): tier 1 = Mar-Jun, tier 2 = Sep-Dec.  +1 Mar and
--    -1 Sep, outright 1,000 each: scanned whole the arrays cancel (0); in
--    two tiers each is scanned apart: 1,000 + 1,000 = 2,000.
-- =====================================================================
INSERT INTO pos VALUES
 (70, 'T', 202603, 1, pg_temp.fut(1000), 1, NULL, NULL), (70, 'T', 202609, -1, pg_temp.fut(1000), 1, NULL, NULL);
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"T","currency":"USD"}]}')).scan_loss FROM pos WHERE account = 70),
          0::float8, 'one scan tier: a long and a short of equal arrays net to 0');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
            '{"combined_commodities":[{"cc":"T","currency":"USD","scan_tiers":[{"tier":1,"start":202603,"end":202606},{"tier":2,"start":202609,"end":202612}]}]}')).scan_loss
           FROM pos WHERE account = 70), 2000::float8, 'two scan tiers: 1,000 + 1,000');

-- =====================================================================
-- I. A real CME record: ES Mar-19 in cme.20190102.s.pa2 (CME Group; the 81/82
--    records as typed in a public test): array 0, 0, -2000, -2000, 2000, ...,
--    -5940, 5940 (extreme 3 x 6,000 x 0.33), composite delta 1.  One long
--    contract: scan 6,000; long and short net to 0.
-- =====================================================================
INSERT INTO pos VALUES
 (80, 'ES', 201903, 1, '{0,0,-2000,-2000,2000,2000,-4000,-4000,4000,4000,-6000,-6000,6000,6000,-5940,5940}', 1, NULL, NULL),
 (81, 'ES', 201903, 1, '{0,0,-2000,-2000,2000,2000,-4000,-4000,4000,4000,-6000,-6000,6000,6000,-5940,5940}', 1, NULL, NULL),
 (81, 'ES', 201903, -1, '{0,0,-2000,-2000,2000,2000,-4000,-4000,4000,4000,-6000,-6000,6000,6000,-5940,5940}', 1, NULL, NULL);
SELECT results_eq($$SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
                     '{"combined_commodities":[{"cc":"ES","currency":"USD"}]}')).maintenance_margin
                    FROM pos WHERE account IN (80, 81) GROUP BY account ORDER BY account$$,
                  $$VALUES (6000::float8), (0::float8)$$, 'ES Mar-19 (CME file of 2019-01-02): long 1 = 6,000; long 1 short 1 = 0');

-- =====================================================================
-- J. Parallel query and the text forms give the same result.
-- =====================================================================
-- regular tables: parallel workers cannot read temporary ones
CREATE TABLE span_test_big AS
SELECT (i % 500) AS account, (ARRAY['C','S','W'])[1 + i % 3] AS cc, 202603 + 3 * (i % 4) AS month,
       ((i * 7919) % 11 - 5)::float8 AS qty, pg_temp.fut(1000 + (i % 7) * 100) AS arr
FROM generate_series(1, 60000) i;
ANALYZE span_test_big;
CREATE TABLE span_test_params AS SELECT p FROM inter_params;
CREATE TEMP TABLE serial_r AS
SELECT account, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, 1, NULL, NULL), (SELECT p FROM span_test_params)) AS m
FROM span_test_big GROUP BY account;
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers = 8; SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_par AS SELECT pg_temp.explain($$CREATE TEMP TABLE parallel_r AS
  SELECT account, portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, 1, NULL, NULL), (SELECT p FROM span_test_params)) AS m
  FROM span_test_big GROUP BY account$$) AS p;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Finalize' AND p ~ 'Workers Launched: [12]',
          'the aggregate runs in parallel (partial and finalize aggregates, workers launched)')
  || CASE WHEN p ~ 'Workers Launched: [12]' THEN '' ELSE E'\n' || diag(p) END FROM plan_par;
SELECT is_empty($$SELECT s.account FROM serial_r s JOIN parallel_r p USING (account)
                  WHERE abs((s.m).maintenance_margin - (p.m).maintenance_margin) > 1e-9 * greatest(1, (s.m).maintenance_margin)
                     OR abs((s.m).cross_margin_offset - (p.m).cross_margin_offset) > 1e-9 * greatest(1, (s.m).cross_margin_offset)$$,
                'parallel partial states combine to the serial result (500 accounts, 60,000 positions)');
SELECT is((SELECT count(*)::int FROM parallel_r), 500, '... every account');
-- the one-pass aggregate: the same margins as span_margin(span_portfolio(...)), serial and in parallel
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_one AS SELECT pg_temp.explain($$CREATE TEMP TABLE one_r AS
  SELECT account, portmargin.span_margin(cc, month, qty, arr, 1, NULL, NULL, (SELECT p FROM span_test_params), 'S') AS m
  FROM span_test_big GROUP BY account$$) AS p;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Workers Launched: [12]', 'the one-pass span_margin aggregate runs in parallel')
  || CASE WHEN p ~ 'Workers Launched: [12]' THEN '' ELSE E'\n' || diag(p) END FROM plan_one;
SELECT is_empty($$SELECT s.account FROM serial_r s FULL JOIN one_r o USING (account)
                  WHERE o.m IS NULL OR s.m IS NULL OR (s.m)::text <> (o.m)::text$$,
                'the one-pass aggregate in parallel = span_margin(span_portfolio(...)), field for field (500 accounts)');
CREATE TEMP TABLE one_serial AS
SELECT account, portmargin.span_margin(cc, month, qty, arr, 1, NULL, NULL, (SELECT p FROM span_test_params), 'S') AS m
FROM span_test_big GROUP BY account;
SELECT is_empty($$SELECT s.account FROM serial_r s FULL JOIN one_serial o USING (account)
                  WHERE o.m IS NULL OR s.m IS NULL OR (s.m)::text <> (o.m)::text$$,
                '... and serially');
SELECT is_empty($$SELECT account FROM (
                    SELECT account, portmargin.span_margin(cc, month, qty, arr, delta, value, pc, (SELECT p FROM spot_params), 'H')::text AS one,
                           portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
                                                  (SELECT p FROM spot_params), 'H')::text AS two
                    FROM pos WHERE account = 50 GROUP BY account
                    UNION ALL
                    SELECT account, portmargin.span_margin(cc, month, qty, arr, delta, value, pc,
                                                           '{"combined_commodities":[{"cc":"T","currency":"USD","scan_tiers":[{"tier":1,"start":202603,"end":202606},{"tier":2,"start":202609,"end":202612}]}]}', 'S')::text,
                           portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc),
                                                  '{"combined_commodities":[{"cc":"T","currency":"USD","scan_tiers":[{"tier":1,"start":202603,"end":202606},{"tier":2,"start":202609,"end":202612}]}]}', 'S')::text
                    FROM pos WHERE account = 70 GROUP BY account) x WHERE one <> two$$,
                'the one-pass aggregate with delivery months, ratios and scan tiers = the two-step form');
SELECT throws_like($$SELECT portmargin.span_margin(cc, 202603, 1, pg_temp.fut(1), 1, NULL, NULL,
                     CASE cc WHEN 'C' THEN (SELECT p FROM inter_params) ELSE (SELECT p FROM intra_params) END, 'S')
                     FROM (VALUES ('C'), ('S')) v(cc)$$,
                   '%parameters differ between rows of one group%', 'the one-pass aggregate refuses two parameter documents in one group');
SELECT throws_like($$SELECT portmargin.span_margin(cc, 202603, q, pg_temp.fut(1), 1, NULL, NULL, (SELECT p FROM inter_params),
                                                   CASE WHEN q > 0 THEN 'S' ELSE 'H' END)
                     FROM (VALUES ('C', 1), ('S', -1)) v(cc, q)$$,
                   '%account type differs between rows of one group%', '... nor two account types in one group');
SELECT throws_ok($$SELECT portmargin.span_margin('C', 202603, 1, pg_temp.fut(1), 1, NULL, NULL, NULL, 'S')$$, '22004', NULL,
                 '... NULL parameters: 22004');
SELECT throws_like($$SELECT portmargin.span_margin('Q', 202603, 1, pg_temp.fut(1), 1, NULL, NULL, (SELECT p FROM inter_params), 'S')$$,
                   '%combined commodity "Q"%not in the parameters%', '... a combined commodity the parameters lack');
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, qty, arr, delta, value, pc)::text::portmargin.span_portfolio,
                     (SELECT p FROM inter_params)::text::portmargin.span_parameters)).maintenance_margin
           FROM pos WHERE account = 20), 2700::float8, 'span_portfolio and span_parameters survive their text forms');

-- =====================================================================
-- K. Bad input: ERRORs naming the argument or element.
-- =====================================================================
SELECT throws_ok($$SELECT portmargin.span_portfolio(NULL, 202603, 1, pg_temp.fut(1), 1, NULL, NULL)$$, '22004', NULL, 'NULL cc: 22004');
SELECT throws_like($$SELECT portmargin.span_portfolio('X', 202613, 1, pg_temp.fut(1), 1, NULL, NULL)$$, '%month%202613%', 'month 202613: 22023 naming month and value');
SELECT throws_like($$SELECT portmargin.span_portfolio('X', 202603, 1, '{1,2,3}', 1, NULL, NULL)$$, '%risk_array%3 values%', 'a risk array of 3 values: named');
SELECT throws_like($$SELECT portmargin.span_portfolio('X', 202603, 1, pg_temp.fut(1) || 'NaN'::float8, 1, NULL, NULL)$$, '%risk_array%17 values%', '17 values: named');
SELECT throws_like($$SELECT portmargin.span_portfolio('X', 202603, 'Infinity', pg_temp.fut(1), 1, NULL, NULL)$$, '%quantity%Infinity%', 'an infinite quantity: named');
SELECT throws_like($$SELECT portmargin.span_portfolio('X', 202603, 1, pg_temp.fut(1), 1, 1, 'straddle')$$, '%straddle%', 'an unknown option type: named');
SELECT throws_like($$SELECT portmargin.span_margin(portmargin.span_portfolio('Q', 202603, 1, pg_temp.fut(1), 1, NULL, NULL), (SELECT p FROM inter_params))$$,
                   '%combined commodity "Q"%not in the parameters%', 'a combined commodity the parameters lack');
SELECT throws_like($$SELECT portmargin.span_margin(portmargin.span_portfolio(cc, 202603, 1, pg_temp.fut(1), 1, NULL, NULL),
                     '{"combined_commodities":[{"cc":"C","currency":"USD"},{"cc":"S","currency":"EUR"}]}') FROM (VALUES ('C'), ('S')) v(cc)$$,
                   '%different currencies%', 'two currencies in one requirement');
SELECT throws_like($$SELECT portmargin.span_parameters('{"combined_commodities":[{"cc":"X","currency":"USD","intra_tiers":[{"tier":1}],
                     "intra_spreads":[{"priority":1,"rate":1,"legs":[{"tier":1,"side":"A"},{"tier":7,"side":"B"}]}]}]}')$$,
                   '%intra_spreads[0].legs[1]%tier 7%', 'a spread leg on an unknown tier names the element');
SELECT throws_like($$SELECT portmargin.span_parameters('{"combined_commodities":[{"cc":"X","currency":"USD"}],
                     "inter_spreads":[{"priority":1,"credit_rate":50,"legs":[{"cc":"X","side":"A"},{"cc":"Q","side":"B"}]}]}')$$,
                   '%inter_spreads[0].legs[1]%"Q"%', 'an inter spread leg on an unknown combined commodity names the element');
SELECT throws_like($$SELECT portmargin.span_margin(portmargin.span_portfolio('C', 202603, 1, pg_temp.fut(1), 1, NULL, NULL),
                     (SELECT p FROM inter_params), 'Z')$$, '%account_type%Z%', 'an unknown account type: named');
SELECT throws_ok($$SELECT '\x0102'::portmargin.span_portfolio$$, '22P03', NULL, 'a garbled span_portfolio: 22P03');
SELECT throws_ok($$SELECT portmargin.span_portfolio('C', 202603, q, pg_temp.fut(1e300), 1, NULL, NULL) FROM (VALUES (1e10), (1e10)) v(q)$$,
                 '22003', NULL, 'sums that overflow: 22003 where the rows are (two-step form)');
SELECT throws_ok($$SELECT portmargin.span_margin('C', 202603, q, pg_temp.fut(1e300), 1, NULL, NULL, (SELECT p FROM inter_params), 'S')
                   FROM (VALUES (1e10), (1e10)) v(q)$$, '22003', NULL, '... and in the one-pass aggregate');

SELECT * FROM finish();
ROLLBACK;
