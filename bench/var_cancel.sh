#!/usr/bin/env bash
# bench/var_cancel.sh: cancel latency of the tail statistics.
#
#   bash bench/var_cancel.sh [runs]           build, install, throwaway cluster
#   bash bench/var_cancel.sh --here [runs]    against the server in PG*, no build
#
# For each operation: its time without a timeout (capped at 120 s), then
# `runs` (5) times under statement_timeout = 100ms; lateness = the time psql
# reports for the cancelled statement - 100 ms (psql's \timing includes the
# round trip, about 0.1 ms on the Unix socket).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ "${1:-}" = --here ]; then
  shift
  runs=${1:-5}
  psql -X -q -v ON_ERROR_STOP=1 -f bench/var_cancel.sql
  cases=(
    "value_at_risk, 200k random values, confidence 0.5|SELECT portmargin.value_at_risk(pnl, 0.5) FROM vc_vec WHERE name = 'random 200k'"
    "expected_shortfall, 200k random values, confidence 0.5|SELECT portmargin.expected_shortfall(pnl, 0.5) FROM vc_vec WHERE name = 'random 200k'"
    "expected_shortfall, 200k rising losses, confidence 0.5|SELECT portmargin.expected_shortfall(pnl, 0.5) FROM vc_vec WHERE name = 'rising losses 200k'"
    "expected_shortfall, 200k random values, weighted, confidence 0.5|SELECT portmargin.expected_shortfall(pnl, 0.5, array_fill(1::float8, ARRAY[200000])) FROM vc_vec WHERE name = 'random 200k'"
    "value_at_risk, 5M random values, confidence 0.99|SELECT portmargin.value_at_risk(pnl, 0.99) FROM vc_vec WHERE name = 'random 5M'"
    "expected_shortfall, 5M random values, confidence 0.99|SELECT portmargin.expected_shortfall(pnl, 0.99) FROM vc_vec WHERE name = 'random 5M'"
    "expected_shortfall, 5M random values, weighted, confidence 0.99|SELECT portmargin.expected_shortfall(pnl, 0.99, array_fill(1::float8, ARRAY[5000000])) FROM vc_vec WHERE name = 'random 5M'"
    "value_at_risk, 10M random values, confidence 0.5|SELECT portmargin.value_at_risk(pnl, 0.5) FROM vc_vec WHERE name = 'random 10M'"
    "portfolio_margin, 200k-scenario joint set, ES 50%|SELECT (portmargin.portfolio_margin(q, u, 'future', NULL, NULL, 0.25, 100, NULL, 'linear', 1, NULL, (SELECT s FROM vc_sets WHERE n = 200000))).initial_margin FROM (VALUES (1::float8, 'A'), (-2, 'B')) v(q, u)"
    "portfolio_margin, 2M-scenario joint set, 2 futures + 2 options, ES 50%|SELECT (portmargin.portfolio_margin(q, u, k, o, 100, 0.25, 100, 0.5, 'linear', 1, NULL, (SELECT s FROM vc_sets WHERE n = 2000000))).initial_margin FROM (VALUES (1::float8, 'A', 'future', NULL), (-2, 'B', 'future', NULL), (3, 'A', 'option', 'call'), (-1, 'B', 'option', 'put')) v(q, u, k, o)"
  )
  . "$root/bench/machine.sh"
  printf '%-68s %12s %s\n' "operation" "full_ms" "late_ms (each run, statement_timeout = 100ms)"
  for c in "${cases[@]}"; do
    what=${c%%|*}; q=${c#*|}
    full=$(psql -X -c '\timing on' -c "SET statement_timeout = '120s'" -c "$q" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
    late=""
    for r in $(seq 1 "$runs"); do
      out=$(psql -X -c '\timing on' -c "SET statement_timeout = 100" -c "$q" 2>&1 || true)
      t=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
      if echo "$out" | grep -q 'canceling statement due to statement timeout'; then
        late="$late $(awk -v t="$t" 'BEGIN { printf "%.1f", t - 100 }')"
      else
        late="$late (done:${t}ms)"
      fi
    done
    printf '%-68s %12s %s\n' "$what" "$full" "$late"
  done
  exit 0
fi
export PM_PORT="${PM_PORT:-54335}"
exec bash test/run.sh exec bash "$root/bench/var_cancel.sh" --here "$@"
