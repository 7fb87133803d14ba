-- test/config.sql: shipped configuration rows are read-only for every role,
-- the owner included, so that no edit can be lost by pg_dump, which keeps
-- only user rows (issue 11, point 3); user rows are free, and a user row
-- with the key of a shipped row overrides it (deleting it brings the
-- shipped row back).  Expected value: SPAN's scan risk (the maintenance
-- margin) of one long future is its price range times its price
-- (span_scenarios(range, ...): the largest weighted loss is the full range
-- down at weight 1, doc/scenarios.md).  The dump and
-- restore itself is checked by test/run.sh (== pg_dump / pg_restore).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
BEGIN;
SELECT plan(21);

SELECT throws_ok($$UPDATE portmargin.scenario_presets SET description = 'mine' WHERE name = 'span'$$,
                 '55000', 'shipped row "span" of portmargin.scenario_presets cannot be changed',
                 'a superuser cannot edit a shipped preset (55000 naming it)');
SELECT throws_ok($$DELETE FROM portmargin.rulebook_rules WHERE rulebook = 'deribit' AND underlying = 'BTC'$$,
                 '55000', 'shipped row "deribit/BTC/inverse" of portmargin.rulebook_rules cannot be changed',
                 'nor delete a shipped rule');
SELECT throws_ok($$UPDATE portmargin.collateral_tiers SET discount_rate = 1 WHERE shipped$$,
                 '55000', NULL, 'nor edit a shipped collateral tier');
SELECT throws_ok($$INSERT INTO portmargin.scenario_presets (name, scenarios, description, source, shipped)
                   SELECT 'fake', scenarios, 'x', 'x', true FROM portmargin.scenario_presets WHERE name = 'span'$$,
                 '55000', NULL, 'nor insert a row marked shipped');
SELECT lives_ok($$INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
                  SELECT 'my-span', scenarios, 'a copy', 'test' FROM portmargin.scenario_presets WHERE name = 'span'$$,
                'a user row: inserted');
SELECT lives_ok($$UPDATE portmargin.scenario_presets SET description = 'my copy' WHERE name = 'my-span'$$,
                'a user row: updated');
SELECT lives_ok($$INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES ('mine', '*', '*', 'my-span')$$,
                'a user rule: inserted');
SELECT lives_ok($$DELETE FROM portmargin.rulebook_rules WHERE rulebook = 'mine'$$, 'a user rule: deleted');
SELECT is((SELECT count(*)::int FROM portmargin.scenario_presets WHERE name = 'span' AND description <> 'mine'), 1,
          'the shipped preset is unchanged');
-- a user row overrides a shipped one by name
CREATE TEMP TABLE span_before AS SELECT * FROM portmargin.scenario_presets WHERE name = 'span';
SELECT lives_ok($$INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
                  VALUES ('span', portmargin.span_scenarios(0.2, 0.25), 'our clearing firm''s ranges', 'test')$$,
                'a user row with a shipped name: inserted');
SELECT is((SELECT count(*)::int FROM portmargin.scenario_presets WHERE name = 'span'), 1, 'one row under the name');
SELECT is((SELECT shipped FROM portmargin.scenario_presets WHERE name = 'span'), false, 'the user''s');
SELECT ok(abs((portmargin.portfolio_margin(1, 'X', 'future', NULL, NULL, 0.5, 100, NULL, 'linear', 1, NULL,
               portmargin.preset('span'))).maintenance_margin - 20) < 1e-9,
          'preset(''span'') is the user''s: a long future at 100 with a 20% range has a scan risk (maintenance) of 20');
SELECT is((SELECT original ->> 'description' FROM portmargin.shipped_overrides WHERE table_name = 'scenario_presets' AND key = 'span'),
          (SELECT description FROM span_before), 'the shipped row is kept in shipped_overrides');
SELECT lives_ok($$UPDATE portmargin.scenario_presets SET description = 'ours, revised' WHERE name = 'span'$$,
                'the override is a user row: it can be updated');
SELECT throws_ok($$UPDATE portmargin.scenario_presets SET name = 'span2' WHERE name = 'span'$$, '55000', NULL,
                 'but not renamed (the shipped row would be lost)');
DELETE FROM portmargin.scenario_presets WHERE name = 'span';
SELECT results_eq($$SELECT name, scenarios::text, description, source, shipped FROM portmargin.scenario_presets WHERE name = 'span'$$,
                  $$SELECT name, scenarios::text, description, source, shipped FROM span_before$$,
                  'deleting the override brings the shipped row back, unchanged');
SELECT is((SELECT count(*)::int FROM portmargin.shipped_overrides), 0, 'and empties shipped_overrides');
SELECT lives_ok($$INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES ('deribit', 'BTC', 'inverse', 'my-span')$$,
                'a rule of a shipped rulebook overridden by key');
SELECT is((SELECT r.name FROM portmargin.rules(portmargin.rulebook_preset('deribit')) r WHERE r.underlying = 'BTC'), 'my-span',
          'rulebook_preset(''deribit'') takes the user''s rule for BTC/inverse');

-- the extension's own scripts update shipped parameters with the setting on
SET LOCAL portmargin.maintain_shipped = on;
SELECT lives_ok($$UPDATE portmargin.scenario_presets SET description = description WHERE name = 'span'$$,
                'an extension script (portmargin.maintain_shipped = on) may update a shipped row');

SELECT * FROM finish();
ROLLBACK;
