-- test/backtest.sql: the backtest aggregate against independent values.
-- test/fixtures/backtest.csv is written by test/fixtures/gen_backtest.py
-- (scipy chi2.sf / binom.cdf, LR values in 100-digit mpmath, cross-checked
-- with scipy.special.xlogy): 46 exception sequences, n = 1 to 1000,
-- confidence 0.95 to 0.995.  Each sequence becomes one account's daily
-- rows (margin 1; pnl -2 on an exception day, 0 otherwise), inserted in a
-- shuffled order: the aggregate must sort the days itself.  Plus the Basel
-- table for 250 days at 99% (green 0-4, yellow 5-9, red 10+), parallel =
-- serial, and bad input.
\set ON_ERROR_ROLLBACK on
\set ON_ERROR_STOP off
BEGIN;
\ir lib/helpers.psql

SELECT plan(30);

CREATE TEMP TABLE fx (
    "case" text, confidence float8, sequence text, n int, exceptions int,
    kupiec_lr float8, kupiec_p float8, n00 int, n01 int, n10 int, n11 int,
    independence_lr float8, independence_p float8, conditional_lr float8, conditional_p float8,
    binomial_cdf float8, zone text);
\copy fx FROM 'test/fixtures/backtest.csv' WITH (FORMAT csv, HEADER true)
SELECT is((SELECT count(*)::int FROM fx), 46, '46 fixture sequences');

SELECT setseed(0.31);
CREATE TEMP TABLE hist AS
SELECT f."case", f.confidence, DATE '2024-01-01' + (i - 1) AS day, 1.0::float8 AS margin,
       CASE substr(f.sequence, i, 1) WHEN '1' THEN -2.0 ELSE 0.0 END::float8 AS pnl
FROM fx f, generate_series(1, length(f.sequence)) i
ORDER BY random();
CREATE TEMP TABLE got AS
SELECT "case", portmargin.backtest(margin, pnl, day, confidence) AS b FROM hist GROUP BY "case";

-- |a - b| <= rel * |b| or <= abs; both NULL counts as equal
CREATE FUNCTION pg_temp.close(a float8, b float8, rel float8, ab float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $f$
  SELECT (a IS NULL AND b IS NULL) OR (a IS NOT NULL AND b IS NOT NULL AND (abs(a - b) <= rel * abs(b) OR abs(a - b) <= ab))
$f$;

SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE (b).observations <> n OR (b).exceptions <> exceptions$$, 'observations and exceptions');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE (b).n00 IS DISTINCT FROM n00 OR (b).n01 IS DISTINCT FROM n01
                     OR (b).n10 IS DISTINCT FROM n10 OR (b).n11 IS DISTINCT FROM n11$$, 'Christoffersen transition counts');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).kupiec_lr, kupiec_lr, 1e-9, 1e-12)$$, 'Kupiec LR (1e-9 relative or 1e-12 absolute)');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).kupiec_p, kupiec_p, 1e-9, 1e-14)$$, 'Kupiec p-value (1e-9 relative or 1e-14 absolute)');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).independence_lr, independence_lr, 1e-9, 1e-12)$$, 'Christoffersen independence LR');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).independence_p, independence_p, 1e-9, 1e-14)$$, 'Christoffersen independence p-value');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).conditional_lr, conditional_lr, 1e-9, 1e-12)$$, 'conditional coverage LR');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).conditional_p, conditional_p, 1e-9, 1e-14)$$, 'conditional coverage p-value');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE NOT pg_temp.close((b).binomial_cdf, binomial_cdf, 1e-9, 1e-14)$$, 'binomial CDF P(X <= x)');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case") WHERE (b).zone <> zone$$, 'traffic-light zone');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case") WHERE n < 2 AND (b).independence_lr IS NOT NULL$$,
                'one day: independence statistics are NULL');
SELECT is_empty($$SELECT "case" FROM fx JOIN got USING ("case")
                  WHERE (b).exception_rate <> exceptions::float8 / n OR (b).expected_rate <> 1 - confidence$$, 'rates');

-- Basel (1996) table, 250 days at 99%: 0-4 green, 5-9 yellow, 10+ red
CREATE TEMP TABLE basel AS
SELECT x, (SELECT (portmargin.backtest(1, CASE WHEN d <= x THEN -2 ELSE 0 END, DATE '2025-01-01' + d, 0.99)).zone
           FROM generate_series(1, 250) d) AS zone
FROM generate_series(0, 12) x;
SELECT is((SELECT array_agg(zone ORDER BY x) FROM basel),
          '{green,green,green,green,green,yellow,yellow,yellow,yellow,yellow,red,red,red}'::text[],
          'Basel traffic light for 250 days at 99%: green 0-4, yellow 5-9, red 10+');

-- an exception is a loss strictly above the figure
SELECT is((portmargin.backtest(m, p, DATE '2025-01-01' + i, 0.99)).exceptions, 1, 'loss = margin is not an exception, loss > margin is')
FROM (VALUES (1, 10.0::float8, -10.0::float8), (2, 10, -10.000001), (3, 10, 5)) v(i, m, p);
-- NULL margin or pnl rows are skipped
SELECT is((portmargin.backtest(m, p, DATE '2025-01-01' + i, 0.99)).observations, 2, 'rows with NULL margin or pnl are skipped')
FROM (VALUES (1, 10.0::float8, -11.0::float8), (2, NULL, -1), (3, 10, NULL), (4, 10, 1)) v(i, m, p);
SELECT is((SELECT portmargin.backtest(1, 0, DATE '2025-01-01', 0.99) FROM generate_series(1, 0)), NULL, 'empty group: NULL');

-- parallel = serial: a 500-account history
SELECT setseed(0.5);
CREATE TEMP TABLE mh AS
SELECT a AS account_id, DATE '2023-01-01' + d AS day, 100.0::float8 AS margin, (random() * 2 - 1) * 130 AS pnl
FROM generate_series(1, 500) a, generate_series(1, 250) d;
ANALYZE mh;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE b2 AS SELECT account_id, portmargin.backtest(margin, pnl, day, 0.99) b FROM mh GROUP BY account_id;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE b0 AS SELECT account_id, portmargin.backtest(margin, pnl, day, 0.99) b FROM mh GROUP BY account_id;
SELECT is((SELECT count(*)::int FROM b0 JOIN b2 USING (account_id) WHERE b0.b::text = b2.b::text), 500,
          'backtest with 2 parallel workers = serial (500 accounts)');
-- the exceptions of each account counted directly
SELECT is((SELECT count(*)::int FROM b0 WHERE (b).exceptions = (SELECT count(*) FROM mh WHERE mh.account_id = b0.account_id AND -pnl > margin)),
          500, 'exceptions = count of -pnl > margin per account');

-- bad input
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, d, 0.99) FROM (VALUES (DATE '2025-01-01'), (DATE '2025-01-01')) v(d)$$),
               '^22023: .*"day".*twice', 'a day twice in one group -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01', 1)$$), '^22023: .*"confidence"', 'confidence 1 -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01', 0)$$), '^22023: .*"confidence"', 'confidence 0 -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01', 'NaN')$$), '^22023: .*"confidence"', 'confidence NaN -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01', 5e-324)$$), '^22023: .*"confidence"', 'confidence whose 1 - c rounds to 1 -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01' + i, c) FROM (VALUES (1, 0.99::float8), (2, 0.975)) v(i, c)$$),
               '^22023: .*"confidence"', 'two confidences in one group -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest('NaN', 0, DATE '2025-01-01', 0.99)$$), '^22023: .*"margin"', 'NaN margin -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 'Infinity', DATE '2025-01-01', 0.99)$$), '^22023: .*"pnl"', 'infinite pnl -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, NULL, 0.99)$$), '^22004: .*"day"', 'NULL day -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE 'infinity', 0.99)$$), '^22023: .*"day"', 'infinite day -> ERROR');
SELECT matches(pg_temp.err($$SELECT portmargin.backtest(1, 0, DATE '2025-01-01', NULL)$$), '^22004: .*"confidence"', 'NULL confidence -> ERROR');

SELECT * FROM finish();
ROLLBACK;
