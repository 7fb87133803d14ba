#!/usr/bin/env bash
# test/pretrade_concurrency.sh: two sessions check the same order of one
# account at the same time; the order fits the account's free margin once,
# not twice (issue 12, point 2).  Run by test/pretrade.sql (psql backtick)
# with PG* set; prints "first <accepted>", "second <accepted> <waited s>",
# "reserved <n>" and "sequential <a> <b>".
set -euo pipefail
db=$1
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
q -c "SELECT portmargin.create_reference_schema('ptc'), portmargin.generate_demo_book('ptc', 60, 0.3)" >/dev/null
# an order that fits once: a healthy account, a call of a unit it holds but not the call itself; the amount
# doubles until two of it no longer fit (tried in a transaction that is rolled back)
q -f "$(dirname "${BASH_SOURCE[0]}")/lib/pretrade_pick.psql" -f - >/dev/null <<'SQL'
CREATE TABLE ptc.choice AS SELECT p.*, NULL::float8 AS amount FROM pg_temp.pretrade_pick('ptc', 'call') p;
DO $$
DECLARE
  c record;
  a float8 := 0.125;
  once boolean;
  twice boolean;
BEGIN
  SELECT * INTO c FROM ptc.choice;
  FOR k IN 1 .. 30 LOOP
    BEGIN
      SELECT accepted INTO once FROM ptc.pretrade_check(c.account_id, ARRAY[c.instrument_id], '{sell}', ARRAY[a]);
      SELECT accepted INTO twice FROM ptc.pretrade_check(c.account_id, ARRAY[c.instrument_id], '{sell}', ARRAY[a]);
      RAISE EXCEPTION USING ERRCODE = 'PMT01', MESSAGE = 'undo';
    EXCEPTION WHEN SQLSTATE 'PMT01' THEN NULL;
    END;
    IF once AND NOT twice THEN
      UPDATE ptc.choice SET amount = a;
      RETURN;
    END IF;
    EXIT WHEN NOT once;
    a := a * 2;
  END LOOP;
  RAISE EXCEPTION 'no amount fits once and not twice';
END $$;
SQL
read -r acct ins amount < <(q -F ' ' -c "SELECT account_id, instrument_id, amount FROM ptc.choice")
check="SELECT accepted FROM ptc.pretrade_check($acct, ARRAY[$ins]::bigint[], '{sell}', ARRAY[$amount]::float8[])"
# sequential, in one rolled-back transaction: the first reservation counts for the second check
echo "sequential $(q -c "BEGIN" -c "$check" -c "$check" -c "ROLLBACK" | tr '\n' ' ')"
# concurrent: the first session holds its transaction open for 1 s after its check; the second starts 0.3 s
# later and reports its answer and how long it took
tmp=$(mktemp)
( q -c "BEGIN" -c "$check" -c "SELECT pg_sleep(1)" -c "COMMIT" > "$tmp" ) &
sleep 0.3
second=$(q -F ' ' -c "SELECT p.accepted, round(extract(epoch FROM clock_timestamp() - statement_timestamp())::numeric, 2)
                      FROM ptc.pretrade_check($acct, ARRAY[$ins]::bigint[], '{sell}', ARRAY[$amount]::float8[]) p")
wait
echo "first $(head -n 1 "$tmp")"
rm -f "$tmp"
echo "second $second"
echo "reserved $(q -c "SELECT count(*) FROM ptc.open_orders WHERE account_id = $acct")"
q -c "SET client_min_messages = warning" -c "DROP SCHEMA ptc CASCADE" >/dev/null
