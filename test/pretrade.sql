-- test/pretrade.sql: the pre-trade check (issue 12, point 2).  Expected
-- values: a full recompute (account_margin_at of the account with the
-- orders resting in open_orders) and the live table; bad input is 22023 /
-- 22004 naming the argument and changes nothing; two sessions checking the
-- same order, which fits the account's free margin once, accept it once
-- (test/pretrade_concurrency.sh, run from here in other sessions).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
\set conc `bash test/pretrade_concurrency.sh :DBNAME 2>&1`
BEGIN;
SELECT plan(19);

SELECT portmargin.create_reference_schema('pt') IS NOT NULL AND portmargin.generate_demo_book('pt', 40, 0.3) = 40 AS ready \gset
-- a healthy account, a put of a unit it holds that it does not hold itself
\ir lib/pretrade_pick.psql
CREATE TEMP TABLE o AS SELECT * FROM pg_temp.pretrade_pick('pt', 'put');
SELECT ok((SELECT account_id IS NOT NULL AND instrument_id IS NOT NULL FROM o), 'the test account and instrument');

-- accepted: reserved, and the figures are a full recompute before and after
CREATE TEMP TABLE before AS SELECT m.equity, m.initial_margin FROM pt.account_margin_at(NULL, NULL, (SELECT account_id FROM o)) m;
CREATE TEMP TABLE r1 AS SELECT * FROM pt.pretrade_check((SELECT account_id FROM o), ARRAY[(SELECT instrument_id FROM o)], '{sell}', '{0.1}');
SELECT is((SELECT accepted FROM r1), true, 'a small sale: accepted');
SELECT is((SELECT count(*) FROM pt.open_orders), 1::bigint, 'and reserved in open_orders');
SELECT is((SELECT quantity FROM pt.open_orders), -0.1::float8, 'as a resting sell of 0.1');
SELECT is((SELECT initial_margin_before FROM r1), (SELECT initial_margin FROM before), 'initial margin before = a full recompute');
SELECT is((SELECT initial_margin_after FROM r1),
          (SELECT m.initial_margin FROM pt.account_margin_at(NULL, NULL, (SELECT account_id FROM o)) m),
          'initial margin after = a full recompute with the order resting');
SELECT ok((SELECT initial_margin_after > initial_margin_before FROM r1), 'a sale of a put raises the requirement');
SELECT is((SELECT free_equity_after FROM r1), (SELECT equity - initial_margin_after FROM r1), 'free equity = equity - initial margin');
SELECT matches((SELECT reason FROM r1), '^accepted: free equity after the orders [0-9.]+ USD$', 'the reason says why');

-- rejected: nothing changes
CREATE TEMP TABLE r2 AS SELECT * FROM pt.pretrade_check((SELECT account_id FROM o), ARRAY[(SELECT instrument_id FROM o)], '{sell}', '{1e6}');
SELECT is((SELECT accepted FROM r2), false, 'a sale of a million puts: rejected');
SELECT is((SELECT count(*) FROM pt.open_orders), 1::bigint, 'and not reserved');
SELECT matches((SELECT reason FROM r2), '^rejected: initial margin after the orders [0-9.]+ USD exceeds equity [-0-9.]+ USD$', 'the reason says why');

-- with live margin: the check reads and keeps margin_live
SELECT portmargin.enable_live_margin('pt') = 40 AS live \gset
CREATE TEMP TABLE r3 AS SELECT * FROM pt.pretrade_check((SELECT account_id FROM o), ARRAY[(SELECT instrument_id FROM o)], '{sell}', '{0.1}');
SELECT is((SELECT initial_margin_after FROM r3), (SELECT initial_margin FROM pt.margin_live WHERE account_id = (SELECT account_id FROM o)),
          'live margin on: the requirement after the check is margin_live''s');
SELECT ok((SELECT abs(initial_margin_after - m.initial_margin) <= 1e-12 * m.initial_margin
           FROM r3, pt.account_margin_at(NULL, NULL, (SELECT account_id FROM o)) m), 'and equals a full recompute (1e-12)');

-- bad input
SELECT throws_ok($$SELECT * FROM pt.pretrade_check(999999, '{1}', '{buy}', '{1}')$$, '22023',
                 'invalid value for argument "account_id": 999999', 'an unknown account: 22023 naming it');
SELECT throws_ok($$SELECT * FROM pt.pretrade_check(1, '{999999}', '{buy}', '{1}')$$, '22023',
                 'invalid value for argument "instrument_ids": 999999', 'an unknown instrument: 22023 naming it');
SELECT throws_ok($$SELECT * FROM pt.pretrade_check(1, '{1}', '{hold}', '{1}')$$, '22023',
                 'invalid value for argument "sides": ''hold''', 'a side other than buy or sell: 22023');
SELECT throws_ok($$SELECT * FROM pt.pretrade_check(1, '{1}', '{buy}', '{-1}')$$, '22023',
                 'invalid value for argument "amounts": -1', 'a non-positive amount: 22023');

-- two sessions at once (test/pretrade_concurrency.sh)
-- (the second session normally waits for the first; should it win the lock instead, the first is the one rejected)
SELECT is(regexp_replace(regexp_replace(:'conc', '^.*(sequential \S+ \S+).*first (\S+).*second (\S+) ([0-9.]+).*(reserved \d+).*$',
                                        '\1 \2\3 \5'), ' (tf|ft) ', ' one of two '),
          'sequential t f one of two reserved 1',
          'an order that fits the free margin once: checked twice in one transaction, then by two sessions at once, it is accepted once (the second session waits for the first and sees its reservation)');
SELECT * FROM finish();
ROLLBACK;
