-- test/margin.sql: the portfolio_margin aggregate on hand-derived portfolios.
-- Every expected requirement is derived in the comments from the spec's
-- formulas, published worked arithmetic (SPAN NOV example, CME's
-- performance-bond example HRP 1,400 -> 1,540 (doc/margin.md cites each), Deribit contingencies, OKX MR7
-- tiers, FINRA $0.375 minimum) or closed forms (m/(1+m)); option legs use the
-- pricing functions validated against mpmath (portmargin.black76_price /
-- black76_delta at rate 0).  Nothing here is pasted from a run of the code.
-- Then: a random 12,000-position book against plain SQL over risk_array,
-- parallel = serial, sharded states = one pass, errors and state robustness.
-- an ERROR in one statement must not hide the other results: roll back just that
-- statement and go on (the plan count then reports the missing tests)
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(250);

-- helpers -------------------------------------------------------------------------
-- vectors equal norm-wise: max_i |got_i - want_i| <= tol * max(1, max_i |want_i|).  Used where
-- the same sums are accumulated in a different order (SQL vs C, parallel workers): an element
-- that nearly cancels (e.g. 1e4 out of terms of 1e7) cannot be element-wise equal to 1e-12.
CREATE FUNCTION pg_temp.vec_close(got float8[], want float8[], tol float8) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $f$
  SELECT got IS NOT NULL AND want IS NOT NULL
     AND cardinality(got) = cardinality(want)
     AND NOT EXISTS (SELECT 1 FROM unnest(got, want) u(g, w)
                     WHERE g IS NULL OR w IS NULL
                        OR NOT abs(g - w) <= tol * greatest(1, (SELECT max(abs(x)) FROM unnest(want) x)))
$f$;
-- the books ---------------------------------------------------------------------
CREATE TEMP TABLE pos (book text, qty float8, und text, kind text, otype text, k float8, t float8, f float8,
                       vol float8, settle text, mult float8, idx float8, s portmargin.scenario_set);
-- requirement of a book; an ERROR becomes NULL + WARNING so one bad book fails only its own tests
CREATE FUNCTION pg_temp.m(b text) RETURNS portmargin.margin LANGUAGE plpgsql AS $f$
DECLARE r portmargin.margin;
BEGIN
  r := (SELECT portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s) FROM pos WHERE book = b);
  RETURN r;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'book %: % %', b, SQLSTATE, SQLERRM;
  RETURN NULL;
END $f$;
-- field of a book's result as float8 (json keeps float8's exact text form)
CREATE FUNCTION pg_temp.mf(b text, field text) RETURNS float8 LANGUAGE sql AS $f$
  SELECT (to_json(pg_temp.m(b)) ->> field)::float8
$f$;

-- (a) grid {-10%, 0, +10%}, long 1 linear future F = 100, multiplier 1:
--     pnl = 100 x m = {-10, 0, +10}; scan = max(0, max(10, 0, -10)) = 10 (scenario 1);
--     grid: maintenance = mm_ratio x 10 = 10, initial = im_ratio x 10 = 10, currency USD.
INSERT INTO pos VALUES ('a', 1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'));
-- same book plus rows with NULL quantity (skipped like sum(): no extra unit, no change)
INSERT INTO pos SELECT 'a-null', qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s FROM pos WHERE book = 'a';
INSERT INTO pos VALUES ('a-null', NULL, 'X', 'option', 'put', 100, 0.5, 100, 0.3, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}')),
                       ('a-null', NULL, 'Y', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'));
-- short 1: pnl {+10, 0, -10} -> 10 at scenario 3
INSERT INTO pos VALUES ('a-short', -1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}'));
-- weights {0.5, 1, 1}, im_ratio 1.5, mm_ratio 1.2: scan = max(0.5 x 10, 0, -10) = 5;
-- initial = 1.5 x 5 = 7.5, maintenance = 1.2 x 5 = 6; pnl is unweighted {-10, 0, 10}
INSERT INTO pos VALUES ('a-w', 1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL,
                        portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}', '{0.5,1,1}', 'absolute', 1.5, 1.2));
-- (b) covered call at expiry (t = 0: values are intrinsic), grid {-20,-10,0,10,20}%:
--     long 1 future F=100: pnl 100 m = {-20, -10, 0, 10, 20}
--     short 1 call K=95: C(F) = 5; C(F_j) = max(F_j - 95, 0) = {0, 0, 5, 15, 25};
--     short pnl = -(C_j - 5) = {5, 5, 0, -10, -20}
--     total = {-15, -5, 0, 0, 0} -> requirement 15 at scenario 1.
INSERT INTO pos VALUES
  ('b', 1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}')),
  ('b', -1, 'X', 'option', 'call', 95, 0, 100, 0.2, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'));
-- (b2) the same with t = 0.25, vol 20%: total_j = 100 m_j - (C(100(1+m_j)) - C(100)) (Black-76)
INSERT INTO pos VALUES
  ('b2', 1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}')),
  ('b2', -1, 'X', 'option', 'call', 95, 0.25, 100, 0.2, 'linear', 1, NULL, portmargin.grid_scenarios('{-0.2,-0.1,0,0.1,0.2}', '{0,0,0,0,0}'));
-- (c) calendar spread under deribit(), linear SOL, F = 150 for both expiries:
--     long 1 future t = 0.5, short 1 future t = 7/365: pnl = 150 m - 150 m = 0 in every
--     scenario (extended: both clamped alike) -> scan 0.
--     roll = |-1| max(0.01, 0.075 x 7/365 = 0.00144) x 150 + |+1| max(0.01, 0.075 x 0.5 = 0.0375) x 150
--          = 1.5 + 5.625 = 7.125
--     futures contingency: 0.01 x min(L, Sh) coins, L = Sh = 1 contract x multiplier 1, paid in USD
--     at the unit's highest forward 150 -> 0.01 x 1 x 150 = 1.5
--     initial = 0 + 0 + 1.5 + 7.125 = 8.625; maintenance = 0.8 x 8.625 = 6.9
INSERT INTO pos VALUES
  ('c', 1, 'SOL', 'future', NULL, NULL, 0.5, 150, NULL, 'linear', 1, NULL, portmargin.deribit_scenarios()),
  ('c', -1, 'SOL', 'future', NULL, NULL, 7 / 365.0, 150, NULL, 'linear', 1, NULL, portmargin.deribit_scenarios());
-- (d) short strangle under SPAN (PSR 8%, VSR 4 points): short 1 call K=110 and 1 put K=90,
--     F=100, t=30/365, vol 25%, multiplier 50.  Scenario j: F(1+m_j), vol + dv_j, t - 1/365.
--     pnl_j = -50 (C_j - C0) - 50 (P_j - P0); scan = max(0, max_j -w_j pnl_j) (w = 0.35 for 15/16)
--     NOV = -50 (C0 + P0) (premium owed) -> maintenance = max(0, max(scan, 0) - NOV) = scan + 50 (C0 + P0)
--     initial = 1.10 x maintenance.  (d-som): short_option_minimum 500/contract x 2 shorts = 1,000
--     -> cc = max(scan, 1000), maintenance = cc + 50 (C0 + P0).
INSERT INTO pos SELECT 'd', -1, 'ES', 'option', typ, k, 30 / 365.0, 100, 0.25, 'linear', 50, NULL, portmargin.span_scenarios(0.08, 0.04)
  FROM (VALUES ('call', 110::float8), ('put', 90)) v(typ, k);
INSERT INTO pos SELECT 'd-som', qty, und, kind, otype, k, t, f, vol, settle, mult, idx, portmargin.span_scenarios(0.08, 0.04, short_option_minimum => 500)
  FROM pos WHERE book = 'd';
-- (h) SPAN NOV worked example (margin-methods.md: scan 113,226, NOV -28,447 -> 141,673):
--     span(PSR 10%), short 1 call at expiry (t = 0, intrinsic), F = 1,132,260, K = 1,103,813:
--     C0 = 28,447 -> NOV = -28,447.  Up 10%: F = 1,245,486, C = 141,673, loss 113,226 (scenarios 11/12);
--     up 20% at 35%: (254,899 - 28,447) x 0.35 = 79,258.2 < 113,226; down moves: gains.
--     scan = 113,226; maintenance = 113,226 + 28,447 = 141,673; initial = 1.1 x 141,673 = 155,840.3.
INSERT INTO pos VALUES ('h-nov', -1, 'Z', 'option', 'call', 1103813, 0, 1132260, 0.2, 'linear', 1, NULL, portmargin.span_scenarios(0.1, 0.04));
--     the same call held long: down 10% -> C = 0, loss 28,447 = scan; NOV = +28,447 -> requirement 0.
INSERT INTO pos VALUES ('h-long', 1, 'Z', 'option', 'call', 1103813, 0, 1132260, 0.2, 'linear', 1, NULL, portmargin.span_scenarios(0.1, 0.04));
--     CME HRP: maintenance 1,400 -> initial 1,540: long 1 future F = 17,500, PSR 8%:
--     loss at -8% = 1,400 (scenarios 13/14); -16% at 35% = 980; maintenance 1,400, initial 1,540.
INSERT INTO pos VALUES ('h-hrp', 1, 'Z', 'future', NULL, NULL, 0.25, 17500, NULL, 'linear', 1, NULL, portmargin.span_scenarios(0.08, 0.04));
-- (e) deribit-btc, long 1 BTC inverse perpetual (t = 0), F = index = 60,000:
--     pnl = m/(1+m) BTC; worst -16%: 0.16/0.84 = 0.19047619047619047 (extended moves clamped at -16%,
--     weighted < 1: smaller); roll = |1| x max(0.01, 0.075 x 0) x 1 = 0.01 BTC; no short side -> fc 0;
--     initial = 0.20047619047619047 BTC; maintenance = 0.8 x that = 0.16038095238095238.
INSERT INTO pos VALUES ('e', 1, 'BTC', 'perpetual', NULL, NULL, 0, 60000, NULL, 'inverse', 1, 60000, portmargin.preset('deribit-btc'));
--     the same 1 BTC as 10 contracts of 0.1 BTC
INSERT INTO pos VALUES ('e10', 10, 'BTC', 'perpetual', NULL, NULL, 0, 60000, NULL, 'inverse', 0.1, 60000, portmargin.preset('deribit-btc'));
-- (f) Deribit contingencies (margin-methods.md, older published rules):
--     call +10, put -20 at one strike and expiry: net -10 -> 0.01 x 10 = 0.1 BTC
INSERT INTO pos VALUES
  ('f1', 10, 'BTC', 'option', 'call', 60000, 0.1, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios()),
  ('f1', -20, 'BTC', 'option', 'put', 60000, 0.1, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios());
--     different strikes do not net: K 60,000 net +10 -> 0, K 55,000 net -20 -> 0.2 BTC
INSERT INTO pos VALUES
  ('f1b', 10, 'BTC', 'option', 'call', 60000, 0.1, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios()),
  ('f1b', -20, 'BTC', 'option', 'put', 55000, 0.1, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios());
--     different expiries do not net: -5 calls t=0.1 -> 0.05, +5 calls t=0.2 -> 0
INSERT INTO pos VALUES
  ('f1c', -5, 'BTC', 'option', 'call', 60000, 0.1, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios()),
  ('f1c', 5, 'BTC', 'option', 'call', 60000, 0.2, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios());
--     +100 BTC future (t 0.25) and -100 BTC future (t 0.5), F = 60,000 both: fc = 0.01 x min(100, 100) = 1 BTC;
--     pnl = 100 m/(1+m) - 100 m/(1+m) = 0 -> scan 0;
--     roll = 100 x max(0.01, 0.075 x 0.25 = 0.01875) + 100 x max(0.01, 0.0375) = 1.875 + 3.75 = 5.625 BTC;
--     initial = 0 + 0 + 1 + 5.625 = 6.625 BTC, maintenance = 5.3 BTC.
INSERT INTO pos VALUES
  ('f2', 100, 'BTC', 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse', 1, 60000, portmargin.deribit_scenarios()),
  ('f2', -100, 'BTC', 'future', NULL, NULL, 0.5, 60000, NULL, 'inverse', 1, 60000, portmargin.deribit_scenarios());
-- (g) OKX MR7 (margin-methods.md: raw 30,000 with tiers 0-10k x1, 10k-70k x2 -> 10,000 + 20,000 x 2 = 50,000):
--     minimum_charge_rate 1%, +15 and -15 linear futures (same expiry t 0.25) at F = 100,000:
--     gross notional G = 30 x 100,000 = 3,000,000 -> raw MR7 = 30,000 -> tiered 50,000.
--     pnl: 15 x 100000 m - 15 x 100000 m = 0 -> scan 0; net delta at t 0.25 = 0 -> basis 0.
--     mmr = max(0 + 0, 50,000) = 50,000 = maintenance; initial = 1.3 x 50,000 = 65,000.
INSERT INTO pos SELECT 'g', q, 'IDX', 'future', NULL, NULL, 0.25, 100000, NULL, 'linear', 1, NULL,
    portmargin.okx_scenarios(minimum_charge_rate => 0.01, minimum_charge_tiers => '{0,10000,70000}', minimum_charge_multipliers => '{1,2,4}')
  FROM unnest('{15,-15}'::float8[]) q;
--     +/-40: G = 8,000,000, raw 80,000 -> 10,000 x 1 + 60,000 x 2 + 10,000 x 4 = 170,000; initial 221,000
INSERT INTO pos SELECT 'g2', q, 'IDX', 'future', NULL, NULL, 0.25, 100000, NULL, 'linear', 1, NULL,
    portmargin.okx_scenarios(minimum_charge_rate => 0.01, minimum_charge_tiers => '{0,10000,70000}', minimum_charge_multipliers => '{1,2,4}')
  FROM unnest('{40,-40}'::float8[]) q;
--     inverse: +/-25 BTC futures, index 60,000: G = 50 BTC, raw 0.5 BTC = 30,000 USD -> 50,000 USD
--     -> 50,000 / 60,000 = 0.8333333333333334 BTC; initial 1.3 x = 1.0833333333333333 BTC (currency BTC)
INSERT INTO pos SELECT 'g3', q, 'BTC', 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse', 1, 60000,
    portmargin.okx_scenarios(minimum_charge_rate => 0.01, minimum_charge_tiers => '{0,10000,70000}', minimum_charge_multipliers => '{1,2,4}')
  FROM unnest('{25,-25}'::float8[]) q;
--     MR4 basis: long 1 future t 0.5, short 1 perpetual (t 0), F = 100 both, okx(): pnl 0 -> scan 0;
--     basis = |+1| x 0.05 x 0.5 x 100 + |-1| x 0.05 x 0 x 100 = 2.5 = maintenance; initial 3.25
INSERT INTO pos VALUES
  ('g4', 1, 'IDX', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, portmargin.okx_scenarios()),
  ('g4', -1, 'IDX', 'perpetual', NULL, NULL, 0, 100, NULL, 'linear', 1, NULL, portmargin.okx_scenarios());
--     long 1 future t 0.5, F = 100: MR1 -12% -> 12, MR6 -24% x 0.5 -> 12: scan 12; basis 2.5;
--     mmr = max(14.5, 0) = 14.5; initial 1.3 x 14.5 = 18.85
INSERT INTO pos VALUES ('g5', 1, 'IDX', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL, portmargin.okx_scenarios());
-- (i) FINRA per-contract minimum: long 10 deep OTM calls (K 200, F 100, t 0.1, vol 20%) x 100:
--     the most a long option can lose is its premium, 1,000 x C0 ~ 1e-20 (C0 at 10.9 sd OTM),
--     so scan << 0.375 x 100 x 10 = 375 -> requirement 375 (initial = maintenance).
INSERT INTO pos VALUES ('i', 10, 'XYZ', 'option', 'call', 200, 0.1, 100, 0.2, 'linear', 100, NULL, portmargin.preset('finra-equity'));
--     short 1 ATM put (K 100, t 0.1, vol 30%) x 100: worst point -15%: 100 (P(85) - P(100)) >> 37.5
INSERT INTO pos VALUES ('i2', -1, 'XYZ', 'option', 'put', 100, 0.1, 100, 0.3, 'linear', 100, NULL, portmargin.preset('finra-equity'));
--     the same 10 calls plus 1 long future (F 100, x100): futures do not count toward the per-contract
--     minimum (still 0.375 x 100 x 10 = 375); the future loses 100 x 100 x 15% = 1,500 at -15% (the calls
--     lose at most their ~1e-20 premium there) -> scan 1,500 = requirement.
INSERT INTO pos SELECT 'i3', qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s FROM pos WHERE book = 'i';
INSERT INTO pos VALUES ('i3', 1, 'XYZ', 'future', NULL, NULL, 0.1, 100, NULL, 'linear', 100, NULL, portmargin.preset('finra-equity'));
-- Deribit cross-currency offset: long 1 BTC inverse perpetual (index 60,000), short 20 ETH inverse
-- perpetual (index 3,000); same scenario moves for both.  In USD:
--   loss_A(m) = -w 60000 m/(1+m), loss_B = -loss_A.  scan_A = 60000 x 0.16/0.84 = 11428.571428571428,
--   scan_B = 20 x 3000 x 0.16/1.16 = 8275.862068965517; roll 0.01 BTC = 600 + 0.2 ETH = 600.
--   Per scenario the gaining unit contributes -min(0.6 gain, M): combined = x - min(0.6 x, M), x = |loss_A|,
--   largest at x = 11428.571428571428 (m = -16%, w = 1).
--   M = 1e9:  combined = 0.4 x 11428.57.. = 4571.428571428571; offset = 19704.433497536945 - 4571.428571428571
--             = 15133.004926108374; initial = (12028.571428571428 + 8875.862068965517) - offset = 5771.428571428571
--   M = 1000: combined = 10428.571428571428; offset = 9275.862068965517; initial = 11628.571428571428
--   pnl_offset 0 (deribit-btc): no offset; initial = 20904.433497536945.
INSERT INTO pos SELECT b, q, u, 'perpetual', NULL, NULL, 0, f, NULL, 'inverse', 1, f, s
  FROM (VALUES ('x', portmargin.deribit_scenarios(0.16, pnl_offset => 0.6, max_offsetable_pnl => 1e9)),
               ('x2', portmargin.deribit_scenarios(0.16, pnl_offset => 0.6, max_offsetable_pnl => 1000)),
               ('x0', portmargin.preset('deribit-btc'))) b(b, s),
       (VALUES (1::float8, 'BTC', 60000::float8), (-20, 'ETH', 3000)) p(q, u, f);
-- mixed currencies without offset (deribit-btc): BTC inverse perpetual +1 (index 60,000) and SOL linear
-- future +1 (t 0.25, F 150): report in USD.  scan = 11428.571428571428 + 150 x 0.16 = 11452.571428571428;
-- roll = 0.01 x 60000 + max(0.01, 0.01875) x 150 = 600 + 2.8125 = 602.8125; initial = 12055.383928571428;
-- unit margins {12028.571428571428, 26.8125}.
INSERT INTO pos VALUES
  ('mix', 1, 'BTC', 'perpetual', NULL, NULL, 0, 60000, NULL, 'inverse', 1, 60000, portmargin.deribit_scenarios(0.16)),
  ('mix', 1, 'SOL', 'future', NULL, NULL, 0.25, 150, NULL, 'linear', 1, NULL, portmargin.deribit_scenarios(0.16));
-- (deribit_scenarios(0.16): deribit-btc up to 0.3.x, the set of test/fixtures/margin_state_v1.txt's 'mix' state)
-- Deribit roll shock on options: net delta per expiry.
--   r1: long 1 linear SOL call K 150, F 150, t 0.5, vol 80%: roll = N(d1) x 0.0375 x 150
--   r2: long 1 inverse BTC call K 60,000, F 60,000, t 0.5, vol 60%: delta = N(d1) - C/F (coin), roll = |delta| x 0.0375
--   r3: r1 hedged with -N(d1) futures at the same expiry: net delta 0 -> roll 0
--   r4: r1 hedged at another expiry (t 0.25): roll = N(d1) (0.0375 + 0.01875) x 150
INSERT INTO pos VALUES
  ('r1', 1, 'SOL', 'option', 'call', 150, 0.5, 150, 0.8, 'linear', 1, NULL, portmargin.deribit_scenarios()),
  ('r2', 1, 'BTC', 'option', 'call', 60000, 0.5, 60000, 0.6, 'inverse', 1, 60000, portmargin.deribit_scenarios());
INSERT INTO pos SELECT 'r3', qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s FROM pos WHERE book = 'r1';
INSERT INTO pos VALUES ('r3', -portmargin.black76_delta('call', 150, 150, 0.5, 0.8, 0), 'SOL', 'future', NULL, NULL, 0.5, 150, NULL, 'linear', 1, NULL, portmargin.deribit_scenarios());
INSERT INTO pos SELECT 'r4', qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s FROM pos WHERE book = 'r1';
INSERT INTO pos VALUES ('r4', -portmargin.black76_delta('call', 150, 150, 0.5, 0.8, 0), 'SOL', 'future', NULL, NULL, 0.25, 150, NULL, 'linear', 1, NULL, portmargin.deribit_scenarios());

-- expected scalar fields ----------------------------------------------------------
CREATE TEMP TABLE want (book text, field text, v float8);
-- option legs of (b2), (d), (i2) from Black-76 (rate 0)
CREATE TEMP TABLE spm (idx int, m float8, dv float8, w float8);
INSERT INTO spm VALUES
  (1, 0, 0.04, 1), (2, 0, -0.04, 1), (3, 0.08 / 3, 0.04, 1), (4, 0.08 / 3, -0.04, 1), (5, -0.08 / 3, 0.04, 1), (6, -0.08 / 3, -0.04, 1),
  (7, 0.16 / 3, 0.04, 1), (8, 0.16 / 3, -0.04, 1), (9, -0.16 / 3, 0.04, 1), (10, -0.16 / 3, -0.04, 1),
  (11, 0.08, 0.04, 1), (12, 0.08, -0.04, 1), (13, -0.08, 0.04, 1), (14, -0.08, -0.04, 1), (15, 0.16, 0, 0.35), (16, -0.16, 0, 0.35);
CREATE TEMP TABLE d_exp AS
SELECT (SELECT greatest(0, max(-w * (-50 * (pg_temp.b76('call', 100 * (1 + m), 110, 30 / 365.0 - 1 / 365.0, 0.25 + dv) - c0)
                                   - 50 * (pg_temp.b76('put', 100 * (1 + m), 90, 30 / 365.0 - 1 / 365.0, 0.25 + dv) - p0)))) FROM spm) AS scan,
       50 * (c0 + p0) AS prem
FROM (SELECT pg_temp.b76('call', 100, 110, 30 / 365.0, 0.25) c0, pg_temp.b76('put', 100, 90, 30 / 365.0, 0.25) p0) x;
CREATE TEMP TABLE b2_exp AS
SELECT array_agg(100 * m - (pg_temp.b76('call', 100 * (1 + m), 95, 0.25, 0.2) - pg_temp.b76('call', 100, 95, 0.25, 0.2)) ORDER BY i) AS pnl
FROM unnest('{-0.2,-0.1,0,0.1,0.2}'::float8[]) WITH ORDINALITY u(m, i);
CREATE TEMP TABLE i2_exp AS
SELECT greatest(0, max(100 * (pg_temp.b76('put', 100 * (1 + m), 100, 0.1, 0.3) - pg_temp.b76('put', 100, 100, 0.1, 0.3)))) AS scan
FROM unnest('{-0.15,-0.12,-0.09,-0.06,-0.03,0.03,0.06,0.09,0.12,0.15}'::float8[]) m;
CREATE TEMP TABLE r_exp AS
SELECT portmargin.black76_delta('call', 150, 150, 0.5, 0.8, 0) AS d1,
       portmargin.black76_delta('call', 60000, 60000, 0.5, 0.6, 0) - pg_temp.b76('call', 60000, 60000, 0.5, 0.6) / 60000 AS d2;

INSERT INTO want VALUES
  ('a', 'initial_margin', 10), ('a', 'maintenance_margin', 10), ('a', 'scan_loss', 10),
  ('a-null', 'initial_margin', 10), ('a-null', 'scan_loss', 10),
  ('a-short', 'initial_margin', 10), ('a-short', 'worst_scenario', 3),
  ('a-w', 'scan_loss', 5), ('a-w', 'initial_margin', 7.5), ('a-w', 'maintenance_margin', 6),
  ('b', 'scan_loss', 15), ('b', 'initial_margin', 15), ('b', 'maintenance_margin', 15), ('b', 'worst_scenario', 1),
  ('c', 'scan_loss', 0), ('c', 'roll_shock', 7.125), ('c', 'option_contingency', 0), ('c', 'futures_contingency', 1.5),
  ('c', 'initial_margin', 8.625), ('c', 'maintenance_margin', 0.8 * 8.625), ('c', 'cross_margin_offset', 0),
  ('h-nov', 'scan_loss', 113226), ('h-nov', 'net_option_value', -28447), ('h-nov', 'maintenance_margin', 141673),
  ('h-nov', 'initial_margin', 155840.3), ('h-nov', 'short_option_minimum', 0),
  ('h-long', 'scan_loss', 28447), ('h-long', 'net_option_value', 28447), ('h-long', 'maintenance_margin', 0), ('h-long', 'initial_margin', 0),
  ('h-hrp', 'maintenance_margin', 1400), ('h-hrp', 'initial_margin', 1540), ('h-hrp', 'net_option_value', 0),
  ('e', 'scan_loss', 0.16 / 0.84), ('e', 'roll_shock', 0.01), ('e', 'futures_contingency', 0), ('e', 'option_contingency', 0),
  ('e', 'initial_margin', 0.16 / 0.84 + 0.01), ('e', 'maintenance_margin', 0.8 * (0.16 / 0.84 + 0.01)),
  ('e10', 'initial_margin', 0.16 / 0.84 + 0.01), ('e10', 'roll_shock', 0.01),
  ('f1', 'option_contingency', 0.1), ('f1b', 'option_contingency', 0.2), ('f1c', 'option_contingency', 0.05),
  ('f1', 'futures_contingency', 0),
  ('f2', 'futures_contingency', 1), ('f2', 'option_contingency', 0), ('f2', 'scan_loss', 0), ('f2', 'roll_shock', 5.625),
  ('f2', 'initial_margin', 6.625), ('f2', 'maintenance_margin', 5.3),
  ('g', 'minimum_charge', 50000), ('g', 'maintenance_margin', 50000), ('g', 'initial_margin', 65000), ('g', 'scan_loss', 0), ('g', 'basis_risk', 0),
  ('g2', 'minimum_charge', 170000), ('g2', 'maintenance_margin', 170000), ('g2', 'initial_margin', 221000),
  ('g3', 'minimum_charge', 50000 / 60000.0), ('g3', 'maintenance_margin', 50000 / 60000.0), ('g3', 'initial_margin', 1.3 * 50000 / 60000.0),
  ('g4', 'basis_risk', 2.5), ('g4', 'scan_loss', 0), ('g4', 'minimum_charge', 0), ('g4', 'maintenance_margin', 2.5), ('g4', 'initial_margin', 3.25),
  ('g5', 'scan_loss', 12), ('g5', 'basis_risk', 2.5), ('g5', 'maintenance_margin', 14.5), ('g5', 'initial_margin', 18.85),
  ('i', 'per_contract_minimum', 375), ('i', 'initial_margin', 375), ('i', 'maintenance_margin', 375),
  ('i2', 'per_contract_minimum', 37.5),
  ('i3', 'per_contract_minimum', 375), ('i3', 'scan_loss', 1500), ('i3', 'initial_margin', 1500),
  ('x', 'scan_loss', 60000 * 0.16 / 0.84 + 60000 * 0.16 / 1.16), ('x', 'roll_shock', 1200),
  ('x', 'cross_margin_offset', 15133.004926108374), ('x', 'initial_margin', 5771.428571428571), ('x', 'maintenance_margin', 0.8 * 5771.428571428571),
  ('x2', 'cross_margin_offset', 9275.862068965517), ('x2', 'initial_margin', 11628.571428571428),
  ('x0', 'cross_margin_offset', 0), ('x0', 'initial_margin', 20904.433497536945),
  ('mix', 'scan_loss', 11452.571428571428), ('mix', 'roll_shock', 602.8125), ('mix', 'initial_margin', 12055.383928571428),
  ('mix', 'maintenance_margin', 0.8 * 12055.383928571428),
  ('r3', 'roll_shock', 0);
INSERT INTO want SELECT 'b2', 'scan_loss', greatest(0, -(SELECT min(p) FROM unnest(pnl) p)) FROM b2_exp;
INSERT INTO want SELECT 'b2', 'initial_margin', greatest(0, -(SELECT min(p) FROM unnest(pnl) p)) FROM b2_exp;
INSERT INTO want SELECT 'd', f, v FROM d_exp, LATERAL (VALUES ('scan_loss', scan), ('net_option_value', -prem), ('short_option_minimum', 0),
                                                             ('maintenance_margin', scan + prem), ('initial_margin', 1.1 * (scan + prem))) x(f, v);
INSERT INTO want SELECT 'd-som', f, v FROM d_exp, LATERAL (VALUES ('scan_loss', scan), ('net_option_value', -prem), ('short_option_minimum', 1000),
                                                             ('maintenance_margin', greatest(scan, 1000) + prem), ('initial_margin', 1.1 * (greatest(scan, 1000) + prem))) x(f, v);
INSERT INTO want SELECT 'i2', f, scan FROM i2_exp, unnest('{scan_loss,initial_margin,maintenance_margin}'::text[]) f;
INSERT INTO want SELECT 'r1', 'roll_shock', d1 * 0.0375 * 150 FROM r_exp;
INSERT INTO want SELECT 'r2', 'roll_shock', abs(d2) * 0.0375 FROM r_exp;
INSERT INTO want SELECT 'r4', 'roll_shock', d1 * (0.0375 + 0.01875) * 150 FROM r_exp;

SELECT pg_temp.near(pg_temp.mf(book, field), v, 1e-12, format('%s: %s = %s', book, field, v))
FROM want ORDER BY book, field;

-- non-scalar fields and the remaining checks of the hand-derived books ------------
SELECT is((pg_temp.m('a')).currency, 'USD', 'a: linear unit reports USD');
SELECT is((pg_temp.m('a')).worst_scenario, 1, 'a: worst scenario 1 (-10%)');
SELECT is((pg_temp.m('a')).worst_label, (SELECT label FROM portmargin.scenarios(portmargin.grid_scenarios('{-0.1,0,0.1}', '{0,0,0}')) WHERE idx = 1),
          'a: worst_label is the label of scenario 1');
SELECT is((pg_temp.m('a')).worst_unit, 'X (linear)', 'a: worst unit');
SELECT is((pg_temp.m('a')).risk_units, '{"X (linear)"}'::text[], 'a: risk units');
SELECT pg_temp.arr_is((pg_temp.m('a')).unit_margins, '{10}', 1e-12, 'a: unit margins {10}');
SELECT pg_temp.arr_is((pg_temp.m('a')).pnl, '{-10,0,10}', 1e-12, 'a: pnl {-10, 0, 10}');
SELECT is_empty($$SELECT f FROM unnest('{short_option_minimum,net_option_value,per_contract_minimum,option_contingency,futures_contingency,roll_shock,basis_risk,minimum_charge,cross_margin_offset}'::text[]) f
                  WHERE pg_temp.mf('a', f) IS DISTINCT FROM 0$$, 'a: every add-on a grid has not is 0');
SELECT is(to_json(pg_temp.m('a-null'))::text, to_json(pg_temp.m('a'))::text, 'NULL-quantity rows are skipped: same result as without them');
SELECT pg_temp.arr_is((pg_temp.m('a-short')).pnl, '{10,0,-10}', 1e-12, 'a-short: pnl {10, 0, -10}');
SELECT pg_temp.arr_is((pg_temp.m('a-w')).pnl, '{-10,0,10}', 1e-12, 'a-w: pnl is unweighted');
SELECT pg_temp.arr_is((pg_temp.m('b')).pnl, '{-15,-5,0,0,0}', 1e-12, 'b: covered call at expiry: pnl {-15, -5, 0, 0, 0}');
SELECT pg_temp.arr_is((pg_temp.m('b2')).pnl, (SELECT pnl FROM b2_exp), 1e-12, 'b2: covered call pnl = 100 m - (C(F_j) - C(F)) (Black-76)');
SELECT ok((pg_temp.m('h-nov')).worst_scenario IN (11, 12), 'h-nov: worst scenario is +1 x PSR (11 or 12)');
SELECT ok((pg_temp.m('h-hrp')).worst_scenario IN (13, 14), 'h-hrp: worst scenario is -1 x PSR (13 or 14)');
SELECT pg_temp.arr_is((pg_temp.m('h-nov')).unit_margins, '{113226}', 1e-12, 'h-nov: span unit margin = cc = max(scan, som)');
SELECT is_empty($$SELECT book FROM (SELECT DISTINCT book FROM pos p WHERE portmargin.scenario_method(p.s) = 'span') b, LATERAL pg_temp.m(book) r
                  WHERE r.initial_margin IS NULL OR abs(r.initial_margin - 1.1 * r.maintenance_margin) > 2.3e-16 * r.maintenance_margin$$,
                'span: initial = 1.10 x maintenance on every span book (exact up to one rounding)');
SELECT ok((SELECT scan FROM d_exp) < 1000, 'd-som: the short option minimum (1,000) exceeds the scan, so it binds');
SELECT is((pg_temp.m('e')).currency, 'BTC', 'e: inverse unit reports BTC');
SELECT is((pg_temp.m('e')).risk_units, '{"BTC (inverse)"}'::text[], 'e: risk unit BTC (inverse)');
SELECT ok((pg_temp.m('e')).worst_scenario IN (1, 2, 3), 'e: worst scenario is the -16% row (1, 2 or 3)');
SELECT pg_temp.arr_is((pg_temp.m('e')).pnl, (SELECT array_agg(x / (1 + x) ORDER BY idx) FROM (
          SELECT 3 * k + j AS idx, -0.16 + 0.04 * k AS x FROM generate_series(0, 8) k, generate_series(1, 3) j
          UNION ALL SELECT 27 + i::int, greatest(-0.16, least(0.16, m)) FROM unnest('{-0.66,-0.33,0.5,1,2,3,4,5}'::float8[]) WITH ORDINALITY u(m, i)) y),
       1e-15, 'e: pnl = m/(1+m) per scenario, extended clamped');
SELECT ok((pg_temp.m('i')).scan_loss < 375, 'i: scan of the long deep OTM calls is below the per-contract minimum');
SELECT is((pg_temp.m('x')).currency, 'USD', 'x: BTC and ETH units report USD');
SELECT is((pg_temp.m('x')).risk_units, '{"BTC (inverse)","ETH (inverse)"}'::text[], 'x: risk units sorted');
SELECT is((pg_temp.m('x')).worst_unit, 'BTC (inverse)', 'x: driving unit has the larger scan (11,428.57 > 8,275.86 USD)');
SELECT pg_temp.arr_is((pg_temp.m('x0')).unit_margins, '{12028.571428571428,8875.862068965517}', 1e-12, 'x0: unit margins rmm x index');
SELECT is((pg_temp.m('mix')).currency, 'USD', 'mix: inverse + linear -> USD');
SELECT is((pg_temp.m('mix')).risk_units, '{"BTC (inverse)","SOL (linear)"}'::text[], 'mix: risk units');
SELECT pg_temp.arr_is((pg_temp.m('mix')).unit_margins, '{12028.571428571428,26.8125}', 1e-12, 'mix: unit margins in USD');
SELECT pg_temp.arr_is((pg_temp.m('mix')).pnl,
       (SELECT array_agg(60000 * x / (1 + x) + 150 * x ORDER BY idx) FROM (
          SELECT 3 * k + j AS idx, -0.16 + 0.04 * k AS x FROM generate_series(0, 8) k, generate_series(1, 3) j
          UNION ALL SELECT 27 + i::int, greatest(-0.16, least(0.16, m)) FROM unnest('{-0.66,-0.33,0.5,1,2,3,4,5}'::float8[]) WITH ORDINALITY u(m, i)) y),
       1e-12, 'mix: pnl = sum over units of pnl x fx (BTC at its index)');
SELECT is((pg_temp.m('g3')).currency, 'BTC', 'g3: okx inverse unit in BTC');

-- empty group ---------------------------------------------------------------------
SELECT row_eq($$SELECT (r).* FROM (SELECT portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s) r FROM pos WHERE false) x$$,
  ROW(NULL::text, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8, 0::float8,
      NULL::int, NULL::text, NULL::text, '{}'::text[], '{}'::float8[], '{}'::float8[],
      NULL::float8, NULL::float8, NULL::float8, NULL::float8, '{}'::portmargin.unit_margin[])::portmargin.margin,
  'empty group: currency NULL, every amount 0, worst_* NULL, arrays empty, var fields NULL');

-- errors ------------------------------------------------------------------------
CREATE TEMP TABLE bad (q text, code text, arg text);
INSERT INTO bad VALUES
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', 'call', 100, 0.25, NULL, 0.3, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL forward (option)'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, NULL, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL forward (future)'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', NULL, 100, 0.25, 100, 0.3, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL option_type'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', 'call', NULL, 0.25, 100, 0.3, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL strike'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', 'call', 100, NULL, 100, 0.3, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL t'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', 'call', 100, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL vol'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, NULL::portmargin.scenario_set)$$, '22004', 'NULL scenarios'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, NULL::portmargin.rulebook)$$, '22004', 'NULL rules'),
  ($$SELECT portmargin.portfolio_margin(1, NULL, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL underlying'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', NULL, NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL kind'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, NULL, 1, NULL, portmargin.preset('span'))$$, '22004', 'NULL settlement'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', NULL, NULL, portmargin.preset('span'))$$, '22004', 'NULL multiplier'),
  ($$SELECT portmargin.portfolio_margin(q, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, s)
      FROM (VALUES (1::float8, portmargin.preset('span')), (1, portmargin.preset('deribit-btc'))) v(q, s)$$, '22023', 'mixed scenario sets'),
  ($$SELECT portmargin.portfolio_margin(q, 'BTC', 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse', 1, i, portmargin.preset('deribit-btc'))
      FROM (VALUES (1::float8, 60000::float8), (1, 61000)) v(q, i)$$, '22023', 'index_price differs within a unit'),
  ($$SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse', 1, 0, portmargin.preset('deribit-btc'))$$, '22023', 'index_price 0 (inverse)'),
  ($$SELECT portmargin.portfolio_margin(1, 'BTC', 'future', NULL, NULL, 0.25, 60000, NULL, 'inverse', 1, NULL, portmargin.preset('deribit-btc'))$$, '(22004|22023)', 'NULL index_price (inverse)'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'swap', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span'))$$, '22023', 'unknown kind'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'quanto', 1, NULL, portmargin.preset('span'))$$, '22023', 'unknown settlement'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', -1, NULL, portmargin.preset('span'))$$, '22023', 'negative multiplier'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'spot', NULL, NULL, 0, 100, NULL, 'inverse', 1, 100, portmargin.preset('deribit-btc'))$$, '22023', 'inverse spot'),
  ($$SELECT portmargin.portfolio_margin(1, 'X', 'option', 'call', 100, 0.25, 100, -0.3, 'linear', 1, NULL, portmargin.preset('span'))$$, '22023', 'negative vol'),
  ($$SELECT portmargin.merge_margin_states(st) FROM (
       SELECT portmargin.portfolio_margin_state(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('span')) st
       UNION ALL
       SELECT portmargin.portfolio_margin_state(1, 'X', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, portmargin.preset('deribit-btc'))) x$$,
   '22023', 'merging states of different scenario sets');
SELECT matches(pg_temp.err(q), '^' || code || ': ', format('%s -> ERROR %s', arg, code)) FROM bad ORDER BY arg;
-- and the same inverse row with a linear sibling carrying no index is fine
SELECT lives_ok($$SELECT portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, 100, NULL, st, 1, i, portmargin.preset('deribit-btc'))
                  FROM (VALUES (1::float8, 'BTC', 'inverse', 100::float8), (1, 'SOL', 'linear', NULL)) v(q, u, st, i)$$,
                'index_price is ignored (may be NULL) on linear rows');

-- margin_state: text round trip and robustness -------------------------------------
CREATE TEMP TABLE states AS
SELECT book, portmargin.portfolio_margin_state(qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s) AS st
FROM pos WHERE book IN ('d', 'x', 'mix', 'f1', 'g') GROUP BY book;
SELECT is((SELECT count(*)::int FROM states WHERE (st::text)::portmargin.margin_state::text = st::text), 5,
          'margin_state text round trip: out(in(out(s))) = out(s)');
SELECT is_empty($$SELECT book FROM states WHERE to_json(portmargin.finalize_margin((st::text)::portmargin.margin_state))::text
                                              IS DISTINCT FROM to_json(pg_temp.m(book))::text$$,
                'finalize_margin(state read back from text) = portfolio_margin');
SELECT is_empty($$SELECT book FROM states WHERE st::text !~ '^(\\x)?[0-9a-fA-F]+$'$$, 'margin_state text form is hex');
-- states written by 0.2.0 (format version 1, 4 doubles per bucket) are still read
CREATE TEMP TABLE states_v1 (book text, st text);
\copy states_v1 FROM PROGRAM 'grep -v "^#" test/fixtures/margin_state_v1.txt' WITH (FORMAT csv, DELIMITER '|')
SELECT is((SELECT count(*)::int FROM states_v1 WHERE st ~ '^\\x01'), 5, 'five version-1 margin_state fixtures');
SELECT is_empty($$SELECT book FROM states_v1 WHERE to_json(portmargin.finalize_margin(st::portmargin.margin_state))::text
                                                 IS DISTINCT FROM to_json(pg_temp.m(book))::text$$,
                'finalize_margin(version-1 state) = portfolio_margin of the same book now');
SELECT is_empty($$SELECT v.book FROM states_v1 v JOIN states s USING (book)
                  WHERE to_json(portmargin.finalize_margin((SELECT portmargin.merge_margin_states(x)
                                                            FROM (VALUES (v.st::portmargin.margin_state), (s.st)) m(x))))::text
                        IS DISTINCT FROM
                        to_json(portmargin.finalize_margin((SELECT portmargin.merge_margin_states(x)
                                                            FROM (VALUES (s.st), (s.st)) m(x))))::text$$,
                'merge(version-1 state, current state) = merge(current state, current state)');
-- every proper prefix of the hex (truncated state) and a few corruptions must raise an ERROR (not crash, not a value)
SELECT is((SELECT count(*)::int FROM states, generate_series(0, length(st::text) - 1) n
           WHERE pg_temp.err(format('SELECT portmargin.finalize_margin(%L::portmargin.margin_state)', left(st::text, n))) = 'no error'), 0,
          'every truncation of a margin_state (all prefix lengths of 5 states) raises an ERROR');
SELECT matches(pg_temp.err(format('SELECT portmargin.finalize_margin(%L::portmargin.margin_state)', left(st::text, length(st::text) / 2 / 2 * 2))), '^[0-9A-Z]{5}: ',
               'margin_state cut in half -> ERROR (' || book || ')')
FROM states ORDER BY book;
SELECT isnt(pg_temp.err(format('SELECT portmargin.finalize_margin(%L::portmargin.margin_state)', q)), 'no error', 'rejected margin_state text: ' || left(q, 40))
FROM (SELECT 'zz' AS q UNION ALL SELECT '' UNION ALL SELECT (SELECT st::text || '00' FROM states WHERE book = 'd')
      UNION ALL SELECT (SELECT st::text || 'abcdef0123456789' FROM states WHERE book = 'x')) x ORDER BY q;
SELECT isnt(pg_temp.err(format('SELECT portmargin.finalize_margin(portmargin.merge_margin_states(s)) FROM (VALUES (%L::portmargin.margin_state), (%L::portmargin.margin_state)) v(s)',
                               (SELECT st::text FROM states WHERE book = 'd'), left((SELECT st::text FROM states WHERE book = 'd'), 40))), 'no error',
            'merge with a truncated state -> ERROR');

-- joint-set margin_state readers: counts against the bytes present (issue 9, points 8 and 11a) --
-- A joint-set state (format version 2) as margin.c writes it: version, has_set, method 6, nparams 8,
-- nscen, the tail parameters (confidence, statistic, buffer, vol_relative, floor_count, nunderlyings 0,
-- has_vols 0, 8 hash bytes), the weight flag (1: two group weights follow, 0: one weight per scenario),
-- the weights, then the risk units: count, name, settlement byte, 8 doubles, nscen P&L doubles, two
-- bucket counts.  Built here byte by byte from that layout, not from a run of the code.
CREATE FUNCTION pg_temp.var_state(nscen int, flag text, weights bytea, floor_count float8, units bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $f$
  SELECT '\x' || encode('\x0201'::bytea || int2send(6::int2) || int4send(8) || int4send(nscen)
                        || float8send(0.99) || float8send(1) || float8send(0) || float8send(0) || float8send(floor_count)
                        || float8send(0) || float8send(0) || '\x0123456789abcdef'::bytea
                        || decode(flag, 'hex') || weights || units, 'hex')
$f$;
-- one linear unit 'A' with a P&L vector of n doubles and no buckets
CREATE FUNCTION pg_temp.var_unit(n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
  SELECT int4send(1) || convert_to('A', 'UTF8') || '\x0000'::bytea
         || float8send(0) || float8send(100) || float8send(0) || float8send(0) || float8send(0)
         || float8send(1) || float8send(0) || float8send(100)
         || (SELECT string_agg(float8send(-i::float8), ''::bytea ORDER BY i) FROM generate_series(1, n) i)
         || int4send(0) || int4send(0)
$f$;
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state IS NOT NULL',
                             pg_temp.var_state(3, '01', float8send(1) || float8send(0), 0, pg_temp.var_unit(3)))), 'no error',
          'a hand-built joint-set margin_state (3 scenarios, uniform weights, one unit) is read');
SELECT is((portmargin.finalize_margin(pg_temp.var_state(3, '01', float8send(1) || float8send(0), 0, pg_temp.var_unit(3))::portmargin.margin_state)).pnl,
          '{-1,-2,-3}'::float8[], 'its P&L vector is the one written');
-- 11a: about 100 bytes claiming 10 million scenarios (uniform weights take 2 doubles) and no unit:
-- 0.3.0 allocated the 320 MB set and accepted the state; the P&L the scenarios need is not there
SELECT is(length(pg_temp.var_state(10000000, '01', float8send(1) || float8send(0), 0, int4send(0))), 2 + 2 * 97,
          'the crafted joint-set state is 97 bytes');
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  pg_temp.var_state(10000000, '01', float8send(1) || float8send(0), 0, int4send(0)))),
               '^22P03: invalid portfolio margin state: a joint scenario set of 10000000 scenarios without the P&L of its risk units',
               '97 bytes claiming 10,000,000 scenarios -> 22P03 before anything is allocated');
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  pg_temp.var_state(100000, '01', float8send(1) || float8send(0), 0, pg_temp.var_unit(3)))),
               '^22P03: ', 'a unit whose P&L is shorter than the claimed 100,000 scenarios -> 22P03');
-- a state with a set and no risk unit is never written (a unit comes with the set)
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  pg_temp.var_state(3, '01', float8send(1) || float8send(0), 0, int4send(0)
                                                    || pg_temp.var_unit(3)))),
               '^22P03: ', 'a joint-set state with zero units (followed by stray bytes) -> 22P03');
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  left((SELECT st::text FROM states WHERE book = 'd'), 2 + 2 * (1 + 1 + 2 + 4 + 4 + 8 * 7 + 26 * 16)) || '00000000')),
               '^22P03: invalid portfolio margin state: a scenario set without risk units',
               'a SPAN state cut after its set, with a unit count of 0 -> 22P03');
-- 11a: the weight flag is a byte 0 or 1; 0.3.0 read it as a signed char, so 0x80..0xff passed "> 1"
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  pg_temp.var_state(3, f, float8send(1) || float8send(0), 0, pg_temp.var_unit(3)))),
               '^22P03: invalid portfolio margin state: joint scenario weight flag ' || ('x' || f)::bit(8)::int || ' out of range',
               'weight flag 0x' || f || ' -> 22P03')
FROM unnest('{02,7f,80,ff}'::text[]) f;
-- 8: the floor count is range-checked before it is converted to int (0.3.0 converted 1e300 first: undefined)
SELECT matches(pg_temp.err(format('SELECT %L::portmargin.margin_state',
                                  pg_temp.var_state(3, '01', float8send(1) || float8send(1), fc, pg_temp.var_unit(3)))),
               '^22P03: invalid portfolio margin state: joint scenario set parameters out of range',
               'floor count ' || fc || ' -> 22P03')
FROM unnest('{1e300,-1e300,2147483648,-2147483649,4294967296,3,0.5,-0.5}'::float8[]) fc;
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state IS NOT NULL',
                             pg_temp.var_state(3, '01', float8send(1) || float8send(0.5), 2, pg_temp.var_unit(3)))), 'no error',
          'floor count 2 of 3 scenarios is read');

-- 11b: a set that its method's constructor would not build is rejected with the reason (problem codes,
-- no caught ERROR): book d's SPAN state (header 12 bytes, 7 parameters, 16 scenarios of 26 bytes)
-- with one byte range replaced
CREATE FUNCTION pg_temp.patched(st text, byte int, hex text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT overlay(st placing hex from 3 + 2 * byte for length(hex))
$f$;
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state', pg_temp.patched(st::text, 12, encode(float8send(5), 'hex')))),
          '22P03: invalid portfolio margin state: the scenario set does not match its method''s parameters: '
          'invalid value for argument "price_scan_range": 5 (The argument must be greater than 0 and less than 1.)',
          'a SPAN state with price_scan_range 5 -> 22P03 naming the parameter')
FROM states WHERE book = 'd';
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state', pg_temp.patched(st::text, 12 + 2 * 8, encode(float8send(20), 'hex')))),
          '22P03: invalid portfolio margin state: the scenario set does not match its method''s parameters: '
          'invalid value for argument "extreme_multiple": 20 (extreme_multiple x price_scan_range must stay below 1 (a move above -100%).)',
          'a SPAN state with extreme_multiple 20 (x 0.08 > 1) -> 22P03 naming it')
FROM states WHERE book = 'd';
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state', pg_temp.patched(st::text, 12 + 7 * 8, encode(float8send(0.5), 'hex')))),
          '22P03: invalid portfolio margin state: the scenario set does not match its method''s parameters: '
          'its scenarios are not the ones its parameters give',
          'a SPAN state whose first scenario moves 50% -> 22P03: its scenarios differ')
FROM states WHERE book = 'd';
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state', pg_temp.patched(st::text, 2, '0002'))),
          '22P03: invalid portfolio margin state: the scenario set does not match its method''s parameters: '
          '7 parameters do not fit the tims method''s layout',
          'a SPAN state relabelled TIMS -> 22P03: the layout')
FROM states WHERE book = 'd';
SELECT is(pg_temp.err(format('SELECT %L::portmargin.margin_state', pg_temp.patched(st::text, 2, '0005'))),
          '22P03: invalid portfolio margin state: the scenario set does not match its method''s parameters: '
          '7 parameters do not fit the grid method''s layout',
          'a SPAN state relabelled grid -> 22P03: the layout')
FROM states WHERE book = 'd';

-- joint sets up to 16 MB keep the content hash 0.3.0 gave them (sets are now hashed in interruptible
-- 16 MB pieces): the same books of futures give the same state bytes as 0.3.0 wrote
CREATE TEMP TABLE states_var (book text, st text);
\copy states_var FROM PROGRAM 'grep -v "^#" test/fixtures/margin_state_var_v2.txt' WITH (FORMAT csv, DELIMITER '|')
SELECT is((SELECT st FROM states_var WHERE book = 'joint'),
          (SELECT portmargin.portfolio_margin_state(q, u, 'future', NULL, NULL, 0.25, f, NULL, 'linear', 1, NULL,
              portmargin.with_floor(portmargin.blend_scenarios(portmargin.var_scenarios('{BTC,ETH}', '{{0.1,-0.05},{-0.2,0.1},{0.05,0.02}}'),
                                                               portmargin.var_scenarios('{ETH,BTC}', '{{0.1,-0.3}}'), 0.3),
                                    portmargin.var_scenarios('{BTC,ETH}', '{{-0.5,0.2}}')))::text
           FROM (VALUES (2::float8, 'BTC', 60000::float8), (-3, 'ETH', 3000)) b(q, u, f)),
          'a blended joint set with a floor group: the state (and set hash) 0.3.0 wrote');
SELECT is((SELECT st FROM states_var WHERE book = 'weighted'),
          portmargin.portfolio_margin_state(1, 'A', 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL,
              portmargin.var_scenarios('{A}', '{0.1,-0.2,0.05,-0.01}', weights => '{1,0.5,0.25,1}', confidence => 0.75,
                                       statistic => 'var', buffer => 0.25))::text,
          'a weighted joint set: the state (and set hash) 0.3.0 wrote');

-- random book: aggregate vs plain SQL over risk_array ----------------------------------
SELECT setseed(0.4242);
CREATE TEMP TABLE instr AS
SELECT row_number() OVER (ORDER BY u.und, x.kind, x.t, x.otype, x.km)::int AS iid, u.und, x.kind, x.otype,
       u.f0 * x.km AS k, x.t, u.f0 * (1 + 0.02 * x.t) AS f, u.vol0 + 0.05 * x.km AS vol
FROM (VALUES ('BTC', 60000::float8, 0.55::float8), ('ETH', 3000, 0.65), ('SOL', 150, 0.85)) u(und, f0, vol0),
     LATERAL (SELECT 'perpetual' kind, NULL::text otype, NULL::float8 km, 0::float8 t
              UNION ALL SELECT 'future', NULL, NULL, d / 365.0 FROM unnest('{7,30,90}'::float8[]) d
              UNION ALL SELECT 'option', ot, km, d / 365.0 FROM unnest('{call,put}'::text[]) ot, unnest('{0.9,1.1}'::float8[]) km,
                                                               unnest('{7,30,90}'::float8[]) d) x;
UPDATE instr SET k = NULL, vol = NULL WHERE kind <> 'option';
CREATE TEMP TABLE bk AS
SELECT i AS id, 1 + i % 4 AS acct, 1 + floor(random() * 48)::int AS iid, round((random() * 20 - 10)::numeric, 1)::float8 AS qty
FROM generate_series(1, 12000) i;
SELECT is((SELECT count(*)::int FROM instr), 48, 'random book: 48 instruments on 3 underlyings');

CREATE TEMP TABLE rb_got AS
SELECT acct, portmargin.portfolio_margin(b.qty, i.und, i.kind, i.otype, i.k, i.t, i.f, i.vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r
FROM bk b JOIN instr i USING (iid) GROUP BY acct;
CREATE TEMP TABLE rb_ra AS
SELECT iid, portmargin.risk_array(portmargin.deribit_scenarios(), kind, otype, k, t, f, vol, 'linear', 1) AS a FROM instr;
CREATE TEMP TABLE rb_unit AS
SELECT b.acct, i.und, e.j, sum(b.qty * e.v) AS pnl
FROM bk b JOIN instr i USING (iid) JOIN rb_ra r USING (iid), unnest(r.a) WITH ORDINALITY e(v, j)
GROUP BY 1, 2, 3;
CREATE TEMP TABLE rb_want AS
SELECT s.acct, s.scan, d.roll, o.oc, fc.fc, p.pnl
FROM (SELECT acct, sum(scan) AS scan FROM (
        SELECT u.acct, u.und, greatest(0, max(-u.pnl * w.weight)) AS scan
        FROM rb_unit u JOIN portmargin.scenarios(portmargin.deribit_scenarios()) w ON w.idx = u.j GROUP BY 1, 2) x GROUP BY acct) s
JOIN (SELECT acct, sum(abs(delta) * greatest(0.01, 0.075 * t) * f) AS roll FROM (
        SELECT b.acct, i.und, i.t, i.f,
               sum(b.qty * CASE WHEN i.kind = 'option' THEN portmargin.black76_delta(i.otype, i.f, i.k, i.t, i.vol, 0) ELSE 1 END) AS delta
        FROM bk b JOIN instr i USING (iid) GROUP BY 1, 2, 3, 4) x GROUP BY acct) d USING (acct)
-- contingencies are quoted in coin; these linear (USD) units pay them at the
-- unit's highest forward among the account's rows of that underlying
JOIN (SELECT acct, sum(0.01 * short * maxf) AS oc FROM (
        SELECT n.acct, n.und, sum(greatest(0, -n.net)) AS short, max(m.maxf) AS maxf
        FROM (SELECT b.acct, i.und, i.t, i.k, sum(b.qty) AS net FROM bk b JOIN instr i USING (iid)
              WHERE i.kind = 'option' GROUP BY 1, 2, 3, 4) n
        JOIN (SELECT b.acct, i.und, max(i.f) AS maxf FROM bk b JOIN instr i USING (iid) GROUP BY 1, 2) m USING (acct, und)
        GROUP BY 1, 2) x GROUP BY acct) o USING (acct)
JOIN (SELECT acct, sum(0.01 * least(l, sh) * maxf) AS fc FROM (
        SELECT f.acct, f.und, f.l, f.sh, m.maxf
        FROM (SELECT b.acct, i.und, coalesce(sum(b.qty) FILTER (WHERE b.qty > 0), 0) AS l, coalesce(-sum(b.qty) FILTER (WHERE b.qty < 0), 0) AS sh
              FROM bk b JOIN instr i USING (iid) WHERE i.kind IN ('future', 'perpetual') GROUP BY 1, 2) f
        JOIN (SELECT b.acct, i.und, max(i.f) AS maxf FROM bk b JOIN instr i USING (iid) GROUP BY 1, 2) m USING (acct, und)) x GROUP BY acct) fc USING (acct)
JOIN (SELECT acct, array_agg(p ORDER BY j) AS pnl FROM (SELECT acct, j, sum(pnl) AS p FROM rb_unit GROUP BY 1, 2) x GROUP BY acct) p USING (acct);

SELECT is((SELECT count(*)::int FROM rb_got g JOIN rb_want w USING (acct)), 4, 'random book: 4 accounts');
SELECT pg_temp.near((g.r).scan_loss, w.scan, 1e-9, format('random book acct %s: scan_loss = SQL sum over units of max(0, max_j -w_j sum q ra_j)', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT pg_temp.near((g.r).roll_shock, w.roll, 1e-9, format('random book acct %s: roll_shock = SQL sum |net delta_e| max(0.01, 0.075 t_e) F_e', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT pg_temp.near((g.r).option_contingency, w.oc, 1e-9, format('random book acct %s: option contingency = 0.01 sum max(0, -net qty per (t, K)) x highest forward', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT pg_temp.near((g.r).futures_contingency, w.fc, 1e-9, format('random book acct %s: futures contingency = 0.01 min(long, short) x highest forward per unit', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT pg_temp.near((g.r).initial_margin, w.scan + w.oc + w.fc + w.roll, 1e-9, format('random book acct %s: initial = scan + contingencies + roll (no offset)', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT ok(pg_temp.vec_close((g.r).pnl, w.pnl, 1e-12), format('random book acct %s: pnl vector = SQL sum over units (norm-wise 1e-12)', acct))
FROM rb_got g JOIN rb_want w USING (acct) ORDER BY acct;
SELECT is((SELECT count(*)::int FROM rb_got WHERE (r).risk_units = '{"BTC (linear)","ETH (linear)","SOL (linear)"}'), 4,
          'random book: three linear units per account');

-- sharding: states per half / per third, merged, finalized = one pass ---------------------
CREATE FUNCTION pg_temp.same(a portmargin.margin, b portmargin.margin, tol float8) RETURNS boolean LANGUAGE sql AS $f$
  SELECT a.initial_margin IS NOT NULL AND b.initial_margin IS NOT NULL
     AND a.currency IS NOT DISTINCT FROM b.currency AND a.risk_units = b.risk_units
     AND (a.var, a.expected_shortfall, a.floor_statistic, a.apc_buffer) IS NOT DISTINCT FROM
         (b.var, b.expected_shortfall, b.floor_statistic, b.apc_buffer)
     AND NOT EXISTS (SELECT 1 FROM (VALUES (a.initial_margin, b.initial_margin), (a.maintenance_margin, b.maintenance_margin),
                                           (a.scan_loss, b.scan_loss), (a.option_contingency, b.option_contingency),
                                           (a.futures_contingency, b.futures_contingency), (a.roll_shock, b.roll_shock),
                                           (a.short_option_minimum, b.short_option_minimum), (a.net_option_value, b.net_option_value),
                                           (a.per_contract_minimum, b.per_contract_minimum), (a.basis_risk, b.basis_risk),
                                           (a.minimum_charge, b.minimum_charge), (a.cross_margin_offset, b.cross_margin_offset)) v(x, y)
                     WHERE NOT abs(x - y) <= tol * greatest(1, abs(y)))
     AND pg_temp.arr_close(a.unit_margins, b.unit_margins, tol)
     AND pg_temp.vec_close(a.pnl, b.pnl, tol)
$f$;
-- the fields of two results that differ by more than tol (for diagnostics)
CREATE FUNCTION pg_temp.diff(a portmargin.margin, b portmargin.margin, tol float8) RETURNS text LANGUAGE sql AS $f$
  SELECT concat_ws('; ',
           string_agg(format('%s: %s vs %s', f, x, y), '; ')
             FILTER (WHERE CASE WHEN f IN ('currency', 'worst_label', 'worst_unit', 'risk_units', 'worst_scenario') THEN x IS DISTINCT FROM y
                                ELSE NOT abs(x::float8 - y::float8) <= tol * greatest(1, abs(y::float8)) END),
           CASE WHEN NOT pg_temp.arr_close(a.unit_margins, b.unit_margins, tol) THEN format('unit_margins: %s vs %s', a.unit_margins, b.unit_margins) END,
           CASE WHEN NOT pg_temp.vec_close(a.pnl, b.pnl, tol) THEN format('pnl: %s vs %s', a.pnl, b.pnl) END)
  FROM (SELECT key, x.value, y.value FROM json_each_text(to_json(a)) x JOIN json_each_text(to_json(b)) y USING (key)
        WHERE key NOT IN ('unit_margins', 'pnl')) v(f, x, y)
$f$;
SELECT is((SELECT count(*)::int FROM rb_got g JOIN (
             SELECT acct, portmargin.finalize_margin(portmargin.merge_margin_states(st)) AS r FROM (
               SELECT acct, b.id % 2 AS shard,
                      portmargin.portfolio_margin_state(b.qty, i.und, i.kind, i.otype, i.k, i.t, i.f, i.vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS st
               FROM bk b JOIN instr i USING (iid) GROUP BY 1, 2) x GROUP BY acct) m USING (acct)
           WHERE pg_temp.same(m.r, g.r, 1e-12)), 4,
          'sharding in halves: finalize_margin(merge_margin_states(states)) = portfolio_margin (1e-12)');
SELECT is((SELECT count(*)::int FROM rb_got g JOIN (
             SELECT acct, portmargin.finalize_margin(portmargin.merge_margin_states((st::text)::portmargin.margin_state)) AS r FROM (
               SELECT acct, b.id % 3 AS shard,
                      portmargin.portfolio_margin_state(b.qty, i.und, i.kind, i.otype, i.k, i.t, i.f, i.vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS st
               FROM bk b JOIN instr i USING (iid) GROUP BY 1, 2) x GROUP BY acct) m USING (acct)
           WHERE pg_temp.same(m.r, g.r, 1e-12)), 4,
          'sharding in thirds through the text form = portfolio_margin (1e-12)');
SELECT is((SELECT count(*)::int FROM rb_got g JOIN (
             SELECT acct, portmargin.finalize_margin(portmargin.portfolio_margin_state(b.qty, i.und, i.kind, i.otype, i.k, i.t, i.f, i.vol, 'linear', 1, NULL,
                                                                                  portmargin.deribit_scenarios())) AS r
             FROM bk b JOIN instr i USING (iid) GROUP BY acct) m USING (acct)
           WHERE pg_temp.same(m.r, g.r, 0)), 4,
          'finalize_margin(portfolio_margin_state) = portfolio_margin exactly');
-- a shard holding only part of an option/future mix on one unit: units and contingencies merge
SELECT ok(pg_temp.same(
  (SELECT portmargin.finalize_margin(portmargin.merge_margin_states(st)) FROM (
     SELECT portmargin.portfolio_margin_state(qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s) st FROM pos WHERE book IN ('f1', 'f2')
     GROUP BY book) x),
  (SELECT portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, settle, mult, idx, s) FROM pos WHERE book IN ('f1', 'f2')), 1e-12),
  'merge of an options shard and a futures shard of one BTC unit = one pass');

-- parallel = serial ------------------------------------------------------------------
CREATE TABLE pm_par_test AS
SELECT 1 + g % 5 AS acct, i.und, i.kind, i.otype, i.k, i.t, i.f, i.vol, round((random() * 20 - 10)::numeric, 1)::float8 AS qty
FROM generate_series(1, 100000) g JOIN instr i ON i.iid = 1 + (g * 7919) % 48;
ANALYZE pm_par_test;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers = 8;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE par0 AS
SELECT acct, portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r
FROM pm_par_test GROUP BY acct;
CREATE TEMP TABLE par0_all AS
SELECT portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r FROM pm_par_test;
SET LOCAL max_parallel_workers_per_gather = 1;
CREATE TEMP TABLE plan1 AS SELECT pg_temp.explain($$CREATE TEMP TABLE par1 AS
  SELECT acct, portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r
  FROM pm_par_test GROUP BY acct$$) AS p;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = on;
CREATE TEMP TABLE plan2 AS SELECT pg_temp.explain($$CREATE TEMP TABLE par2 AS
  SELECT acct, portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r
  FROM pm_par_test GROUP BY acct$$) AS p;
SET LOCAL parallel_leader_participation = off;
CREATE TEMP TABLE plan2b AS SELECT pg_temp.explain($$CREATE TEMP TABLE par2b AS
  SELECT acct, portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r
  FROM pm_par_test GROUP BY acct$$) AS p;
CREATE TEMP TABLE plan2all AS SELECT pg_temp.explain($$CREATE TEMP TABLE par2_all AS
  SELECT portmargin.portfolio_margin(qty, und, kind, otype, k, t, f, vol, 'linear', 1, NULL, portmargin.deribit_scenarios()) AS r FROM pm_par_test$$) AS p;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Finalize' AND p ~ 'Workers Launched: 1', '1 worker: partial/finalize aggregate plan with a worker launched')
  || CASE WHEN p ~ 'Workers Launched: 1' THEN '' ELSE E'\n' || diag(p) END FROM plan1;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Finalize' AND p ~ 'Workers Launched: 2', '2 workers: partial/finalize aggregate plan with 2 workers launched')
  || CASE WHEN p ~ 'Workers Launched: 2' THEN '' ELSE E'\n' || diag(p) END FROM plan2;
SELECT ok(p ~ 'Partial (Hash|Group)?Aggregate' AND p ~ 'Finalize' AND p ~ 'Workers Launched: 2', '2 workers, leader not participating')
  || CASE WHEN p ~ 'Workers Launched: 2' THEN '' ELSE E'\n' || diag(p) END FROM plan2b;
SELECT ok(p ~ 'Partial Aggregate' AND p ~ 'Finalize Aggregate' AND p ~ 'Workers Launched: 2', 'ungrouped: Partial Aggregate / Finalize Aggregate with 2 workers')
  || CASE WHEN p ~ 'Workers Launched: 2' THEN '' ELSE E'\n' || diag(p) END FROM plan2all;
SELECT is((SELECT count(*)::int FROM par0 a JOIN par1 b USING (acct) WHERE pg_temp.same(b.r, a.r, 1e-12)), 5, '1 worker = serial (1e-12), 5 accounts')
  || coalesce(E'\n' || diag((SELECT string_agg(acct || ': ' || pg_temp.diff(b.r, a.r, 1e-12), E'\n') FROM par0 a JOIN par1 b USING (acct) WHERE NOT pg_temp.same(b.r, a.r, 1e-12))), '');
SELECT is((SELECT count(*)::int FROM par0 a JOIN par2 b USING (acct) WHERE pg_temp.same(b.r, a.r, 1e-12)), 5, '2 workers = serial (1e-12)')
  || coalesce(E'\n' || diag((SELECT string_agg(acct || ': ' || pg_temp.diff(b.r, a.r, 1e-12), E'\n') FROM par0 a JOIN par2 b USING (acct) WHERE NOT pg_temp.same(b.r, a.r, 1e-12))), '');
SELECT is((SELECT count(*)::int FROM par0 a JOIN par2b b USING (acct) WHERE pg_temp.same(b.r, a.r, 1e-12)), 5, '2 workers without leader = serial (1e-12)')
  || coalesce(E'\n' || diag((SELECT string_agg(acct || ': ' || pg_temp.diff(b.r, a.r, 1e-12), E'\n') FROM par0 a JOIN par2b b USING (acct) WHERE NOT pg_temp.same(b.r, a.r, 1e-12))), '');
SELECT ok(pg_temp.same((SELECT r FROM par2_all), (SELECT r FROM par0_all), 1e-12), 'ungrouped, 2 workers = serial (1e-12)');
SELECT ok((SELECT (r).initial_margin > 0 FROM par0_all), 'the parallel book has a non-zero requirement');

SELECT * FROM finish();
ROLLBACK;
