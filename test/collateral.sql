-- test/collateral.sql: collateral valuation under a venue's discount tiers
-- (tiered_value, collateral_schedules / collateral_tiers) and its use in the
-- reference schema's account_margin.  Expected values are hand derivations
-- from the published tables and examples cited next to each check (the
-- arithmetic is written out in the comments); sources in doc/collateral.md.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(55);

-- ---------------------------------------------------------------------------
-- tiered_value: OKX's definition
-- ---------------------------------------------------------------------------
-- OKX API, GET /api/v5/public/discount-rate-interest-free-quota
-- (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-discount-rate-and-interest-free-quota, read 2026-12-03):
-- "details: New discount details. > discountRate: Discount rate; > maxAmt: Tier - upper bound. The unit is the
-- currency like BTC. "" means positive infinity; > minAmt: Tier - lower bound. The unit is the currency like BTC.
-- The minimum is 0"; "minDiscountRate: Minimum discount rate when it exceeds the maximum amount of the last tier".
-- Its example response for BTC: tier 1 minAmt 0 maxAmt 20 discountRate 0.98; tier 2 minAmt 20 maxAmt 25
-- discountRate 0.9775; minDiscountRate 0.  By hand:
--   10 BTC: 10 x 0.98                                 =  9.8
--   20 BTC: 20 x 0.98                                 = 19.6
--   22 BTC: 19.6 + 2 x 0.9775                         = 21.555
--   25 BTC: 19.6 + 5 x 0.9775                         = 24.4875
--   30 BTC: 24.4875 + 5 x 0 (minDiscountRate 0)       = 24.4875
-- (The example's disCcyEq, "discount equity in currency for quick calculation if your equity is the maxAmt", reads
-- 1000 and 2000: placeholders, not 19.6 and 24.4875 as the definition gives; not used.)
SELECT pg_temp.near(portmargin.tiered_value(10, '{0,20}', '{20,25}', '{0.98,0.9775}'), 9.8, 1e-15, 'OKX API example tiers: 10 BTC -> 9.8');
SELECT pg_temp.near(portmargin.tiered_value(20, '{0,20}', '{20,25}', '{0.98,0.9775}'), 19.6, 1e-15, '20 BTC (the first tier''s upper bound) -> 19.6');
SELECT pg_temp.near(portmargin.tiered_value(22, '{0,20}', '{20,25}', '{0.98,0.9775}'), 21.555, 1e-15, '22 BTC -> 19.6 + 2 x 0.9775 = 21.555');
SELECT pg_temp.near(portmargin.tiered_value(25, '{0,20}', '{20,25}', '{0.98,0.9775}'), 24.4875, 1e-15, '25 BTC -> 24.4875');
SELECT pg_temp.near(portmargin.tiered_value(30, '{0,20}', '{20,25}', '{0.98,0.9775}', 0), 24.4875, 1e-15, '30 BTC, minDiscountRate 0: nothing above 25 counts');
SELECT pg_temp.near(portmargin.tiered_value(30, '{0,20}', '{20,25}', '{0.98,0.9775}', 0.5), 26.9875, 1e-15, '30 BTC, rate_beyond 0.5: 24.4875 + 5 x 0.5');
SELECT is(portmargin.tiered_value(0, '{0,20}', '{20,25}', '{0.98,0.9775}'), 0::float8, '0 -> 0');

-- OKX's worked example of tiered discount rates (OKX announcement on LUNA discount rates, 2022, as republished at
-- https://ukcamo.com/6126.html): "USDT-Only Collateral: 11M USDT ... 0-5M: 5M x 1 x 1 = $5M; 5M-10M: 5M x 1 x 0.9 =
-- $4.5M; >10M: 1M x 1 x 0.8 = $0.8M; Total: $10.3M USD"; and "1 BTC ($50K USD index) + 50K ZRX (rate = 0) ...
-- Total USD value: 50,000 x 1 x 1 = $50,000"
SELECT pg_temp.near(portmargin.tiered_value(11e6, '{0,5e6,10e6}', '{5e6,10e6,NULL}', '{1,0.9,0.8}'), 10.3e6, 1e-15,
                    'OKX worked example: 11M USDT under 1 / 0.9 / 0.8 tiers -> 10.3M');
SELECT pg_temp.near(portmargin.tiered_value(1, '{0}', '{NULL}', '{1}') * 50000 + portmargin.tiered_value(50000, '{0}', '{NULL}', '{0}') * 0.1,
                    50000, 1e-15, 'OKX worked example: 1 BTC at rate 1 + 50K ZRX at rate 0 -> 50,000 USD');

-- a haircut is one unbounded tier at 1 - haircut: Deribit stETH, 7.5% (insights.deribit.com, in effect 2026-01-13);
-- 10 stETH at 3,390 USD: 10 x 0.925 x 3,390 = 31,357.5
SELECT pg_temp.near(portmargin.tiered_value(10, '{0}', '{NULL}', '{0.925}') * 3390, 31357.5, 1e-15, 'a 7.5% haircut: 10 stETH x 0.925 x 3,390 = 31,357.5 USD');

-- continuity: at a tier boundary the value from below and from above agree; the value never decreases
SELECT ok(portmargin.tiered_value(20 - 1e-9, '{0,20}', '{20,25}', '{0.98,0.9775}') < portmargin.tiered_value(20 + 1e-9, '{0,20}', '{20,25}', '{0.98,0.9775}')
          AND abs(portmargin.tiered_value(20 + 1e-9, '{0,20}', '{20,25}', '{0.98,0.9775}') - 19.6) < 1e-8,
          'continuous and increasing across a tier boundary');

-- ---------------------------------------------------------------------------
-- bad input: 22023 naming the argument and value
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(-1, '{0}', '{NULL}', '{1}')$$), '22023: invalid value for argument "amount": -1', 'negative amount');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value('NaN', '{0}', '{NULL}', '{1}')$$), '22023: invalid value for argument "amount": NaN', 'NaN amount');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value('Infinity', '{0}', '{NULL}', '{1}')$$), '22023: invalid value for argument "amount": Infinity', 'infinite amount');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{}', '{}', '{}')$$), '22023: invalid value for argument "lower_bounds": no tiers', 'no tiers');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{1}', '{NULL}', '{1}')$$), '22023: invalid value for argument "lower_bounds": element 1 is 1', 'the first tier must start at 0');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{4,NULL}', '{1,1}')$$), '22023: invalid value for argument "lower_bounds": element 2 is 5', 'a gap between tiers');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{6,NULL}', '{1,1}')$$), '22023: invalid value for argument "lower_bounds": element 2 is 5', 'overlapping tiers');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{5,5}', '{1,1}')$$), '22023: invalid value for argument "upper_bounds": element 2 is 5', 'an empty tier');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{NULL,NULL}', '{1,1}')$$), '22023: invalid value for argument "upper_bounds": element 1 is NULL', 'an unbounded tier before the last');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{Infinity,10}', '{1,1}')$$), '22023: invalid value for argument "upper_bounds": element 1 is Infinity', 'an infinite bound before the last');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0}', '{NULL}', '{1.5}')$$), '22023: invalid value for argument "rates": element 1 is 1.5', 'a discount rate above 1');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0}', '{NULL}', '{-0.1}')$$), '22023: invalid value for argument "rates": element 1 is -0.1', 'a negative discount rate');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0}', '{NULL}', '{NaN}')$$), '22023: invalid value for argument "rates": element 1 is NaN', 'a NaN discount rate');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0}', '{NULL}', '{NULL}')$$), '22023: invalid value for argument "rates": element 1 is NULL', 'a NULL discount rate');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{NULL}', '{NULL}', '{1}')$$), '22023: invalid value for argument "lower_bounds": element 1 is NULL', 'a NULL lower bound');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{5,NULL}', '{1}')$$), '22023: invalid value for argument "rates": 1 elements for 2 lower_bounds', 'one rate for two tiers');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0,5}', '{NULL}', '{1,1}')$$), '22023: invalid value for argument "upper_bounds": 1 elements for 2 lower_bounds', 'one upper bound for two tiers');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{{0}}', '{NULL}', '{1}')$$), '22023: invalid value for argument "lower_bounds": a one-dimensional array is required', 'a two-dimensional array');
SELECT is(pg_temp.err($$SELECT portmargin.tiered_value(1, '{0}', '{NULL}', '{1}', 2)$$), '22023: invalid value for argument "rate_beyond": 2', 'rate_beyond above 1');
SELECT is(portmargin.tiered_value(NULL, '{0}', '{NULL}', '{1}'), NULL, 'STRICT: NULL amount -> NULL');

-- ---------------------------------------------------------------------------
-- the shipped tables
-- ---------------------------------------------------------------------------
SELECT is((SELECT array_agg(schedule ORDER BY schedule) FROM portmargin.collateral_schedules WHERE shipped), '{deribit,okx}', 'shipped schedules: deribit, okx');
SELECT is_empty($$SELECT schedule, currency, tier FROM portmargin.collateral_tiers WHERE shipped AND (source !~ '^https://' OR published IS NULL)$$,
                'every shipped tier names its public source and date');
-- every shipped (schedule, currency) is a valid tier table (starts at 0, contiguous, only the last unbounded)
SELECT lives_ok($$SELECT portmargin.tiered_value(1, array_agg(lower_bound ORDER BY tier), array_agg(upper_bound ORDER BY tier),
                                                 array_agg(discount_rate ORDER BY tier))
                  FROM portmargin.collateral_tiers WHERE shipped GROUP BY schedule, currency$$, 'every shipped tier table is valid for tiered_value');
-- Deribit stETH: "Cross-collateral haircut for stETH reduced from 15% to 7.5%"
SELECT is((SELECT discount_rate FROM portmargin.collateral_tiers WHERE schedule = 'deribit' AND currency = 'STETH'), 0.925::float8, 'deribit STETH: 7.5% haircut');
-- OKX BETH (GlobeNewswire, 2024-07-18), USD tiers: 0 ~ 2,000,000 0.95; 2,000,000 ~ 4,000,000 0.85; 4,000,000 ~ 8,000,000 0.5;
-- > 8,000,000 0.  5,000,000 USD of BETH: 2,000,000 x 0.95 + 2,000,000 x 0.85 + 1,000,000 x 0.5 = 4,100,000
SELECT pg_temp.near((SELECT portmargin.tiered_value(5e6, array_agg(lower_bound ORDER BY tier), array_agg(upper_bound ORDER BY tier), array_agg(discount_rate ORDER BY tier))
                     FROM portmargin.collateral_tiers WHERE schedule = 'okx' AND currency = 'BETH'), 4.1e6, 1e-15,
                    'okx BETH: 5M USD -> 1.9M + 1.7M + 0.5M = 4.1M');
SELECT is((SELECT maintenance_basis FROM portmargin.collateral_schedules WHERE schedule = 'okx'), 'discounted', 'okx: maintenance margin against adjusted (discounted) equity');
SELECT is((SELECT maintenance_basis FROM portmargin.collateral_schedules WHERE schedule = 'deribit'), 'gross', 'deribit: haircuts apply to initial margin');
SELECT throws_ok($$INSERT INTO portmargin.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate) VALUES ('okx', 'X', 1, 0, NULL, 1.5)$$,
                 '23514', NULL, 'a discount rate above 1 is refused by the table');
SELECT throws_ok($$INSERT INTO portmargin.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate) VALUES ('nosuch', 'X', 1, 0, NULL, 1)$$,
                 '23503', NULL, 'a tier of an unknown schedule is refused');

-- ---------------------------------------------------------------------------
-- the reference schema: equity per currency under the account's schedule
-- ---------------------------------------------------------------------------
SELECT portmargin.create_reference_schema('coll');
INSERT INTO portmargin.collateral_schedules (schedule, maintenance_basis, description) VALUES
  ('api-example', 'discounted', 'the OKX API documentation''s example BTC tiers; USDC at 1'),
  ('steth-gross', 'gross', 'stETH 7.5% haircut, maintenance on gross equity'),
  ('steth-discounted', 'discounted', 'the same haircut, maintenance on discounted equity');
INSERT INTO portmargin.collateral_tiers (schedule, currency, tier, lower_bound, upper_bound, discount_rate) VALUES
  ('api-example', 'BTC', 1, 0, 20, 0.98), ('api-example', 'BTC', 2, 20, 25, 0.9775), ('api-example', 'BTC', 3, 25, NULL, 0),
  ('api-example', 'USDC', 1, 0, NULL, 1),
  ('steth-gross', 'STETH', 1, 0, NULL, 0.925), ('steth-discounted', 'STETH', 1, 0, NULL, 0.925);
INSERT INTO coll.index_prices VALUES ('BTC', 97000, '2026-11-25 08:00+00'), ('STETH', 3390, '2026-11-25 08:00+00'),
                                     ('SOL', 240, '2026-11-25 08:00+00');
INSERT INTO coll.instruments (instrument_id, name, underlying, kind, settlement) VALUES
  (1, 'BTC-PERPETUAL', 'BTC', 'perpetual', 'inverse'), (2, 'SOL_USDC-PERPETUAL', 'SOL', 'perpetual', 'linear');
INSERT INTO coll.accounts (account_id, name, collateral_schedule) VALUES
  (1, 'BTC and USDC', 'api-example'), (2, 'BTC with a long perpetual', 'api-example'), (3, 'owes BTC', 'api-example'),
  (4, 'stETH, gross maintenance', 'steth-gross'), (5, 'stETH, discounted maintenance', 'steth-discounted'), (6, 'no schedule', NULL);
-- account 1: 22 BTC and 1,000 USDC, no positions.  gross = 22 x 97,000 + 1,000 = 2,135,000;
-- discounted = 21.555 x 97,000 + 1,000 = 2,090,835 + 1,000 = 2,091,835 (BTC as in the API example above); discount 43,165
INSERT INTO coll.collateral VALUES (1, 'BTC', 22), (1, 'USDC', 1000);
SELECT pg_temp.near(gross_equity, 2135000, 1e-12, 'gross equity: 22 BTC x 97,000 + 1,000 USDC') FROM coll.account_margin WHERE account_id = 1;
SELECT pg_temp.near(equity, 2091835, 1e-12, 'equity: 21.555 BTC x 97,000 + 1,000 USDC (OKX tiers)') FROM coll.account_margin WHERE account_id = 1;
SELECT pg_temp.near(collateral_discount, 43165, 1e-9, 'collateral_discount = gross - discounted = 43,165') FROM coll.account_margin WHERE account_id = 1;
-- account 2: 20 BTC and long 1 BTC inverse perpetual entered at 90,000, index 97,000: its P&L is (1 - 90,000 / 97,000) BTC,
-- part of the BTC equity (OKX discounts a currency's equity, cash and unrealised P&L).  BTC equity 20 + 7,000 / 97,000,
-- the part above 20 at 0.9775: (19.6 + 0.9775 x 7,000 / 97,000) x 97,000 = 1,901,200 + 6,842.5 = 1,908,042.5;
-- gross 20 x 97,000 + 7,000 = 1,947,000
INSERT INTO coll.positions VALUES (2, 1, 1, 90000);
INSERT INTO coll.collateral VALUES (2, 'BTC', 20);
SELECT pg_temp.near(gross_equity, 1947000, 1e-12, 'gross equity with a perpetual''s P&L in BTC') FROM coll.account_margin WHERE account_id = 2;
SELECT pg_temp.near(equity, 1908042.5, 1e-12, 'the P&L in BTC is discounted with the BTC balance: 19.6 + 0.9775 x 7,000/97,000 BTC') FROM coll.account_margin WHERE account_id = 2;
-- account 3: owes 0.5 BTC, holds 100,000 USDC: a negative currency equity counts in full (no discount on a liability):
-- -48,500 + 100,000 = 51,500
INSERT INTO coll.collateral VALUES (3, 'BTC', -0.5), (3, 'USDC', 100000);
SELECT pg_temp.near(equity, 51500, 1e-12, 'a negative BTC balance counts in full: -48,500 + 100,000') FROM coll.account_margin WHERE account_id = 3;
-- accounts 4 and 5: one SOL USDC-settled perpetual (linear: its P&L is in USD, never discounted) entered at the index
-- (no P&L), margined with deribit-btc: C USD initial, 0.8 C maintenance.  stETH worth 0.85 C gross: discounted
-- 0.925 x 0.85 C = 0.78625 C.  Gross maintenance basis (Deribit): 0.85 C > 0.8 C -> not liquidation; 0.78625 C < C -> call.
-- Discounted basis: 0.78625 C <= 0.8 C -> liquidation.  margin_ratio = maintenance / the basis: 0.8 / 0.85 and 0.8 / 0.78625
INSERT INTO coll.positions VALUES (4, 2, 1, 240), (5, 2, 1, 240);
CREATE TEMP TABLE c_sol AS SELECT (portmargin.portfolio_margin(1, 'SOL', 'perpetual', NULL, NULL, NULL, 240, NULL, 'linear', 1, 240,
                                   portmargin.preset('deribit-btc'))).initial_margin AS c;
INSERT INTO coll.collateral SELECT a, 'STETH', 0.85 * c / 3390 FROM c_sol, (VALUES (4), (5)) v(a);
SELECT pg_temp.near(initial_margin, (SELECT c FROM c_sol), 1e-12, 'the linear perpetual''s margin (USD)') FROM coll.account_margin WHERE account_id = 4;
SELECT pg_temp.near(equity, 0.925 * 0.85 * (SELECT c FROM c_sol), 1e-12, 'stETH equity after the 7.5% haircut') FROM coll.account_margin WHERE account_id = 4;
SELECT is(status, 'call', 'gross maintenance basis: above maintenance on gross equity, below initial on discounted: call') FROM coll.account_margin WHERE account_id = 4;
SELECT is(status, 'liquidation', 'discounted maintenance basis: discounted equity below maintenance: liquidation') FROM coll.account_margin WHERE account_id = 5;
SELECT pg_temp.near(margin_ratio, 0.8 / 0.85, 1e-12, 'margin_ratio on the gross basis = 0.8 C / 0.85 C') FROM coll.account_margin WHERE account_id = 4;
SELECT pg_temp.near(margin_ratio, 0.8 / 0.78625, 1e-12, 'margin_ratio on the discounted basis = 0.8 C / 0.78625 C') FROM coll.account_margin WHERE account_id = 5;
-- account 6: no schedule: every currency at its full value, as in 0.3.x
INSERT INTO coll.collateral VALUES (6, 'BTC', 22);
SELECT ok(equity = gross_equity AND collateral_discount = 0 AND abs(equity - 22 * 97000) < 1e-6, 'no schedule: equity = gross, no discount')
FROM coll.account_margin WHERE account_id = 6;
-- a currency the account's schedule has no tiers for: an error, not a silent zero or full value
INSERT INTO coll.accounts (account_id, name, collateral_schedule) VALUES (7, 'SOL under api-example', 'api-example');
INSERT INTO coll.collateral VALUES (7, 'SOL', 10);
SELECT matches(pg_temp.err($$SELECT * FROM coll.account_margin$$), '^22023: invalid value for argument "lower_bounds": no tiers',
               'a currency without tiers in the account''s schedule -> 22023');
DELETE FROM coll.collateral WHERE account_id = 7;
SELECT throws_ok($$UPDATE coll.accounts SET collateral_schedule = 'nosuch' WHERE account_id = 1$$, '23503', NULL,
                 'accounts.collateral_schedule must name a schedule');

SELECT * FROM finish();
ROLLBACK;
