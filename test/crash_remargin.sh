#!/usr/bin/env bash
# test/crash_remargin.sh: kill -9 during a re-margin leaves no partial state
# (issue 12, point 5).  A statement that doubles every position of a
# 4,000-account book with live margin on (its trigger re-margins every
# account in the same transaction) is killed with SIGKILL at 20%, 45% and
# 70% of its measured duration; the server restarts its backends (crash
# recovery); after each crash the positions are as before (or, if the
# statement committed before the kill, all doubled: never in between),
# margin_live equals a full recompute and margin_calls has no new row
# unless the statement committed; at least one kill must land before the
# commit.  Run by
# test/run.sh as root (or the server's user) with PG* set; prints "ok" or
# "not ok" lines and exits non-zero on a failure.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d pm_crash "$@"; }
createdb pm_crash
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION portmargin;
SELECT portmargin.create_reference_schema('cr');
SELECT portmargin.generate_demo_book('cr', 4000, 0.42);
SELECT portmargin.enable_live_margin('cr');
SQL
state_q="SELECT md5(string_agg(format('%s/%s/%s', account_id, instrument_id, quantity), ',' ORDER BY account_id, instrument_id)) FROM cr.positions"
mismatch_q="SELECT count(*) FROM cr.account_margin a FULL JOIN cr.margin_live l USING (account_id)
            WHERE l.account_id IS NULL OR a.account_id IS NULL OR l.status IS DISTINCT FROM a.status
               OR abs(l.initial_margin - a.initial_margin) > 1e-12 * greatest(1, abs(a.initial_margin))
               OR abs(l.equity - a.equity) > 1e-12 * greatest(1, abs(a.equity))"
doubled_q="SELECT md5(string_agg(format('%s/%s/%s', account_id, instrument_id, quantity * 2), ',' ORDER BY account_id, instrument_id)) FROM cr.positions"
# the statement's duration, measured in a transaction that is rolled back
ms=$(q -c "BEGIN" -c "CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t" -c "UPDATE cr.positions SET quantity = quantity * 2" \
       -c "SELECT round(extract(epoch FROM clock_timestamp() - t) * 1000) FROM t0" -c "ROLLBACK")
echo "# the statement (UPDATE of every position, every account re-margined) takes $ms ms"
failed=0 landed=0
for frac in 20 45 70; do
  before=$(q -c "$state_q")
  doubled=$(q -c "$doubled_q")
  calls=$(q -c "SELECT count(*) FROM cr.margin_calls")
  delay=$(awk -v ms="$ms" -v f="$frac" 'BEGIN {printf "%.3f", ms * f / 100000}')
  psql -X -q -v ON_ERROR_STOP=1 -d pm_crash -c "SET application_name = 'pm_crash_victim'" \
    -c "UPDATE cr.positions SET quantity = quantity * 2" >/dev/null 2>&1 &
  victim_psql=$!
  pid=""
  for _ in $(seq 1 500); do
    pid=$(psql -X -At -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pm_crash_victim' AND state = 'active'" 2>/dev/null || true)
    [ -n "$pid" ] && break
    sleep 0.002
  done
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  # the victim's psql fails when the kill landed before its commit
  if wait "$victim_psql"; then killed=no; else killed=yes; landed=$((landed + 1)); fi
  # the server reinitialises after a backend's crash
  for _ in $(seq 1 120); do psql -X -At -d pm_crash -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
  state=$(q -c "$state_q")
  # no partial state: the positions as before (killed) or all doubled (committed first), margin_live = a full
  # recompute either way, and no call row unless the statement committed
  if { { [ "$state" = "$before" ] && [ "$(q -c "SELECT count(*) FROM cr.margin_calls")" = "$calls" ]; } || [ "$state" = "$doubled" ]; } \
     && [ "$(q -c "$mismatch_q")" = 0 ]; then
    echo "ok - kill -9 at ${frac}% of the re-margin (${delay} s, landed before the commit: $killed): no partial state, margin_live = a full recompute"
  else
    echo "not ok - kill -9 at ${frac}% of the re-margin (${delay} s, landed before the commit: $killed): partial state"; failed=1
  fi
done
if [ "$landed" -ge 1 ]; then
  echo "ok - $landed of 3 kills landed before the statement's commit"
else
  echo "not ok - no kill landed before the statement's commit (the statement was faster than measured)"; failed=1
fi
dropdb pm_crash
exit $failed
