-- test/privileges.sql: an ordinary role (no superuser, no ownership, no
-- grants of its own) runs the README's five lines and reads the shipped
-- configuration; it cannot change the configuration or create objects in
-- the extension's schema (issue 11, point 1).  Expected values: Haug's
-- published call, the inverse = Black-76 / forward identity, the perpetual's
-- 16% fall's loss 1/0.84 - 1 plus the 0.01 roll shock floor, a long future's
-- largest weighted fall (SPAN's scan risk, doc/scenarios.md).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
BEGIN;
SELECT plan(9);

DROP ROLE IF EXISTS pm_app_test;
CREATE ROLE pm_app_test NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
SET LOCAL ROLE pm_app_test;

-- Haug's call (S 60, K 65, t 0.25, vol 0.3, r 0.08): 2.1333684449162, as printed in QuantLib's test suite
SELECT ok(abs(portmargin.bs_price('call', 60, 65, 0.25, 0.3, 0.08) - 2.1333684449162) < 1e-12,
          'an ordinary role: bs_price (README line 2; Haug''s example)');
-- a coin-settled call is worth the Black-76 USD value over the forward (doc/inverse-options.md)
SELECT ok(abs(portmargin.inverse_price('call', 97250, 100000, 30/365.0, 0.52)
              - portmargin.black76_price('call', 97250, 100000, 30/365.0, 0.52) / 97250) < 1e-15,
          'an ordinary role: inverse_price (README line 3) = Black-76 / forward');
SELECT ok(abs((portmargin.portfolio_margin(portmargin.position(quantity => 1, underlying => 'BTC', kind => 'perpetual', settlement => 'inverse',
        forward => 60000, multiplier => 1, index_price => 60000), portmargin.preset('deribit-btc'))).initial_margin - (1 / 0.84 - 1 + 0.01)) < 1e-12,
          'an ordinary role: preset(), position() and portfolio_margin (README line 4): 1/0.84 - 1 + 0.01 BTC');
CREATE TEMP TABLE my_positions (account_id int, quantity float8, underlying text, kind text, option_type text,
                                strike float8, t float8, forward float8, vol float8, settlement text,
                                multiplier float8, index_price float8);
INSERT INTO my_positions VALUES (1, 1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL);
SELECT is((SELECT (m).maintenance_margin FROM (SELECT account_id, portmargin.portfolio_margin(portmargin.position(quantity => quantity, underlying => underlying, kind => kind, settlement => settlement, option_type => option_type, forward => forward, strike => strike, t => t, vol => vol, multiplier => multiplier, index_price => index_price), (SELECT portmargin.preset('span'))) m FROM my_positions GROUP BY account_id) x),
          (SELECT max(-s.price_move * s.weight) * 100 FROM portmargin.scenarios(portmargin.preset('span')) s),
          'an ordinary role: the README''s account query over its own table (line 5): a long future''s SPAN scan risk is its largest weighted fall');
SELECT ok((SELECT count(*) FROM portmargin.rules(portmargin.rulebook_preset('deribit'))) >= 2,
          'an ordinary role: rulebook_preset() reads rulebook_rules');
SELECT ok((SELECT count(*) FROM portmargin.collateral_schedules) >= 1, 'an ordinary role reads collateral_schedules');
SELECT throws_ok($$UPDATE portmargin.scenario_presets SET description = 'x' WHERE name = 'span'$$,
                 '42501', NULL, 'an ordinary role cannot change a preset');
SELECT throws_ok($$INSERT INTO portmargin.rulebook_rules (rulebook, preset) VALUES ('mine', 'span')$$,
                 '42501', NULL, 'an ordinary role cannot add a rule');
SELECT throws_ok($$CREATE TABLE portmargin.intruder (x int)$$,
                 '42501', NULL, 'an ordinary role cannot create objects in the extension''s schema');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
