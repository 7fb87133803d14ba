-- test/span_load.sql: a SPAN risk parameter file loaded into tables and used
-- to margin accounts (create_span_tables, load_span_file, span_parameters_of,
-- the views span_position_arrays and span_account_margin), and loads that
-- must fail whole.  The file is test/span/sample.pa2 (synthetic, written by
-- test/span/make_sample.py; test/span/README.md gives its provenance).
-- Expected margins are the published and hand-derived values the sample
-- was built from (README.md), not portmargin's output.
\set sample `cat test/span/sample.pa2`
BEGIN;
SELECT plan(45);

SELECT portmargin.create_reference_schema('spantest');
SELECT is(portmargin.create_span_tables('spantest'), 'spantest', 'create_span_tables in a reference schema');
SELECT is(portmargin.create_span_tables('spantest'), 'spantest', '... twice: idempotent');

CREATE TEMP TABLE loaded AS SELECT portmargin.load_span_file('spantest', :'sample'::text, 'sample.pa2') AS file_id;
SELECT is((SELECT (business_date, exchange_complex, settlement_code, file_name)::text FROM spantest.span_files),
          '(2026-12-02,CME,S,sample.pa2)', 'the file row: business date, exchange complex, settlement (record 0)');
SELECT results_eq($$SELECT (SELECT count(*) FROM spantest.span_combined_commodities), (SELECT count(*) FROM spantest.span_products),
                           (SELECT count(*) FROM spantest.span_tiers), (SELECT count(*) FROM spantest.span_intra_spreads),
                           (SELECT count(*) FROM spantest.span_spot_months), (SELECT count(*) FROM spantest.span_inter_spreads),
                           (SELECT count(*) FROM spantest.span_risk_arrays)$$,
                  $$VALUES (5::bigint, 6::bigint, 5::bigint, 4::bigint, 1::bigint, 1::bigint, 9::bigint)$$,
                  'every record in its table: 5 combined commodities, 6 products, 5 intra tiers, 4 tier spreads, 1 delivery month, 1 inter spread, 9 arrays');
SELECT is((SELECT (initial_ratios, maintenance_factors, wfpr_method)::text FROM spantest.span_combined_commodities WHERE cc = 'Y'),
          '("{1.1,1.2,1.35}","{1,1,1}",1)', 'Y: initial ratios 1.100 / 1.200 / 1.350 (record 3), maintenance factors 1.00 (record 4), WFPR method 1 (S)');
SELECT is((SELECT (rate_consumed, rate_remaining)::text FROM spantest.span_spot_months WHERE cc = 'Y'), '(40,70)', 'Y''s delivery month Mar: $40 and $70');
SELECT is((SELECT (priority, rate, tiers, sides)::text FROM spantest.span_intra_spreads WHERE cc = 'X' ORDER BY seq LIMIT 1 OFFSET 1),
          '(2,50,"{2,4}","{A,B}")', 'X''s second tier spread: priority 2, $50, tiers 2 and 4');
SELECT is((SELECT (credit_rate, ccs, ratios, sides, required)::text FROM spantest.span_inter_spreads),
          '(55,"{C,S}","{2,1}","{A,B}","{t,t}")', 'the inter spread: 55%, 2 C against 1 S');
SELECT is((SELECT risk_array FROM spantest.span_risk_arrays WHERE product = 'X' AND futures_month = 202604),
          '{0,0,-250,-250,250,250,-500,-500,500,500,-750,-750,750,750,-742,742}'::float8[], 'X Apr: the array as written, signs applied');
SELECT is((SELECT (strike, put_call, option_month, composite_delta, settlement_price, option_value)::text
           FROM spantest.span_risk_arrays WHERE product_type = 'OOF'),
          '(410,C,202612,0.6,20,1000)', 'the SP call: strike 410, delta 0.6000, settlement 2000 at 2 decimals (P) = 20.00, x CVF 50 = $1,000 per contract');
SELECT is((SELECT option_value FROM spantest.span_risk_arrays WHERE product = 'SP' AND product_type = 'FUT'), NULL::float8,
          'a future has no option value');

-- the book: one account per published case
INSERT INTO spantest.accounts (account_id, name) SELECT g, 'span ' || g FROM generate_series(1, 7) g;
INSERT INTO spantest.instruments (instrument_id, name, underlying, kind, option_type, strike, expiry) VALUES
 (1, 'X-202602', 'X', 'future', NULL, NULL, '2026-02-20'), (2, 'X-202603', 'X', 'future', NULL, NULL, '2026-03-20'),
 (3, 'X-202604', 'X', 'future', NULL, NULL, '2026-04-20'), (4, 'C-202603', 'C', 'future', NULL, NULL, '2026-03-13'),
 (5, 'S-202603', 'S', 'future', NULL, NULL, '2026-03-13'), (6, 'Y-202603', 'Y', 'future', NULL, NULL, '2026-03-20'),
 (7, 'Y-202606', 'Y', 'future', NULL, NULL, '2026-06-19'), (8, 'SP-202612', 'SP', 'future', NULL, NULL, '2026-12-18'),
 (9, 'SP-202612-C410', 'SP', 'option', 'call', 410, '2026-12-18');
INSERT INTO spantest.span_instruments (instrument_id, exchange, product, product_type, futures_month, option_month, put_call, strike) VALUES
 (1, 'CME', 'X', 'FUT', 202602, 0, '', 0), (2, 'CME', 'X', 'FUT', 202603, 0, '', 0), (3, 'CME', 'X', 'FUT', 202604, 0, '', 0),
 (4, 'CME', 'C', 'FUT', 202603, 0, '', 0), (5, 'CME', 'S', 'FUT', 202603, 0, '', 0), (6, 'CME', 'Y', 'FUT', 202603, 0, '', 0),
 (7, 'CME', 'Y', 'FUT', 202606, 0, '', 0), (8, 'CME', 'SP', 'FUT', 202612, 0, '', 0), (9, 'CME', 'SP', 'OOF', 202612, 202612, 'C', 410);
INSERT INTO spantest.positions (account_id, instrument_id, quantity) VALUES
 (1, 1, 1), (1, 2, -1),          -- +1 M2 / -1 M3
 (2, 1, 1), (2, 3, -1),          -- +1 M2 / -1 M4
 (3, 2, 1), (3, 3, -1),          -- +1 M3 / -1 M4
 (4, 4, 2), (4, 5, -1),          -- 2 corn long, 1 soybeans short
 (5, 6, 3), (5, 7, -1),          -- Y: +3 Mar, -1 Jun
 (6, 8, 1), (6, 9, -1),          -- covered write
 (7, 6, 3), (7, 7, -1);          -- as 5, a hedger
INSERT INTO spantest.span_account_types VALUES (7, 'H');
CREATE TEMP TABLE m AS SELECT account_id, margin FROM spantest.span_account_margin;

SELECT is((SELECT (margin).maintenance_margin FROM m WHERE account_id = 1), 200::float8,
          'CME spread page: +1 M2 / -1 M3 = $200 (from the loaded file)');
SELECT is((SELECT (margin).maintenance_margin FROM m WHERE account_id = 2), 300::float8, '... +1 M2 / -1 M4 = $300');
SELECT is((SELECT (margin).maintenance_margin FROM m WHERE account_id = 3), 250::float8, '... +1 M3 / -1 M4 = $250');
SELECT is((SELECT (margin).maintenance_margin FROM m WHERE account_id = 4), 2700::float8,
          'CME spread page: Corn 2 : Soybeans 1 at 55% = $2,700');
-- Y: scan 3 x 1,000 - 1,200 = 1,800; one tier spread $100; Mar: 1 delta consumed x $40 + 2 left x $70 = $180;
-- 2,080; speculator (the default) initial 2,080 x 1.35 = 2,808; hedger 2,080 x 1.20 = 2,496
SELECT is((SELECT ((margin).maintenance_margin, (margin).initial_margin)::text FROM m WHERE account_id = 5), '(2080,2808)',
          'delivery month by hand: 1,800 + 100 + 180 = 2,080; initial x 1.35 (speculator)');
SELECT is((SELECT (margin).initial_margin FROM m WHERE account_id = 7), 2080 * 1.2::float8, '... a hedger account: x 1.20');
SELECT is((SELECT ((margin).units[1].intra_spread_charge, (margin).units[1].spot_month_charge)::text FROM m WHERE account_id = 5),
          '(100,180)', '... intra 100 and spot 180 in the per-unit breakdown');
-- McMillan's covered write: scan 6,620 (scenario 13); short call worth 20.00 x 50 = $1,000: 6,620 + 1,000 = 7,620
SELECT is((SELECT ((margin).scan_loss, (margin).net_option_value, (margin).maintenance_margin)::text FROM m WHERE account_id = 6),
          '(6620,-1000,7620)', 'McMillan covered write from the file: scan 6,620, short call''s value 1,000 charged: 7,620');
SELECT is((SELECT count(*)::int FROM m), 7, 'one row per account and currency');

SELECT is((SELECT jsonb_array_length(portmargin.span_parameters_document(portmargin.span_parameters_of('spantest', file_id))
                                     -> 'combined_commodities') FROM loaded), 5, 'span_parameters_of: the file''s 5 combined commodities');
-- the same as views' SPAN through the aggregate directly
SELECT is((SELECT (portmargin.span_margin(portmargin.span_portfolio(cc, month, quantity, risk_array, composite_delta, option_value, put_call),
                                          (SELECT portmargin.span_parameters_of('spantest', file_id) FROM loaded))).maintenance_margin
           FROM spantest.span_position_arrays WHERE account_id = 4), 2700::float8, 'span_position_arrays feeds the aggregate');

-- a second load is a second file; the views use the latest
CREATE TEMP TABLE loaded2 AS SELECT portmargin.load_span_file('spantest', :'sample'::text, 'again.pa2') AS file_id;
SELECT is((SELECT count(*)::int FROM spantest.span_files), 2, 'a second load adds a file');
SELECT is((SELECT count(*)::int FROM spantest.span_account_margin), 7, '... and the views read the latest only');

-- ---------------------------------------------------------------------
-- bad files: an ERROR naming the line and field; nothing loaded
-- ---------------------------------------------------------------------
CREATE TEMP TABLE sample_lines AS
SELECT n::int, l FROM unnest(string_to_array(rtrim(:'sample'::text, E'\n'), E'\n')) WITH ORDINALITY AS x(l, n);
CREATE FUNCTION pg_temp.edited(line int, new text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(CASE WHEN n = line THEN new ELSE l END, E'\n' ORDER BY n) FROM sample_lines WHERE new IS NOT NULL OR n <> line $$;
CREATE FUNCTION pg_temp.line_of(prefix text) RETURNS int LANGUAGE sql AS $$ SELECT min(n) FROM sample_lines WHERE l LIKE prefix || '%' $$;

-- the file cut in the middle of its last record (an 82 of 60 characters)
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          left(:'sample'::text, length(rtrim(:'sample'::text, E'\n')) - 60)),
                   'line 43: record "82" is truncated%', 'a truncated file: 22P02 naming the line');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        left(:'sample'::text, length(rtrim(:'sample'::text, E'\n')) - 60)), '22P02', NULL, '... SQLSTATE 22P02');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          pg_temp.edited(pg_temp.line_of('C X     1002'), 'C X     10020200000a0010201A020401B')),
                   'line 15, field rate (columns 15-21)%"00000a0" is not a number', 'a garbled number names line and field');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$, pg_temp.edited(2, 'Q CME  01')),
                   'line 2: unknown record type "Q "%', 'an unknown record type names the line');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          pg_temp.edited(pg_temp.line_of('C X     1002'), 'C X     1002020000050010201A020901B')),
                   'line 15, field leg 2 tier: tier 9 is not an intra-commodity tier%', 'a spread on an unknown tier names line and leg');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          pg_temp.edited(pg_temp.line_of('6 GRN'), replace((SELECT l FROM sample_lines WHERE l LIKE '6 GRN%'), 'CME S     ', 'CME W     '))),
                   'line 23, field leg 2 cc: combined commodity "W" is not defined%', 'an inter spread on an unknown combined commodity names line and leg');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          pg_temp.edited(pg_temp.line_of('2 CME Y'), NULL)),
                   'line %, field cc: combined commodity "Y" is not defined by a type 2 record', 'records of a combined commodity the file does not define');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          pg_temp.edited(pg_temp.line_of('81CMEY         Y         FUT 202606'),
                                         replace((SELECT l FROM sample_lines WHERE l LIKE '81CMEY         Y         FUT 202606%'), '81CMEY', '81CMEQ')
                                         )), 'line %: the key of record "82"%differs%', 'an 82 whose 81 is of another contract');
SELECT throws_like(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                          replace(replace(:'sample'::text, '81CMEY         Y         FUT 202606', '81CMEQ         Y         FUT 202606'),
                                  '82CMEY         Y         FUT 202606', '82CMEQ         Y         FUT 202606')),
                   'line 38, field product: product Q FUT of exchange CME%', 'an array of a product in no combined commodity');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        rtrim(:'sample'::text, E'\n') || E'\n' || (SELECT string_agg(l, E'\n' ORDER BY n) FROM sample_lines WHERE n IN (26, 27))),
                 '22023', 'line 44, field product: the contract of this risk array (product X) has an array earlier in the file',
                 'a contract published twice names the second''s line');
-- values the margin cannot use, named where they are
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(5, rpad((SELECT l FROM sample_lines WHERE n = 5), 38) || 'X         FUT0+')),
                 '22023', 'line 5, field product: product X FUT is in two combined commodities',
                 'a product listed under two combined commodities');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(8, overlay((SELECT l FROM sample_lines WHERE n = 8) PLACING '4' FROM 83))),
                 '22023', 'line 8, field wfpr_method: weighted futures price risk method 4 is not 1, 2 or 3',
                 'an unknown weighted futures price risk method');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(13, overlay((SELECT l FROM sample_lines WHERE n = 13) PLACING '0000' FROM 77))),
                 '22023', 'line 13, field initial_ratio_speculator: 0.000 must be greater than zero',
                 'an initial ratio of zero');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(8, overlay((SELECT l FROM sample_lines WHERE n = 8) PLACING '2' FROM 83))),
                 '22023', 'line 8, field wfpr_method: method 2 of combined commodity X needs a futures price scan range, and no B record of its futures gives one',
                 'a capped weighted price risk without a price scan range');
-- what the loader refuses rather than margin wrongly: a flat-rate credit (col 101 F), per-leg rates (col 122 Y)
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(pg_temp.line_of('6 GRN'), overlay((SELECT l FROM sample_lines WHERE l LIKE '6 GRN%') PLACING 'F' FROM 101))),
                 '0A000', 'line 23, field credit_basis: flat-rate inter-commodity credits are not supported (only weighted futures price risk)',
                 'a flat-rate inter spread is refused (0A000) naming line and field');
SELECT throws_ok(format($$SELECT portmargin.load_span_file('spantest', %L)$$,
                        pg_temp.edited(pg_temp.line_of('6 GRN'), rpad((SELECT l FROM sample_lines WHERE l LIKE '6 GRN%'), 121) || 'Y')),
                 '0A000', 'line 23, field per_leg_rates: per-leg credit rates are not supported (one rate per spread)',
                 'per-leg credit rates are refused (0A000) naming line and field');
SELECT is((SELECT count(*)::int FROM spantest.span_files), 2, 'after the failed loads: still the two files, nothing half-loaded');
SELECT is((SELECT count(*)::int FROM spantest.span_risk_arrays), 18, '... and the arrays of those two only');
SELECT throws_ok($$SELECT portmargin.load_span_file('public', 'x')$$, '22023', NULL, 'a schema without SPAN tables: 22023');
SELECT throws_ok($$SELECT portmargin.load_span_file('spantest', E'   \n\n  ')$$, '22023',
                 'invalid value for argument "contents": the file has no records', 'a file of blanks: 22023, nothing loaded');
SELECT throws_ok($$SELECT portmargin.load_span_file('spantest', NULL)$$, '22004', NULL, 'NULL contents: 22004');

SELECT * FROM finish();
ROLLBACK;
