-- test/backtest_history.sql: backtesting on the margin history
-- (doc/backtesting.md, "Backtesting the margin history"): create_backtest_tables,
-- positions frozen at each snapshot, the hypothetical P&L over the margin
-- period of risk from index_price_history, non-overlapping sampling, and the
-- backtest per account and firm-wide.  Expected values by hand (in the
-- comments); the option's through black76_price (tested against QuantLib in
-- test/pricing_truth.sql) at the aged time to expiry.
BEGIN;
SELECT plan(17);

-- linear perpetuals on XA (index = forward), margined by a +/-10% scan: margin = 0.1 |q| P
SELECT portmargin.create_reference_schema('bh');
INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
VALUES ('test-10pct', portmargin.grid_scenarios('{-0.1,0.1}', '{0,0}'), 'test: +/-10%, initial = maintenance = scan', 'test');
INSERT INTO bh.accounts (account_id, name, method) VALUES (1, 'long', 'test-10pct'), (2, 'short', 'test-10pct'), (3, 'call', 'test-10pct');
INSERT INTO bh.instruments (instrument_id, name, underlying, kind, option_type, strike, expiry) VALUES
  (1, 'XA-PERP', 'XA', 'perpetual', NULL, NULL, NULL), (2, 'XA-C100', 'XA', 'option', 'call', 100, '2026-07-01 00:00+00');
INSERT INTO bh.implied_vols VALUES (2, 0.5);
INSERT INTO bh.positions VALUES (1, 1, 10, 100), (2, 1, -5, 100), (3, 2, 1, NULL);
INSERT INTO bh.collateral VALUES (1, 'USD', 1e6), (2, 'USD', 1e6), (3, 'USD', 1e6);
INSERT INTO bh.index_prices VALUES ('XA', 100, '2026-01-01 00:00+00');
SELECT is(portmargin.create_backtest_tables('bh'), 'bh', 'create_backtest_tables');
SELECT is(portmargin.create_backtest_tables('bh'), 'bh', '... twice: idempotent');
-- daily snapshots as the index moves 100 -> 91 -> 99 -> 120 (-> 118 on the fifth day, not snapshotted)
SELECT bh.snapshot_margins('2026-01-01 00:00+00');
UPDATE bh.index_prices SET price = 91, as_of = '2026-01-02 00:00+00';
SELECT bh.snapshot_margins('2026-01-02 00:00+00');
UPDATE bh.index_prices SET price = 99, as_of = '2026-01-03 00:00+00';
SELECT bh.snapshot_margins('2026-01-03 00:00+00');
UPDATE bh.index_prices SET price = 120, as_of = '2026-01-04 00:00+00';
SELECT bh.snapshot_margins('2026-01-04 00:00+00');
UPDATE bh.index_prices SET price = 118, as_of = '2026-01-05 00:00+00';
SELECT is((SELECT count(*)::int FROM bh.index_price_history), 5, 'index_price_history: every index price, by the trigger');
SELECT is((SELECT count(*)::int FROM bh.position_history), 12, 'position_history: 3 positions frozen at each of 4 snapshots');

-- horizon 1 day: account 1 (long 10): 10 x (91 - 100) = -90, 10 x 8 = 80, 10 x 21 = 210, 10 x (118 - 120) = -20,
-- margins 0.1 x 10 x P: 100, 91, 99, 120 -> no exception;
-- account 2 (short 5): +45, -40, -105, +10 against 50, 45.5, 49.5, 60 -> one exception (105 > 49.5)
SELECT results_eq($$SELECT account_id, round(pnl::numeric, 9), round(initial_margin::numeric, 9), exception FROM bh.hypothetical_pnl('1 day')
                    WHERE account_id IN (1, 2) ORDER BY account_id, snapshot_at$$,
                  $$VALUES (1::bigint, -90::numeric, 100::numeric, false), (1, 80, 91, false), (1, 210, 99, false), (1, -20, 120, false),
                           (2, 45, 50, false), (2, -40, 45.5, false), (2, -105, 49.5, true), (2, 10, 60, false)$$,
                  'horizon 1 day: the hypothetical P&L of the frozen positions and the snapshot''s margin, by hand');
-- the call: Black-76 at the index one day later and the time to expiry one day shorter, minus its value at the snapshot
SELECT ok((SELECT bool_and(abs(h.pnl - (portmargin.black76_price('call', e.p1, 100, portmargin.year_fraction(h.snapshot_at, '2026-07-01 00:00+00') - 1 / 365.0, 0.5, 0)
                                           - portmargin.black76_price('call', e.p0, 100, portmargin.year_fraction(h.snapshot_at, '2026-07-01 00:00+00'), 0.5, 0)))
                           < 1e-9)
           FROM bh.hypothetical_pnl('1 day') h
           JOIN (VALUES ('2026-01-01 00:00+00'::timestamptz, 100::float8, 91::float8), ('2026-01-02', 91, 99), ('2026-01-03', 99, 120),
                        ('2026-01-04', 120, 118)) e(at, p0, p1) ON e.at = h.snapshot_at
           WHERE h.account_id = 3),
          'the call: revalued at the next day''s index and one day less to expiry (aged), at its snapshot vol');
-- horizon 2 days: the snapshot of day 4 has no price two days later: 3 snapshots; non-overlapping: days 1 and 3
-- account 1: 10 x (99 - 100) = -10 and 10 x (118 - 99) = 190
SELECT is((SELECT count(DISTINCT snapshot_at)::int FROM bh.hypothetical_pnl('2 days')), 3, 'horizon 2 days: 3 snapshots have a price 2 days on');
SELECT results_eq($$SELECT snapshot_at, round(pnl::numeric, 9) FROM bh.hypothetical_pnl('2 days', non_overlapping => true) WHERE account_id = 1 ORDER BY 1$$,
                  $$VALUES ('2026-01-01 00:00+00'::timestamptz, -10::numeric), ('2026-01-03 00:00+00', 190)$$,
                  'non-overlapping 2-day windows: days 1 and 3 only, -10 and +190');

-- the backtest per account and firm-wide (one observation per snapshot day)
SELECT is((SELECT ((result).observations, (result).exceptions)::text FROM bh.backtest_history('1 day') WHERE account_id = 2),
          '(4,1)', 'account 2: 4 observations, 1 exception');
SELECT is((SELECT ((result).observations, (result).exceptions)::text FROM bh.backtest_history('1 day') WHERE account_id = 1),
          '(4,0)', 'account 1: 4 observations, none');
SELECT is((SELECT (result).exceptions FROM bh.backtest_history('1 day') WHERE account_id IS NULL),
          (SELECT count(*)::int FROM (SELECT snapshot_at FROM bh.hypothetical_pnl('1 day') GROUP BY snapshot_at
                                      HAVING -sum(pnl) > sum(initial_margin)) x),
          'firm-wide: the days on which the summed loss exceeds the summed margin');
SELECT is((SELECT (result).observations FROM bh.backtest_history('2 days', 0.99, true) WHERE account_id = 1), 2,
          'non-overlapping backtest: 2 observations');

SELECT throws_ok($$SELECT * FROM bh.hypothetical_pnl('-1 day')$$, '22023', 'invalid value for argument "horizon": -1 days',
                 'a horizon <= 0: 22023 naming it');
SELECT throws_ok($$SELECT portmargin.create_backtest_tables('public')$$, '22023', NULL, 'a schema that is not a reference schema: 22023');
-- the reference-schema check (reference_schema_arg) says what is missing
CREATE FUNCTION pg_temp.error_detail(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN d;
END
$f$;
SELECT is(pg_temp.error_detail($$SELECT portmargin.create_backtest_tables('public')$$),
          'The schema has no margin_history, position_values: it is not a reference schema.', '... and its detail names the missing tables');
SELECT is(pg_temp.error_detail($$SELECT portmargin.create_stress_tables('no_such_schema_bh')$$), 'The schema does not exist.',
          'a schema that does not exist: said so');
SELECT throws_ok($$SELECT portmargin.create_backtest_tables(NULL)$$, '22004', 'argument "target" must not be NULL', 'a NULL target: 22004');

SELECT * FROM finish();
ROLLBACK;
