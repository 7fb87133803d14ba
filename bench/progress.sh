#!/usr/bin/env bash
# bench/progress.sh: the cost of progress reports (doc/progress.md).
#
#   bash bench/progress.sh [runs]           build, install, throwaway cluster
#   bash bench/progress.sh --here [runs]    against the server in PG*, no build
#
# Three workloads, each timed `runs` (7) times in three variants, interleaved:
# "base", the extension built from PM_BASE_REV (default e41f018, the last
# commit before progress reports; built from `git archive` in a temporary
# directory), and this tree's build with portmargin.progress_interval = 0
# ("off") and = 1 ("on").  The variants are swapped by renaming a copy of the
# library over $libdir/portmargin.so between sessions (a new session loads
# the file then; a rename leaves loaded copies intact), so the installed
# library must be writable (run as root or the installation's owner); this
# tree's build is put back at the end.  Serial plans, work_mem = 1GB, jit off.
#   mc    monte_carlo_scenarios, 2,000,000 scenarios x 10 underlyings
#   grid  portfolio_margin over 1,000,000 positions (2,000 instruments) in
#         10,000 accounts, the span preset (the cheapest rows: the most
#         calls of the report's branch per second)
#   var   portfolio_margin, var method, 1,000,000-scenario Monte Carlo set
#         of 2 underlyings, 50 accounts x 20 positions on 20 instruments
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ "${1:-}" != --here ]; then
  export PM_SERVER_OPTS="${PM_SERVER_OPTS:--c shared_buffers=512MB -c jit=off}"
  export PM_PORT="${PM_PORT:-54338}"
  exec bash test/run.sh exec bash "$root/bench/progress.sh" --here "$@"
fi
shift
runs=${1:-7}
base_rev=${PM_BASE_REV:-e41f018}
pg_config=${PG_CONFIG:-$(command -v pg_config)}
lib=$("$pg_config" --pkglibdir)
work=$(mktemp -d /tmp/pm_progress_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp portmargin.so "$work/new.so"
mkdir "$work/base"
git archive "$base_rev" | tar -x -C "$work/base"
make -s -C "$work/base" PG_CONFIG="$pg_config" >/dev/null 2>&1 || { echo "cannot build $base_rev"; exit 1; }
use() { cp "$1" "$lib/portmargin.so.bench" && mv -f "$lib/portmargin.so.bench" "$lib/portmargin.so"; }

. "$root/bench/machine.sh"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS pb_ins, pb_pos, pb_pos2, pb_set;
CREATE TABLE pb_ins AS SELECT i AS id, CASE WHEN i % 5 = 0 THEN 'future' ELSE 'option' END AS kind,
  CASE WHEN i % 2 = 0 THEN 'call' ELSE 'put' END AS ot, 60 + (i % 80)::float8 AS strike, 0.1 + (i % 7) * 0.1 AS t,
  CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END AS u FROM generate_series(1, 2000) i;
SELECT setseed(0.42) \g /dev/null
CREATE TABLE pb_pos AS SELECT (g % 10000) AS acc, 1 + (random() * 1999)::int AS id, (random() * 20 - 10)::float8 AS q
FROM generate_series(1, 1000000) g;
CREATE TABLE pb_pos2 AS SELECT a AS acc, 1 + ((a * 37 + j * 11) % 20) AS id,
  (j % 5 + 1)::float8 * CASE WHEN j % 3 = 0 THEN -1 ELSE 1 END AS q FROM generate_series(1, 50) a, generate_series(1, 20) j;
CREATE TABLE pb_set AS SELECT portmargin.monte_carlo_scenarios('{A,B}', '{0.05,0.07}', '{1,0.5,0.5,1}', 1000000, 3) AS s;
ANALYZE pb_ins; ANALYZE pb_pos; ANALYZE pb_pos2;
SQL
corr=$(psql -X -At -c "SELECT array_agg(r ORDER BY i)::text FROM (SELECT i, array_agg(CASE WHEN i = j THEN 1 ELSE 0.5 END ORDER BY j) r
                        FROM generate_series(1, 10) i, generate_series(1, 10) j GROUP BY i) x")
q_mc="SELECT count(portmargin.monte_carlo_scenarios(ARRAY['U0','U1','U2','U3','U4','U5','U6','U7','U8','U9'], array_fill(0.04::float8, ARRAY[10]), '$corr'::float8[], 2000000, SEED))"
q_grid="SELECT count(m) FROM (SELECT p.acc, portmargin.portfolio_margin(p.q, 'A', i.kind, CASE WHEN i.kind = 'option' THEN i.ot END, CASE WHEN i.kind = 'option' THEN i.strike END, i.t, 100, CASE WHEN i.kind = 'option' THEN 0.3 END, 'linear', 1, NULL, s.scenarios) m FROM pb_pos p JOIN pb_ins i USING (id) CROSS JOIN (SELECT portmargin.preset('span') AS scenarios) s GROUP BY p.acc) x"
q_var="SELECT count(m) FROM (SELECT p.acc, portmargin.portfolio_margin(p.q, i.u, i.kind, CASE WHEN i.kind = 'option' THEN i.ot END, CASE WHEN i.kind = 'option' THEN i.strike END, i.t, 100, CASE WHEN i.kind = 'option' THEN 0.3 END, 'linear', 1, NULL, (SELECT s FROM pb_set)) m FROM pb_pos2 p JOIN pb_ins i USING (id) GROUP BY p.acc) x"
timed() {
  psql -X -c "SET max_parallel_workers_per_gather = 0" -c "SET work_mem = '1GB'" -c "SET jit = off" -c "$1" -c '\timing on' -c "$2" 2>&1 \
    | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}
declare -A res
for r in $(seq 1 "$runs"); do
  for v in base off on; do
    case $v in
      base) use "$work/base/portmargin.so"; s="SELECT 1" ;;
      off)  use "$work/new.so"; s="SET portmargin.progress_interval = 0" ;;
      on)   use "$work/new.so"; s="SET portmargin.progress_interval = 1" ;;
    esac
    for w in mc grid var; do
      case $w in mc) q=${q_mc/SEED/$((r * 10 + 1))} ;; grid) q=$q_grid ;; var) q=$q_var ;; esac
      res[$w.$v]="${res[$w.$v]:-} $(timed "$s" "$q")"
    done
  done
done
use "$work/new.so"
printf '%-5s %-5s %10s %10s %10s   %s\n' workload build min_ms median_ms max_ms "runs (ms)"
for w in mc grid var; do
  for v in base off on; do
    printf '%-5s %-5s %s   %s\n' "$w" "$v" "$(echo ${res[$w.$v]} | tr ' ' '\n' | sort -n |
      awk '{a[NR] = $1} END {printf "%10s %10s %10s", a[1], a[int((NR + 1) / 2)], a[NR]}')" "${res[$w.$v]# }"
  done
done
