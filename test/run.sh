#!/usr/bin/env bash
# test/run.sh: the two README commands.
#
#   bash test/run.sh demo   build, install, start a throwaway cluster, run doc/demo.sql
#   bash test/run.sh all    build with -Werror, install, run every test suite
#                           (numeric self-test, pg_regress, pgTAP, documentation
#                           examples); non-zero on failure
#   bash test/run.sh exec CMD ...
#                           run CMD against a throwaway cluster with the extension
#                           installed (PGHOST/PGPORT/PGUSER set); used by bench/
#
# On a fresh Debian 12 machine, run as root: missing Debian packages are
# installed with apt-get.  The cluster is created in a temporary directory
# owned by `postgres`, listens only on a Unix socket in that directory (port
# $PM_PORT, default 54329) and is removed on exit.
set -euo pipefail

mode=${1:-all}
case "$mode" in demo|all) ;; exec) shift; [ $# -gt 0 ] || { echo "usage: $0 exec CMD ..." >&2; exit 2; } ;;
  *) echo "usage: $0 demo|all|exec CMD ..." >&2; exit 2 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PG_MAJOR=15
# PM_PG_BIN: another (e.g. relocated copy of the) PostgreSQL bin directory, so
# that parallel work can install builds side by side; default: Debian's.
PG_BIN=${PM_PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PM_PORT=${PM_PORT:-54329}
packages="make gcc pkg-config postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libgsl-dev"
[ "$mode" = all ] && packages="$packages postgresql-$PG_MAJOR-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-$PG_MAJOR-cron python3"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. packages
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "== installing Debian packages:$missing"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
export PATH="$PG_BIN:$PATH"

# 2. build and install (CI and the test command treat warnings as errors)
echo "== building portmargin"
copt=""
[ "$mode" = all ] && copt="-Werror"
make -s PG_CONFIG="$PG_BIN/pg_config" COPT="$copt" >/dev/null
as_root make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null

# 3. throwaway cluster
tmp=$(mktemp -d /tmp/portmargin.XXXXXX)
chmod 755 "$tmp"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$tmp"
  as_pg() { (cd "$tmp" && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$tmp/data" -U postgres -A trust --no-sync >/dev/null
# the test suite schedules a snapshot with pg_cron (test/cron.sql): preload it,
# with jobs run by background workers (the cluster has no TCP listener)
cron_opts=""
[ "$mode" = all ] && cron_opts="-c shared_preload_libraries=pg_cron -c cron.database_name=portmargin_tap -c cron.use_background_workers=on -c max_worker_processes=16"
as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
  -o "-p $PM_PORT -k $tmp -c listen_addresses='' -c fsync=off $cron_opts ${PM_SERVER_OPTS:-}" start >/dev/null
export PGHOST="$tmp" PGPORT="$PM_PORT" PGUSER=postgres PGDATABASE=postgres

if [ "$mode" = exec ]; then
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION portmargin" >/dev/null
  "$@"
  exit $?
fi

if [ "$mode" = demo ]; then
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION portmargin" >/dev/null
  psql -X -v ON_ERROR_STOP=1 -f doc/demo.sql
  exit 0
fi

# 4. tests
passed=0 failed=0
report() { echo "-- $1: $2"; }

echo "== numeric self-test (no server)"
if out=$(make -s PG_CONFIG="$PG_BIN/pg_config" COPT="$copt" numericcheck 2>&1); then
  echo "$out" | tail -n 3
else
  echo "$out"; failed=$((failed + 1))
fi
n=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
[ -n "$n" ] && passed=$((passed + ${n% *})) && failed=$((failed + ${n#* }))

echo "== pg_regress"
if make -s PG_CONFIG="$PG_BIN/pg_config" installcheck; then
  passed=$((passed + $(ls sql/*.sql | grep -vc 'sql/portmargin--')))
else
  [ -f regression.diffs ] && cat regression.diffs
  failed=$((failed + 1))
fi

echo "== pgTAP"
createdb portmargin_tap
psql -X -q -d portmargin_tap -v ON_ERROR_STOP=1 \
  -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION portmargin" >/dev/null
if out=$(pg_prove -d portmargin_tap test/*.sql 2>&1); then :; else failed=$((failed + 1)); fi
echo "$out" | grep -v '^test/.* ok$' || true
tests=$(echo "$out" | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | tail -n 1)
bad=$(echo "$out" | sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${tests:-0} - bad))

echo "== documentation examples (test/doc_examples.py)"
if out=$(/usr/bin/python3 test/doc_examples.py 2>&1); then :; else failed=$((failed + 1)); fi
echo "$out" | grep -v '^ok ' || true
passed=$((passed + $(echo "$out" | grep -c '^ok ')))

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
