-- bench/whatif.sql: data and psql-side timings of the what-if margin and
-- snapshot benchmark (the pgbench part is driven by bench/whatif.sh).
--
-- Run with `bash bench/whatif.sh` (throwaway cluster, see bench/README.md),
-- or by parts against a database that has the extension installed:
--
--     psql -X -v ON_ERROR_STOP=1 -v part=setup    -f bench/whatif.sql
--     psql -X -v ON_ERROR_STOP=1 -v part=snapshot -f bench/whatif.sql
--     psql -X -v ON_ERROR_STOP=1 -v part=layers   -f bench/whatif.sql
--
-- psql variables (pass with -v name=value):
--     part        setup, snapshot or layers                            (setup)
--     accounts    accounts in the demo book                            (1000)
--     runs        timed snapshot runs, after one untimed warm-up run   (10)
--     calls       calls per layer in part=layers                       (500)
--
-- part=setup (drops and rebuilds schema wb):
--     portmargin.create_reference_schema('wb');
--     portmargin.generate_demo_book('wb', :accounts, 0.42);
--     the bench account = the lowest account id with a BTC book under
--     deribit-btc (account 3 with seed 0.42): its positions are replaced by
--     50 distinct BTC instruments, the 4 dated futures, the perpetual and 45
--     of the 136 options (option rank r, 0..135 by instrument_id, taken
--     when (53 r) mod 136 < 45: a permutation, so exactly 45), quantities
--     +-1..10 contracts, mixed signs; its BTC collateral is reset so that its
--     equity is twice its initial margin.  Table wb.whatif_bench holds the
--     account and the BTC instrument id range for the pgbench script.
-- part=snapshot: :runs timed runs of wb.snapshot_margins(at) (each run in
--     its own transaction, commit included) and of
--     SELECT sum(initial_margin + maintenance_margin) FROM wb.account_margin
--     (count(*) would margin nothing: the planner removes the join to the
--     aggregate), clock_timestamp() in PL/pgSQL.
-- part=layers: what one what-if call costs layer by layer (whatif_margin,
--     account_margin_at, position_values_at, instrument_market_at, the
--     portfolio_margin aggregate alone), :calls calls each.

\if :{?part}
\else
\set part setup
\endif
\if :{?accounts}
\else
\set accounts 1000
\endif
\if :{?runs}
\else
\set runs 10
\endif
\if :{?calls}
\else
\set calls 500
\endif

\set QUIET on
\pset footer off
SET client_min_messages = warning;
SELECT :'part' = 'setup' AS part_setup, :'part' = 'snapshot' AS part_snapshot,
       :'part' = 'layers' AS part_layers \gset

\if :part_setup
-- ---------------------------------------------------------------------------
-- data
-- ---------------------------------------------------------------------------
\echo == environment
CREATE EXTENSION IF NOT EXISTS portmargin;
SELECT version() AS server,
       current_setting('shared_buffers') AS shared_buffers,
       current_setting('jit') AS jit,
       current_setting('fsync') AS fsync,
       current_setting('synchronous_commit') AS synchronous_commit,
       (SELECT extversion FROM pg_extension WHERE extname = 'portmargin') AS portmargin;

\echo == reference schema wb, demo book of :accounts accounts (seed 0.42)
DROP SCHEMA IF EXISTS wb CASCADE;
SELECT portmargin.create_reference_schema('wb') AS schema \gset
SELECT portmargin.generate_demo_book('wb', :accounts, 0.42) AS accounts \gset

CREATE TABLE wb.whatif_bench AS
SELECT (SELECT min(account_id) FROM wb.accounts WHERE method = 'deribit-btc' AND name LIKE 'BTC %') AS account_id,
       min(instrument_id) AS btc_lo, max(instrument_id) AS btc_hi, count(*) AS btc_n
FROM wb.instruments WHERE underlying = 'BTC';
SELECT account_id AS acct, btc_lo, btc_hi, btc_n FROM wb.whatif_bench \gset
DO $$
BEGIN
  IF (SELECT account_id FROM wb.whatif_bench) IS NULL THEN
    RAISE EXCEPTION 'no account with a BTC book under deribit-btc';
  END IF;
  IF (SELECT btc_hi - btc_lo + 1 <> btc_n FROM wb.whatif_bench) THEN
    RAISE EXCEPTION 'BTC instrument ids are not contiguous';
  END IF;
END $$;

\echo == bench account :acct: 50 BTC positions
DELETE FROM wb.positions WHERE account_id = :acct;
INSERT INTO wb.positions (account_id, instrument_id, quantity, entry_price)
SELECT :acct, i.instrument_id,
       CASE WHEN (7 * r.r + 3) % 5 < 2 THEN -1 ELSE 1 END * (1 + (13 * r.r) % 10),
       CASE WHEN i.kind IN ('future', 'perpetual')
            THEN coalesce(f.forward, ix.price) * (1 + 0.01 * ((r.r % 5) - 2)) END
FROM (SELECT instrument_id, kind, expiry,
             row_number() OVER (PARTITION BY kind = 'option' ORDER BY instrument_id) - 1 AS r
      FROM wb.instruments WHERE underlying = 'BTC') r
JOIN wb.instruments i USING (instrument_id)
JOIN wb.index_prices ix ON ix.underlying = i.underlying
LEFT JOIN wb.forwards f ON f.underlying = i.underlying AND f.expiry = i.expiry
WHERE i.kind <> 'option' OR (53 * r.r) % 136 < 45;

-- collateral: BTC only, equity = 2 x initial margin
DELETE FROM wb.collateral WHERE account_id = :acct;
INSERT INTO wb.collateral VALUES (:acct, 'BTC', 0);
UPDATE wb.collateral c
SET balance = (2 * m.initial_margin - m.equity) / ix.price
FROM wb.account_margin_at(NULL, NULL, :acct) m, wb.index_prices ix
WHERE c.account_id = :acct AND ix.underlying = 'BTC';

VACUUM ANALYZE;

SELECT a.account_id, a.name, a.method,
       count(*) AS positions, count(DISTINCT p.instrument_id) AS instruments,
       count(*) FILTER (WHERE i.underlying <> 'BTC') AS not_btc,
       count(*) FILTER (WHERE i.kind = 'option') AS options,
       count(*) FILTER (WHERE i.kind = 'future') AS futures,
       count(*) FILTER (WHERE i.kind = 'perpetual') AS perpetuals,
       count(*) FILTER (WHERE p.quantity < 0) AS short,
       count(*) FILTER (WHERE p.quantity > 0) AS long
FROM wb.accounts a JOIN wb.positions p USING (account_id) JOIN wb.instruments i USING (instrument_id)
WHERE a.account_id = :acct
GROUP BY a.account_id, a.name, a.method;
DO $$
DECLARE acct bigint := (SELECT account_id FROM wb.whatif_bench);
BEGIN
  IF (SELECT count(DISTINCT p.instrument_id) FILTER (WHERE i.underlying = 'BTC') = 50 AND count(*) = 50
      FROM wb.positions p JOIN wb.instruments i USING (instrument_id) WHERE p.account_id = acct) IS NOT TRUE THEN
    RAISE EXCEPTION 'the bench account does not hold exactly 50 distinct BTC positions';
  END IF;
  IF (SELECT method FROM wb.accounts WHERE account_id = acct) <> 'deribit-btc' THEN
    RAISE EXCEPTION 'the bench account is not margined under deribit-btc';
  END IF;
END $$;
SELECT account_id, round(equity::numeric, 2) AS equity_usd, round(initial_margin::numeric, 2) AS initial_margin_usd,
       round(maintenance_margin::numeric, 2) AS maintenance_margin_usd, status, margin_currency, worst_label, worst_unit
FROM wb.account_margin WHERE account_id = :acct;

SELECT (SELECT count(*) FROM wb.accounts) AS accounts, (SELECT count(*) FROM wb.positions) AS positions,
       (SELECT count(*) FROM wb.instruments) AS instruments,
       (SELECT string_agg(method || ' ' || n, ', ' ORDER BY method)
        FROM (SELECT method, count(*) AS n FROM wb.accounts GROUP BY method) x) AS methods;

\echo == what-if sanity: orders on :acct (no orders, then two orders) and the same orders inserted
SELECT (wb.whatif_margin(:acct, '{}', '{}')).initial_margin AS whatif_no_orders,
       (SELECT (margin).initial_margin FROM wb.account_margin_at(NULL, NULL, :acct)) AS held,
       (wb.whatif_margin(:acct, ARRAY[:btc_lo, :btc_lo + 40]::bigint[], ARRAY[3, -2]::float8[])).initial_margin AS whatif_two_orders;
BEGIN;
INSERT INTO wb.positions (account_id, instrument_id, quantity) VALUES (:acct, :btc_lo, 3), (:acct, :btc_lo + 40, -2)
ON CONFLICT (account_id, instrument_id) DO UPDATE SET quantity = wb.positions.quantity + excluded.quantity;
SELECT (margin).initial_margin AS inserted_two_orders FROM wb.account_margin_at(NULL, NULL, :acct);
ROLLBACK;
\endif

\if :part_snapshot
-- ---------------------------------------------------------------------------
-- snapshot of every account's margin
-- ---------------------------------------------------------------------------
\echo == snapshot_margins() and the account_margin view summed, :runs runs after one warm-up run
DROP TABLE IF EXISTS whatif_snapshot_timing;
CREATE TABLE whatif_snapshot_timing (what text, run int, rows int, ms float8);
DELETE FROM wb.margin_history;
SET whatif.runs = :runs;
-- each run in its own transaction, the commit (WAL flush of the rows) timed
-- with the snapshot; run 0 is the warm-up
DO $$
DECLARE t0 timestamptz; t1 timestamptz; n int; total float8;
BEGIN
  FOR run IN 0 .. current_setting('whatif.runs')::int LOOP
    t0 := clock_timestamp();
    n := wb.snapshot_margins(timestamptz '2026-11-25 08:00+00' + run * interval '1 minute');
    COMMIT;
    t1 := clock_timestamp();
    INSERT INTO whatif_snapshot_timing VALUES ('snapshot_margins()', run, n, extract(epoch FROM t1 - t0) * 1000);
    COMMIT;
    t0 := clock_timestamp();
    SELECT count(*), sum(initial_margin + maintenance_margin) INTO n, total FROM wb.account_margin;
    t1 := clock_timestamp();
    INSERT INTO whatif_snapshot_timing VALUES ('account_margin, every account margined', run, n, extract(epoch FROM t1 - t0) * 1000);
    COMMIT;
  END LOOP;
END $$;
SELECT what, count(*) AS runs, min(rows) AS rows, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms,
       round(min(ms)::numeric, 1) AS min_ms, round(max(ms)::numeric, 1) AS max_ms
FROM whatif_snapshot_timing WHERE run > 0 GROUP BY what ORDER BY what DESC;
SELECT count(*) AS history_rows, count(DISTINCT snapshot_at) AS snapshots FROM wb.margin_history;
DROP TABLE whatif_snapshot_timing;
\endif

\if :part_layers
-- ---------------------------------------------------------------------------
-- one what-if call, layer by layer
-- ---------------------------------------------------------------------------
SELECT account_id AS acct, btc_lo FROM wb.whatif_bench \gset
\echo == one what-if call on account :acct (two orders), layer by layer, :calls calls each
CREATE TEMP TABLE whatif_pv AS SELECT * FROM wb.position_values_at(NULL, NULL, :acct, ARRAY[:btc_lo + 7, :btc_lo + 90]::bigint[], ARRAY[2, -3]::float8[]);
CREATE TEMP TABLE whatif_layers (ord int, layer text, us float8);
CREATE FUNCTION pg_temp.timed(ord int, layer text, q text, calls int) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE t0 timestamptz;
BEGIN
  EXECUTE q;                                  -- warm-up
  t0 := clock_timestamp();
  FOR k IN 1 .. calls LOOP
    EXECUTE q;
  END LOOP;
  INSERT INTO whatif_layers VALUES (ord, layer, extract(epoch FROM clock_timestamp() - t0) * 1e6 / calls);
END $f$;
\o /dev/null
SELECT pg_temp.timed(1, 'whatif_margin(...)',
  format('SELECT (wb.whatif_margin(%s, ARRAY[%s, %s]::bigint[], ARRAY[2, -3]::float8[])).initial_margin', :acct, :btc_lo + 7, :btc_lo + 90), :calls);
SELECT pg_temp.timed(2, 'account_margin_at(NULL, NULL, account, orders)',
  format('SELECT (margin).initial_margin FROM wb.account_margin_at(NULL, NULL, %s, ARRAY[%s, %s]::bigint[], ARRAY[2, -3]::float8[])', :acct, :btc_lo + 7, :btc_lo + 90), :calls);
SELECT pg_temp.timed(3, 'position_values_at(NULL, NULL, account, orders)',
  format('SELECT count(*) FROM wb.position_values_at(NULL, NULL, %s, ARRAY[%s, %s]::bigint[], ARRAY[2, -3]::float8[])', :acct, :btc_lo + 7, :btc_lo + 90), :calls);
SELECT pg_temp.timed(4, 'instrument_market_at() (all instruments)', 'SELECT count(*) FROM wb.instrument_market_at()', :calls);
SELECT pg_temp.timed(5, 'portfolio_margin(...) over the 52 position rows (temp table)',
  $q$SELECT (portmargin.portfolio_margin(quantity, underlying, kind, option_type, strike, t, forward, vol, settlement, multiplier,
                                         index_price, (SELECT scenarios FROM portmargin.scenario_presets WHERE name = 'deribit-btc'))).initial_margin
     FROM whatif_pv$q$, :calls);
SELECT pg_temp.timed(6, 'ref: SELECT 1', 'SELECT 1', :calls);
\o
SELECT layer, round(us::numeric, 0) AS us_per_call FROM whatif_layers ORDER BY ord;
\endif
