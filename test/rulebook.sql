-- test/rulebook.sql: the rulebook type (which scenario set each risk unit
-- takes).  Expected values follow from the documented matching order
-- ((underlying, settlement), then (underlying, *), then (*, settlement),
-- then (*, *)) and from round trips; each set is compared with the set
-- it was built from.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(30);

CREATE TEMP TABLE s AS
SELECT portmargin.deribit_scenarios(0.16) AS btc, portmargin.deribit_scenarios(0.18) AS eth,
       portmargin.deribit_scenarios(0.20) AS lin, portmargin.span_scenarios(0.1, 0.05) AS dflt,
       portmargin.deribit_scenarios(0.30) AS btc_any;
CREATE TEMP TABLE rb AS
SELECT portmargin.rulebook(ARRAY['BTC', 'ETH', '*', '*', 'BTC'], ARRAY['inverse', 'inverse', 'linear', '*', '*'],
                           ARRAY[btc, eth, lin, dflt, btc_any], ARRAY['btc', 'eth', 'linear', 'default', 'btc-any']) AS r
FROM s;

-- matching: the most specific rule
SELECT ok((SELECT portmargin.rule_for(r, 'BTC', 'inverse') FROM rb) OPERATOR(portmargin.=) (SELECT btc FROM s), 'BTC/inverse: its own rule');
SELECT ok((SELECT portmargin.rule_for(r, 'BTC', 'linear') FROM rb) OPERATOR(portmargin.=) (SELECT btc_any FROM s), 'BTC/linear: (BTC, *) before (*, linear)');
SELECT ok((SELECT portmargin.rule_for(r, 'ETH', 'inverse') FROM rb) OPERATOR(portmargin.=) (SELECT eth FROM s), 'ETH/inverse: its own rule');
SELECT ok((SELECT portmargin.rule_for(r, 'ETH', 'linear') FROM rb) OPERATOR(portmargin.=) (SELECT lin FROM s), 'ETH/linear: (*, linear)');
SELECT ok((SELECT portmargin.rule_for(r, 'SOL', 'inverse') FROM rb) OPERATOR(portmargin.=) (SELECT dflt FROM s), 'SOL/inverse: the default (*, *)');
SELECT ok((SELECT portmargin.rule_for(r, 'BT', 'inverse') FROM rb) OPERATOR(portmargin.=) (SELECT dflt FROM s), 'a prefix of a name is another name');

-- the rules, in canonical order (named underlyings by name, then *; linear, inverse, *)
SELECT is((SELECT array_agg(underlying || '/' || settlement || ' ' || name) FROM portmargin.rules((SELECT r FROM rb))),
          '{"BTC/inverse btc","BTC/* btc-any","ETH/inverse eth","*/linear linear","*/* default"}'::text[],
          'rules() lists every rule, in key order');
SELECT is((SELECT count(*)::int FROM portmargin.rules((SELECT r FROM rb)) x JOIN s ON true
           WHERE x.scenarios OPERATOR(portmargin.=) CASE x.name WHEN 'btc' THEN s.btc WHEN 'eth' THEN s.eth WHEN 'linear' THEN s.lin
                                                  WHEN 'default' THEN s.dflt ELSE s.btc_any END), 5,
          'each rule carries the set it was built with');
-- the order of the input does not matter
SELECT ok((SELECT portmargin.rulebook(ARRAY['*', 'BTC', '*', 'ETH', 'BTC'], ARRAY['*', '*', 'linear', 'inverse', 'inverse'],
                                      ARRAY[dflt, btc_any, lin, eth, btc], ARRAY['default', 'btc-any', 'linear', 'eth', 'btc']) FROM s)
          OPERATOR(portmargin.=) (SELECT r FROM rb), 'rules given in another order build the same value');

-- text and binary forms
SELECT ok((SELECT r::text::portmargin.rulebook FROM rb) OPERATOR(portmargin.=) (SELECT r FROM rb), 'text round trip');
SELECT is((SELECT r::text::portmargin.rulebook::text FROM rb), (SELECT r::text FROM rb), 'the text form is canonical');
SELECT matches((SELECT r::text FROM rb), '^rulebook\(BTC/inverse "btc": deribit\(', 'text form starts with the first rule');
SELECT ok(('rulebook("odd ""name""/x"/linear: ' || portmargin.span_scenarios(0.1, 0.05)::text || ')')::portmargin.rulebook IS NOT NULL,
          'a quoted underlying with quotes and a slash');
SELECT is((SELECT underlying FROM portmargin.rules(('rulebook("odd ""name""/x"/linear: ' || portmargin.span_scenarios(0.1, 0.05)::text || ')')::portmargin.rulebook)),
          'odd "name"/x', 'and its name reads back');
CREATE TEMP TABLE bin (r portmargin.rulebook);
SELECT NOT rolsuper AS pm_not_superuser FROM pg_catalog.pg_roles WHERE rolname = current_user \gset
\if :pm_not_superuser
SELECT skip('COPY to and from server files needs a superuser (run as an application role)', 1);
\else
DO $$
BEGIN
  EXECUTE format('COPY (SELECT r FROM rb) TO %L (FORMAT binary)', current_setting('data_directory') || '/pm_rulebook.bin');
  EXECUTE format('COPY bin FROM %L (FORMAT binary)', current_setting('data_directory') || '/pm_rulebook.bin');
END $$;
SELECT ok((SELECT r FROM bin) OPERATOR(portmargin.=) (SELECT r FROM rb), 'binary (COPY BINARY) round trip');
\endif

-- a scenario set is the rulebook of one default rule
SELECT ok((SELECT portmargin.rule_for(dflt::portmargin.rulebook, 'ANY', 'linear') FROM s) OPERATOR(portmargin.=) (SELECT dflt FROM s),
          'cast: the set applies to every unit');
SELECT is((SELECT count(*)::int FROM s, portmargin.rules(s.dflt)), 1, 'cast: one rule');
SELECT is((SELECT underlying || '/' || settlement FROM s, portmargin.rules(s.dflt)), '*/*', 'cast: the rule is */*');

-- bad input
SELECT is(pg_temp.err($$SELECT portmargin.rulebook('{BTC,BTC}', '{inverse,inverse}', ARRAY[btc, eth]) FROM s$$),
          '22023: invalid value for argument "underlyings": two rules for BTC/inverse', 'two rules for one key -> 22023');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook('{BTC}', '{coin}', ARRAY[btc]) FROM s$$),
          '22023: invalid value for argument "settlements": "coin" is not a settlement (linear, inverse or * for any)', 'unknown settlement -> 22023');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook('{BTC,ETH}', '{inverse}', ARRAY[btc, eth]) FROM s$$),
          '22023: invalid value for argument "settlements": 1 settlements for 2 underlyings', 'mismatched arrays -> 22023');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook('{}', '{}', ARRAY[]::portmargin.scenario_set[])$$),
          '22023: invalid value for argument "underlyings": a rulebook needs at least one rule', 'no rule -> 22023');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook('{BTC,NULL}', '{inverse,inverse}', ARRAY[btc, eth]) FROM s$$),
          '22023: invalid value for argument "underlyings": element 2 is NULL', 'NULL underlying -> 22023');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook(NULL, '{inverse}', ARRAY[btc]) FROM s$$),
          '22004: argument "underlyings" must not be NULL', 'NULL array -> 22004');
SELECT matches(pg_temp.err($$SELECT portmargin.rulebook('{BTC,*}', '{inverse,*}',
                             ARRAY[btc, portmargin.var_scenarios('{BTC}', '{-0.1,0.1}')]) FROM s$$),
               '^22023: .*joint \(var\) scenario set, which must be the only rule', 'a joint set among several rules -> 22023');
SELECT matches(pg_temp.err($$SELECT portmargin.rule_for(portmargin.rulebook('{BTC}', '{inverse}', ARRAY[btc]), 'ETH', 'inverse') FROM s$$),
               '^22023: .*the rulebook has no rule for risk unit ETH/inverse', 'a unit no rule covers -> 22023 naming it');
SELECT matches(pg_temp.err($$SELECT 'rulebook(BTC/inverse: deribit(price_range=0.16)'::portmargin.rulebook$$),
               '^22P02: invalid input syntax for type rulebook', 'unclosed text -> 22P02');

-- named rulebooks from rulebook_rules (user rows) and scenario_presets
INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
SELECT 'test-btc', btc, 'test', 'test' FROM s UNION ALL SELECT 'test-any', dflt, 'test', 'test' FROM s;
INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES
  ('test-book', 'BTC', 'inverse', 'test-btc'), ('test-book', '*', '*', 'test-any');
SELECT ok(portmargin.rule_for(portmargin.rulebook_preset('test-book'), 'BTC', 'inverse') OPERATOR(portmargin.=) (SELECT btc FROM s),
          'rulebook_preset: the BTC rule');
SELECT is((SELECT array_agg(name ORDER BY name) FROM portmargin.rules(portmargin.rulebook_preset('test-book'))), '{test-any,test-btc}',
          'rulebook_preset: rules named after their presets');
SELECT is(pg_temp.err($$SELECT portmargin.rulebook_preset('no such book')$$), '22023: unknown rulebook "no such book"', 'unknown rulebook -> 22023');

SELECT * FROM finish();
ROLLBACK;
