-- test/config.sql: shipped configuration rows are read-only for every role,
-- the owner included, so that no edit can be lost by pg_dump, which keeps
-- only user rows (issue 11, point 3); user rows are free.  The dump and
-- restore itself is checked by test/run.sh (== pg_dump / pg_restore).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
BEGIN;
SELECT plan(10);

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
-- the extension's own scripts update shipped parameters with the setting on
SET LOCAL portmargin.maintain_shipped = on;
SELECT lives_ok($$UPDATE portmargin.scenario_presets SET description = description WHERE name = 'span'$$,
                'an extension script (portmargin.maintain_shipped = on) may update a shipped row');

SELECT * FROM finish();
ROLLBACK;
