-- test/roles.sql: the privilege model of doc/security.md (issue 11, point 1).
-- An application role that is not a superuser (CREATE on the database, the
-- configuration tables granted by grant_configuration) builds and fills a
-- reference schema, adds its own rules, runs what-if and snapshots, and
-- grants a BI role the views (grant_reader); the BI role reads every view
-- with SELECT on the views alone and nothing else; a reader without
-- positions reads the account-level views only; revoke_reference_access
-- takes it back.  Expected values: one long BTC perpetual (inverse, 1 BTC
-- at 60,000) under deribit-btc loses 1/0.84 - 1 BTC in the -16% scenario,
-- plus the 0.01 roll shock floor (doc/venues/deribit.md), times the index
-- in USD; a perpetual's delta is its quantity.
\set ON_ERROR_STOP 1
\set span_sample `cat test/span/sample.pa2`
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
BEGIN;
SELECT plan(62);

DROP ROLE IF EXISTS pm_app_r;
DROP ROLE IF EXISTS pm_bi_r;
DROP ROLE IF EXISTS pm_bi_acct;
CREATE ROLE pm_app_r NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE pm_bi_r NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE pm_bi_acct NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO pm_app_r', current_database()); END $$;
SELECT is(portmargin.grant_configuration('pm_app_r'),
          'pm_app_r adds and changes user rows of the configuration tables (shipped rows stay read-only)',
          'the extension''s owner grants the application role the configuration tables');

-- an error as the caller sees it: message, and whether the context is one line (issue 11, point 4: never the
-- function's source)
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE ctx text; state text; message text; one_line_context boolean;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
  -- the context before this function's own frames (the EXECUTE's "SQL statement" line and after) is the helper's:
  -- one line, no SQL text
  ctx := split_part(ctx, E'\nSQL statement "' || q, 1);
  one_line_context := position(E'\n' in ctx) = 0 AND ctx NOT LIKE '%CREATE %' AND ctx NOT LIKE '%SELECT %';
  RETURN concat_ws(' | ', state, message, one_line_context);
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

-- the application role
SET LOCAL ROLE pm_app_r;
SELECT is(portmargin.create_reference_schema('rl'), 'rl', 'an application role creates a reference schema');
INSERT INTO rl.index_prices VALUES ('BTC', 60000, '2026-11-25 08:00+00');
INSERT INTO rl.instruments (instrument_id, name, underlying, kind, settlement) VALUES (1, 'BTC-PERPETUAL', 'BTC', 'perpetual', 'inverse');
INSERT INTO rl.accounts (account_id, name, method) VALUES (1, 'long perpetual', 'deribit-btc');
INSERT INTO rl.collateral VALUES (1, 'BTC', 1);
INSERT INTO rl.positions VALUES (1, 1, 1, 60000);
SELECT ok(abs((SELECT initial_margin FROM rl.account_margin) - (1 / 0.84 - 1 + 0.01) * 60000) < 1e-8,
          'the application role reads account_margin: (1/0.84 - 1 + 0.01) x 60000 USD');
SELECT lives_ok($$INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES ('app-rules', 'BTC', 'inverse', 'deribit-btc')$$,
                'with grant_configuration it adds its own rule');
SELECT throws_ok($$UPDATE portmargin.scenario_presets SET description = 'x' WHERE name = 'span'$$, '55000', NULL,
                 'and still cannot change a shipped preset');
UPDATE rl.accounts SET rulebook = 'app-rules';
SELECT ok(abs((SELECT initial_margin FROM rl.account_margin) - (1 / 0.84 - 1 + 0.01) * 60000) < 1e-8,
          'its rulebook of one rule gives the preset''s margin');
SELECT ok(abs((rl.whatif_margin(1, ARRAY[1]::bigint[], ARRAY[1]::float8[])).initial_margin - 2 * (1 / 0.84 - 1 + 0.01)) < 1e-12,
          'it runs whatif_margin: a second perpetual doubles the requirement (in BTC)');
SELECT is(rl.snapshot_margins('2026-11-25 08:00+00'), 1, 'it writes a snapshot');
-- SPAN tables in a reference schema of their own: loaded by the application role (McMillan's covered write, sample file)
SELECT is(portmargin.create_reference_schema('rls') || ' ' || portmargin.create_span_tables('rls'), 'rls rls',
          'the application role creates a reference schema with SPAN tables');
SELECT ok(portmargin.load_span_file('rls', :'span_sample'::text) > 0, 'and loads the sample SPAN file');
INSERT INTO rls.accounts (account_id, name) VALUES (2, 'covered write');
INSERT INTO rls.instruments (instrument_id, name, underlying, kind, option_type, strike, expiry) VALUES
  (8, 'SP Dec26', 'SP', 'future', NULL, NULL, '2026-12-18'), (9, 'SP Dec26 410 C', 'SP', 'option', 'call', 410, '2026-12-18');
INSERT INTO rls.span_instruments VALUES (8, 'CME', 'SP', 'FUT', 202612, 0, '', 0), (9, 'CME', 'SP', 'OOF', 202612, 202612, 'C', 410);
INSERT INTO rls.positions (account_id, instrument_id, quantity) VALUES (2, 8, 1), (2, 9, -1);
SELECT is((SELECT (margin).maintenance_margin FROM rls.span_account_margin WHERE account_id = 2), 7620::float8,
          'it reads span_account_margin: McMillan''s covered write, 6,620 + the short call''s 1,000');
-- stress testing in its reference schema (create_stress_tables): the library's ten stresses
SELECT is(portmargin.create_stress_tables('rl'), 'rl', 'the application role adds stress testing to its reference schema');
INSERT INTO rl.stress_scenarios (name, scenario) SELECT name, scenario FROM portmargin.stress_library;
SELECT is((SELECT count(*)::int FROM rl.stress_losses), 10, 'it reads stress_losses: its account under each stress');
SELECT ok((SELECT count(*) FROM rl.liquidation_cascade('BTC', -0.5, 10, 0.1)) >= 1, 'and runs a liquidation cascade');
SELECT lives_ok($$SELECT portmargin.grant_reader('rls', 'pm_bi_r'), portmargin.grant_reader('rls', 'pm_bi_acct', positions => false)$$,
                'and grants the readers its SPAN views');
SELECT is(portmargin.grant_reader('rl', 'pm_bi_r'), 'pm_bi_r reads the account and position views of rl',
          'the schema''s owner grants a BI role the views');
SELECT is(portmargin.grant_reader('rl', 'pm_bi_acct', positions => false), 'pm_bi_acct reads the account views of rl',
          'and another the account-level views only');

-- the BI role: SELECT on the views alone
SET LOCAL ROLE pm_bi_r;
SELECT ok(abs((SELECT initial_margin FROM rl.account_margin) - (1 / 0.84 - 1 + 0.01) * 60000) < 1e-8,
          'BI: account_margin, the same requirement');
SELECT ok(abs((SELECT (margin).initial_margin FROM rl.account_margin_detail) - (1 / 0.84 - 1 + 0.01)) < 1e-12,
          'BI: account_margin_detail, in BTC');
SELECT is((SELECT count(*)::int FROM rl.account_unit_margin), 1, 'BI: account_unit_margin, one unit');
SELECT is((SELECT count(*)::int FROM rl.account_risk_matrix),
          (SELECT count(*)::int FROM portmargin.scenarios(portmargin.preset('deribit-btc'))), 'BI: account_risk_matrix, a row per scenario');
SELECT is((SELECT delta FROM rl.account_greeks), 1::float8, 'BI: account_greeks, delta = quantity');
SELECT is((SELECT count(*)::int FROM rl.margin_daily), 1, 'BI: margin_daily');
SELECT is((SELECT days FROM rl.margin_procyclicality), 1, 'BI: margin_procyclicality (one day of history)');
SELECT is((SELECT index_price FROM rl.instrument_market), 60000::float8, 'BI: instrument_market');
SELECT is((SELECT delta FROM rl.position_greeks), 1::float8, 'BI: position_greeks');
SELECT is((SELECT quantity FROM rl.position_values), 1::float8, 'BI: position_values');
SELECT ok(abs((SELECT sum(loss) FROM rl.margin_attribution) - (1 / 0.84 - 1)) < 1e-12,
          'BI: margin_attribution, the position''s loss in the worst scenario (1/0.84 - 1 BTC)');
SELECT is((SELECT (margin).maintenance_margin FROM rls.span_account_margin WHERE account_id = 2), 7620::float8,
          'BI: span_account_margin (its parameters read from the SPAN tables as the reader)');
SELECT is((SELECT count(*)::int FROM rls.span_position_arrays), 2, 'BI: span_position_arrays');
SELECT throws_ok($$SELECT * FROM rls.span_instruments$$, '42501', NULL, 'BI: not the SPAN mapping tables');
SELECT is((SELECT count(*)::int FROM rl.stress_losses), 10, 'BI: stress_losses');
SELECT is((SELECT count(*)::int FROM rl.stress_cover), 1, 'BI: stress_cover');
SELECT is((SELECT count(*)::int FROM rl.stress_scenarios), 10, 'BI: the stress scenarios the report uses');
SELECT throws_ok($$DELETE FROM rl.stress_scenarios$$, '42501', NULL, 'BI: but cannot change them');
SELECT throws_ok($$SELECT * FROM rl.liquidation_cascade('BTC', -0.5, 10, 0.1)$$, '42501', NULL, 'BI: not the cascade (it reads the positions)');
SELECT throws_ok($$SELECT * FROM rl.positions$$, '42501', NULL, 'BI: not the tables');
SELECT throws_ok($$SELECT rl.whatif_margin(1, ARRAY[1]::bigint[], ARRAY[1]::float8[])$$, '42501', NULL,
                 'BI: not what-if (it reads the positions)');
SELECT throws_ok($$SELECT portmargin.grant_reader('rl', 'pm_bi_acct')$$, '42501',
                 'only the owner of schema rl can grant its objects', 'BI: cannot grant (one line naming the schema)');
SELECT throws_ok($$SELECT portmargin.grant_configuration('pm_bi_r')$$, '42501',
                 'only the owner of extension portmargin can grant its configuration tables', 'nor the configuration');

-- a reader without positions
SET LOCAL ROLE pm_bi_acct;
SELECT ok(abs((SELECT initial_margin FROM rl.account_margin) - (1 / 0.84 - 1 + 0.01) * 60000) < 1e-8,
          'account-level reader: account_margin');
SELECT throws_ok($$SELECT * FROM rl.position_greeks$$, '42501', NULL, 'account-level reader: not position_greeks');
SELECT throws_ok($$SELECT * FROM rl.position_values$$, '42501', NULL, 'account-level reader: not position_values');
SELECT is((SELECT (margin).maintenance_margin FROM rls.span_account_margin WHERE account_id = 2), 7620::float8,
          'account-level reader: span_account_margin');
SELECT throws_ok($$SELECT * FROM rls.span_position_arrays$$, '42501', NULL, 'account-level reader: not span_position_arrays');
SELECT is((SELECT count(*)::int FROM rl.stress_scenario_cover), 10, 'account-level reader: stress_scenario_cover');

-- short errors: one line naming the object and what to do
SELECT is(pg_temp.error_of($$SELECT rl.whatif_margin(1, ARRAY[1]::bigint[], ARRAY[1]::float8[])$$),
          concat_ws(' | ', '42501', 'role pm_bi_acct cannot read the tables of reference schema rl: what-if reads the positions', true),
          'what-if without the tables: one line naming the role and schema');
SELECT is(pg_temp.error_of($$SELECT rl.snapshot_margins('2026-11-26 08:00+00')$$),
          concat_ws(' | ', '42501', 'role pm_bi_acct cannot write rl.margin_history', true), 'a snapshot without the tables: one line');
SELECT is(pg_temp.error_of($$SELECT portmargin.create_reference_schema('rl_bi')$$),
          concat_ws(' | ', '42501', format('could not create reference schema rl_bi: permission denied for database %s', current_database()), true),
          'creating a reference schema without CREATE on the database: one line, not the DDL');
RESET ROLE;
CREATE SCHEMA rl_half;
CREATE TABLE rl_half.instruments (x int);
SELECT is(pg_temp.error_of($$SELECT portmargin.create_reference_schema('rl_half')$$),
          concat_ws(' | ', '22023', 'invalid value for argument "target": schema rl_half already has instruments', true),
          'a schema with a table of the same name: one line naming it (was "relation already exists" and the DDL)');
SELECT is(pg_temp.error_of($$SELECT portmargin.create_reference_schema('rl')$$),
          concat_ws(' | ', '22023', 'invalid value for argument "target": ''rl''', true),
          'an existing reference schema: one line');
SELECT is(pg_temp.error_of($$SELECT portmargin.generate_demo_book('rl', 10)$$),
          concat_ws(' | ', '22023', 'invalid value for argument "target": ''rl''', true),
          'the demo book into a schema that has accounts: one line');

-- revoking, and arguments
SET LOCAL ROLE pm_app_r;
SELECT is(portmargin.revoke_reference_access('rl', 'pm_bi_r'), 'pm_bi_r has no access to rl', 'the owner revokes');
SELECT is(portmargin.revoke_reference_access('rls', 'pm_bi_r'), 'pm_bi_r has no access to rls', '... on both schemas');
SET LOCAL ROLE pm_bi_r;
-- a live-margin worker takes a server-wide slot: only the schema's owner starts one, also through the C launcher
SELECT throws_ok($$SELECT portmargin.live_margin_worker_launch('rl', 10)$$, '42501', 'must be owner of schema rl',
                 'a role that does not own the schema cannot launch its live-margin worker directly: 42501');
SELECT throws_ok($$SELECT * FROM rl.account_margin$$, '42501', NULL, 'after revoke_reference_access: nothing');
SELECT throws_ok($$SELECT * FROM rls.span_account_margin$$, '42501', NULL, '... nor the SPAN views');
SELECT throws_ok($$SELECT * FROM rl.stress_losses$$, '42501', NULL, '... nor the stress views');
RESET ROLE;
SELECT throws_ok($$SELECT portmargin.grant_reader('public', 'pm_bi_r')$$, '22023', NULL,
                 'a schema that is not a reference schema: 22023');
SELECT throws_ok($$SELECT portmargin.grant_reader(NULL, 'pm_bi_r')$$, '22004', 'argument "target" must not be NULL',
                 'NULL target: 22004');
SELECT throws_ok($$SELECT portmargin.grant_reader('rl', 'no_such_role_pm')$$, '42704', NULL, 'an unknown role: 42704');
SELECT throws_ok($$SELECT portmargin.grant_writer('nosuchschema_pm', 'pm_bi_r')$$, '22023',
                 'invalid value for argument "target": schema nosuchschema_pm does not exist', 'an unknown schema: 22023');

SELECT * FROM finish();
ROLLBACK;
