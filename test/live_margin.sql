-- test/live_margin.sql: live margin (issue 12, points 1 and 3).  The expected
-- values are a full recompute: after any sequence of trades and ticks,
-- margin_live equals the account_margin view computed afresh (1e-12
-- relative); every status change is a margin_calls row and a NOTIFY whose
-- payload repeats it; the background worker takes the queue after a
-- committed tick.  Parts that need other sessions (NOTIFY is delivered at
-- commit, the worker sees committed data) run in a second psql started from
-- here, whose output is parsed.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS portmargin;
-- ---------------------------------------------------------------------------------------
-- in other sessions: the NOTIFY at commit, the worker after a committed tick
-- ---------------------------------------------------------------------------------------
\set inner 'psql -X -q -v ON_ERROR_STOP=1 -d ' :DBNAME
\set out `:inner -c "SELECT portmargin.create_reference_schema('lvn'), portmargin.generate_demo_book('lvn', 40, 0.3)" -c "SELECT portmargin.enable_live_margin('lvn')" -c "LISTEN portmargin_margin_calls" -c "UPDATE lvn.collateral SET balance = -1e9 WHERE account_id = 7" -c "SELECT 'calls ' || count(*) FROM lvn.margin_calls WHERE account_id = 7 AND cause = 'collateral'" -c "SELECT portmargin.start_live_margin_worker('lvn', '5 ms') > 0" -c "SELECT 'same ' || (portmargin.start_live_margin_worker('lvn', '5 ms', if_not_running => true) = (SELECT w.pid FROM portmargin.live_margin_workers() w WHERE w.schema = 'lvn'))" -c "DO \$\$ BEGIN PERFORM portmargin.start_live_margin_worker('lvn', '5 ms'); EXCEPTION WHEN SQLSTATE '55000' THEN RAISE WARNING 'second start 55000'; END \$\$" -c "UPDATE lvn.index_prices SET price = price * 0.7" -c "DO \$\$ BEGIN FOR i IN 1..1000 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM lvn.margin_queue); PERFORM pg_sleep(0.005); END LOOP; END \$\$" -c "SELECT pg_sleep(0.2)" -c "SELECT 'ticked ' || count(*) FROM lvn.margin_live WHERE cause = 'tick'" -c "SELECT 'holders ' || count(DISTINCT account_id) FROM (SELECT account_id FROM lvn.positions UNION SELECT account_id FROM lvn.collateral WHERE currency IN ('BTC', 'ETH', 'SOL', 'SPX')) x" -c "SELECT portmargin.stop_live_margin_worker('lvn')" -c "SELECT 'workers ' || count(*) FROM portmargin.live_margin_workers()" -c "DROP SCHEMA lvn CASCADE" 2>&1`
BEGIN;
SELECT plan(26);
SELECT setseed(0.25);

-- a full recompute compared with margin_live: the accounts whose live row differs
CREATE FUNCTION pg_temp.live_mismatches(s text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format($q$
    SELECT count(*) FROM %1$I.account_margin a FULL JOIN %1$I.margin_live l USING (account_id)
    WHERE l.account_id IS NULL OR a.account_id IS NULL OR l.status IS DISTINCT FROM a.status
       OR abs(l.initial_margin - a.initial_margin) > 1e-12 * greatest(1, abs(a.initial_margin))
       OR abs(l.maintenance_margin - a.maintenance_margin) > 1e-12 * greatest(1, abs(a.maintenance_margin))
       OR abs(l.equity - a.equity) > 1e-12 * greatest(1, abs(a.equity))$q$, s) INTO n;
  RETURN n;
END $$;

SELECT portmargin.create_reference_schema('lv');
SELECT portmargin.generate_demo_book('lv', 60, 0.3);
SELECT is(portmargin.enable_live_margin('lv'), 60, 'enable_live_margin computes every account');
SELECT is(pg_temp.live_mismatches('lv'), 0::bigint, 'margin_live = account_margin after enabling');
SELECT is((SELECT count(*) FROM lv.margin_calls), (SELECT count(*) FROM lv.account_margin WHERE status <> 'healthy'),
          'a call row for every account that is not healthy when enabled');

-- one recompute per account per statement: count the live rows written
CREATE TEMP TABLE live_writes (account_id bigint);
CREATE FUNCTION pg_temp.count_live_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO live_writes VALUES (NEW.account_id); RETURN NEW; END $$;
CREATE TRIGGER count_writes AFTER UPDATE ON lv.margin_live FOR EACH ROW EXECUTE FUNCTION pg_temp.count_live_write();
UPDATE lv.positions SET quantity = quantity * 2 WHERE account_id IN (SELECT account_id FROM lv.positions GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 2);
SELECT is((SELECT count(*) FROM live_writes), 2::bigint,
          'a statement changing several positions of two accounts recomputes each account once');
SELECT is(pg_temp.live_mismatches('lv'), 0::bigint, 'and margin_live = a full recompute');
DROP TRIGGER count_writes ON lv.margin_live;

-- random trades and ticks
DO $$
DECLARE
  step int;
  acct bigint;
  ins bigint;
BEGIN
  FOR step IN 1 .. 80 LOOP
    acct := 1 + floor(random() * 60);
    -- an instrument of a risk unit the account already has (its rulebook covers it)
    ins := (SELECT i.instrument_id FROM lv.instruments i
            WHERE (i.underlying, i.settlement) IN (SELECT i2.underlying, i2.settlement FROM lv.positions p
                                                   JOIN lv.instruments i2 ON i2.instrument_id = p.instrument_id
                                                   WHERE p.account_id = acct)
            ORDER BY random() LIMIT 1);
    CONTINUE WHEN ins IS NULL;
    CASE floor(random() * 8)
      WHEN 6 THEN   -- resting orders placed (merged into the kept state), in one account or two
        INSERT INTO lv.open_orders (account_id, instrument_id, quantity)
        SELECT a, ins, round((random() * 6 - 3)::numeric, 1)::float8 + 0.25
        FROM unnest(CASE WHEN random() < 0.5 THEN ARRAY[acct] ELSE ARRAY[acct, 1 + (acct % 60)] END) a
        WHERE EXISTS (SELECT 1 FROM lv.positions p JOIN lv.instruments i ON i.instrument_id = p.instrument_id
                      JOIN lv.instruments j ON j.instrument_id = ins
                      WHERE p.account_id = a AND (i.underlying, i.settlement) = (j.underlying, j.settlement));
      WHEN 7 THEN   -- an order filled or cancelled
        DELETE FROM lv.open_orders WHERE order_id = (SELECT min(order_id) FROM lv.open_orders WHERE account_id = acct);
      WHEN 0 THEN   -- a trade: a new or added position
        INSERT INTO lv.positions (account_id, instrument_id, quantity, entry_price)
        VALUES (acct, ins, round((random() * 20 - 10)::numeric, 1)::float8 + 0.5, NULL)
        ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = lv.positions.quantity + EXCLUDED.quantity;
      WHEN 1 THEN   -- a position closed
        DELETE FROM lv.positions WHERE (account_id, instrument_id) IN
          (SELECT account_id, instrument_id FROM lv.positions WHERE account_id = acct LIMIT 1);
      WHEN 2 THEN   -- a deposit or withdrawal
        UPDATE lv.collateral SET balance = balance * (0.5 + random()) WHERE account_id = acct;
      WHEN 3 THEN   -- an index tick, then the worker's pass
        UPDATE lv.index_prices SET price = price * (0.9 + 0.2 * random())
        WHERE underlying = (ARRAY['BTC', 'ETH', 'SOL', 'SPX'])[1 + floor(random() * 4)];
        PERFORM lv.process_margin_queue();
      WHEN 4 THEN   -- a vol tick
        UPDATE lv.implied_vols SET vol = vol * (0.8 + 0.4 * random()) WHERE instrument_id = ins;
        PERFORM lv.process_margin_queue();
      ELSE          -- a forward tick on one expiry
        UPDATE lv.forwards SET forward = forward * (0.95 + 0.1 * random())
        WHERE (underlying, expiry) IN (SELECT underlying, expiry FROM lv.forwards ORDER BY random() LIMIT 1);
        PERFORM lv.process_margin_queue();
    END CASE;
  END LOOP;
END $$;
SELECT is(pg_temp.live_mismatches('lv'), 0::bigint,
          'after 80 random trades, closes, deposits, orders placed and cancelled and price, vol and forward ticks: margin_live = a full recompute (1e-12)');
SELECT cmp_ok((SELECT count(*) FROM lv.open_orders), '>', 0::bigint, 'the random sequence left resting orders');
SELECT is((SELECT count(*) FROM lv.margin_queue), 0::bigint, 'the queue is empty after the last pass');
-- every status change logged: replaying the calls gives each account's current status
SELECT is_empty($$SELECT l.account_id FROM lv.margin_live l
                  LEFT JOIN LATERAL (SELECT c.new_status FROM lv.margin_calls c WHERE c.account_id = l.account_id
                                     ORDER BY c.call_id DESC LIMIT 1) c ON true
                  WHERE coalesce(c.new_status, 'healthy') <> l.status$$,
                'each account''s last margin_calls row (healthy if none) is its live status');
SELECT is_empty($$SELECT c.call_id FROM lv.margin_calls c
                  WHERE c.old_status IS NOT DISTINCT FROM c.new_status$$, 'no call row without a change');
SELECT throws_ok($$SELECT portmargin.enable_live_margin('nosuchschema_lv')$$, '22023', NULL, 'an unknown schema: 22023');
SELECT throws_ok($$SELECT lv.add_live_orders('{1,2}', '{5}', '{1,1}')$$, '22023',
                 'invalid value for argument "instrument_ids": 1 elements for 2 account_ids', 'add_live_orders, arrays of other lengths: 22023');
SELECT throws_ok($$SELECT lv.add_live_orders('{1}', '{5}', '{NULL}')$$, '22004',
                 'invalid value for argument "quantities": an element is NULL', 'add_live_orders, a NULL quantity: 22004');
-- an order is merged into the account's kept state, not recomputed: doubling the kept USD rate by hand doubles the
-- margin the order's insert writes (a recompute would read the rate afresh); then recomputed and equal again
CREATE TEMP TABLE merge_probe AS
SELECT a.account_id, (SELECT p.instrument_id FROM lv.positions p WHERE p.account_id = a.account_id ORDER BY 1 LIMIT 1) AS ins
FROM lv.account_margin a WHERE a.initial_margin > 0 ORDER BY a.account_id LIMIT 1;
SELECT lv.refresh_live_margin(ARRAY(SELECT account_id FROM merge_probe));
UPDATE lv.margin_live_state SET margin_to_usd = margin_to_usd * 2 WHERE account_id = (SELECT account_id FROM merge_probe);
INSERT INTO lv.open_orders (account_id, instrument_id, quantity) SELECT account_id, ins, 1 FROM merge_probe;
SELECT is((SELECT round((l.initial_margin / a.initial_margin)::numeric, 9) FROM lv.margin_live l JOIN lv.account_margin a USING (account_id)
           WHERE l.account_id = (SELECT account_id FROM merge_probe)), 2.000000000,
          'an order is merged into the account''s kept state (its kept USD rate, doubled by hand, doubles the margin written)');
SELECT lv.refresh_live_margin(ARRAY(SELECT account_id FROM merge_probe));
SELECT is(pg_temp.live_mismatches('lv'), 0::bigint, 'recomputed: margin_live = a full recompute again');
-- a kept state that no longer matches the account's rulebook or preset (as after an edit of portmargin's
-- configuration) cannot be merged: the order's insert recomputes the account instead of failing
UPDATE lv.margin_live_state SET margin_state = (
  SELECT portmargin.portfolio_margin_state(portmargin.position(quantity => 1, underlying => 'SPX', kind => 'option',
           settlement => 'linear', option_type => 'call', forward => 5900, strike => 5900, t => 0.1, vol => 0.15,
           multiplier => 100), portmargin.preset('span')))
WHERE account_id = (SELECT account_id FROM merge_probe);
SELECT lives_ok($$INSERT INTO lv.open_orders (account_id, instrument_id, quantity) SELECT account_id, ins, 1 FROM merge_probe$$,
                'an order on an account whose kept state is of another scenario set is accepted');
SELECT is(pg_temp.live_mismatches('lv'), 0::bigint, 'and the account recomputed: margin_live = a full recompute');
-- a trade the account's rulebook cannot margin is refused, in its own transaction, and changes nothing
CREATE TEMP TABLE before_refused AS SELECT * FROM lv.margin_live;
SELECT throws_ok(format($$INSERT INTO lv.positions VALUES (%s, %s, 1, NULL)$$,
                        (SELECT a.account_id FROM lv.accounts a WHERE a.rulebook = 'deribit' ORDER BY 1 LIMIT 1),
                        (SELECT i.instrument_id FROM lv.instruments i WHERE i.underlying = 'SOL' ORDER BY 1 LIMIT 1)),
                 '22023', NULL, 'a SOL trade in an account under the deribit rulebook (no SOL rule): refused (22023)');
SELECT is_empty($$SELECT * FROM lv.margin_live EXCEPT SELECT * FROM before_refused$$, 'and margin_live is unchanged');

SELECT portmargin.disable_live_margin('lv');
INSERT INTO lv.collateral VALUES (1, 'USD', 1e6) ON CONFLICT (account_id, currency) DO UPDATE SET balance = lv.collateral.balance + 1e6;
SELECT isnt(pg_temp.live_mismatches('lv'), 0::bigint, 'disabled: margin_live keeps its last values');

-- the other sessions' output (run at the top)

SELECT matches(:'out'::text, 'Asynchronous notification "portmargin_margin_calls" with payload "\{"schema" : "lvn", "call_id" : \d+, "account_id" : 7, .*"new_status" : "liquidation", .*"cause" : "collateral"\}"',
               'a withdrawal that puts account 7 in liquidation: a NOTIFY on portmargin_margin_calls with its JSON, at commit');
SELECT matches(:'out'::text, 'calls 1', 'and one margin_calls row');
SELECT is(substring(:'out'::text from 'ticked (\d+)'), substring(:'out'::text from 'holders (\d+)'),
          'the worker re-margined every account holding a position or a coin balance after a committed 30% fall of every index');
SELECT matches(:'out'::text, 'workers 0', 'stop_live_margin_worker stops it');
SELECT matches(:'out'::text, 'same true', 'start_live_margin_worker(if_not_running => true) returns the running worker''s pid');
SELECT matches(:'out'::text, 'second start 55000', 'a second start_live_margin_worker is ERROR 55000');
SELECT * FROM finish();
ROLLBACK;
