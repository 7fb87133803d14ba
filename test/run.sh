#!/usr/bin/env bash
# test/run.sh: the README commands.
#
#   bash test/run.sh demo   build, install, start a throwaway cluster, run doc/demo.sql
#   bash test/run.sh all    build with -Werror, install, run every test suite
#                           (numeric self-test, pg_regress, pgTAP, documentation
#                           examples, fuzzers with a fixed seed); non-zero on failure
#   bash test/run.sh sanitize
#                           the same with the extension and the numeric self-test
#                           built with UBSan (-fsanitize=undefined,float-cast-overflow;
#                           the self-test also with AddressSanitizer) and larger
#                           fuzz runs; non-zero on any failure or sanitizer report
#   bash test/run.sh valgrind
#                           the postmaster and its backends under valgrind memcheck
#                           (test/valgrind.supp) over a subset of the suites and a
#                           short fuzz run; non-zero on any failure or memcheck report
#   bash test/run.sh exec CMD ...
#                           run CMD against a throwaway cluster with the extension
#                           installed (PGHOST/PGPORT/PGUSER set); used by bench/;
#                           with PM_SANITIZE=undefined the UBSan build (reports in
#                           $PGHOST/ubsan.<pid>)
#
# doc/testing.md describes each mode, what it costs and the longer runs.
# On a fresh Debian 12 machine, run as root: missing Debian packages are
# installed with apt-get.  The cluster is created in a temporary directory
# owned by `postgres`, listens only on a Unix socket in that directory (port
# $PM_PORT, default 54329) and is removed on exit.
set -euo pipefail

mode=${1:-all}
case "$mode" in demo|all|sanitize|valgrind) ;; exec) shift; [ $# -gt 0 ] || { echo "usage: $0 exec CMD ..." >&2; exit 2; } ;;
  *) echo "usage: $0 demo|all|sanitize|valgrind|exec CMD ..." >&2; exit 2 ;; esac
suites=0          # modes that run the test suites
case "$mode" in all|sanitize|valgrind) suites=1 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PG_MAJOR=15
# PM_PG_BIN: another (e.g. relocated copy of the) PostgreSQL bin directory, so
# that parallel work can install builds side by side; default: Debian's.
PG_BIN=${PM_PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PM_PORT=${PM_PORT:-54329}
packages="make gcc pkg-config postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libgsl-dev"
[ "$suites" = 1 ] && packages="$packages postgresql-$PG_MAJOR-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-$PG_MAJOR-cron python3 python3-psycopg2"
[ "$mode" = valgrind ] && packages="$packages valgrind"

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

# 2. build and install (CI and the test command treat warnings as errors).
# A sanitizer build and a plain one differ only in flags, which make does not
# track: clean whenever the library on disk is of the other kind.
echo "== building portmargin"
copt=""
[ "$suites" = 1 ] && copt="-Werror"
# PM_SANITIZE=undefined: a UBSan build in exec / demo mode too (to reproduce a report)
sanitize=${PM_SANITIZE:-}
[ "$mode" = sanitize ] && sanitize=undefined
[ "$mode" = valgrind ] || [ "$mode" = all ] && sanitize=""
built=none
if [ -f portmargin.so ]; then
  built=plain
  nm -D portmargin.so 2>/dev/null | grep -q __ubsan_ && built=undefined
  nm -D portmargin.so 2>/dev/null | grep -q __asan_ && built=address
fi
[ "$built" != none ] && [ "$built" != "${sanitize:-plain}" ] && make -s clean PG_CONFIG="$PG_BIN/pg_config" >/dev/null
make -s PG_CONFIG="$PG_BIN/pg_config" COPT="$copt" SANITIZE="$sanitize" >/dev/null
as_root make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
if [ -n "$sanitize" ]; then
  # leave a plain build behind for the next make / make install
  trap 'make -s clean PG_CONFIG="$PG_BIN/pg_config" >/dev/null 2>&1 || true' EXIT
fi

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
  if [ -n "${vg_pid:-}" ]; then
    # valgrind's postmaster: wait for it (and its log files) to go away
    for _ in $(seq 1 60); do kill -0 "$vg_pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$tmp"
  if [ -n "$sanitize" ]; then make -s clean PG_CONFIG="$PG_BIN/pg_config" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
as_pg "$PG_BIN/initdb" -D "$tmp/data" -U postgres -A trust --no-sync >/dev/null
# the test suite schedules a snapshot with pg_cron (test/cron.sql): preload it,
# with jobs run by background workers (the cluster has no TCP listener)
cron_opts=""
[ "$mode" = all ] || [ "$mode" = sanitize ] && cron_opts="-c shared_preload_libraries=pg_cron -c cron.database_name=portmargin_tap -c cron.use_background_workers=on -c max_worker_processes=16"
server_opts="-p $PM_PORT -k $tmp -c listen_addresses='' -c fsync=off $cron_opts ${PM_SERVER_OPTS:-}"
if [ -n "$sanitize" ]; then
  # UBSan reports and goes on; the run fails at the end if there was any
  # report.  The backends lose these options (UBSan reads them from
  # /proc/self/environ, which PostgreSQL overwrites with the process title)
  # and report with the defaults to stderr, i.e. the server log; the numeric
  # self-test writes $tmp/ubsan.<pid>.  (AddressSanitizer needs its runtime
  # preloaded into the uninstrumented postmaster, and Debian's postgres
  # deadlocks at start with libasan preloaded: see doc/testing.md.)
  export UBSAN_OPTIONS="print_stacktrace=1:report_error_type=1:log_path=$tmp/ubsan"
fi
if [ "$mode" = valgrind ]; then
  # postgres itself under memcheck; every process (backends are forked, not
  # exec'd; --trace-children also follows anything exec'd) logs to its own file
  as_pg valgrind --quiet --trace-children=yes --track-origins=yes --num-callers=40 \
    --leak-check=no --error-limit=no --suppressions="$root/test/valgrind.supp" \
    --log-file="$tmp/valgrind.%p.log" \
    "$PG_BIN/postgres" -D "$tmp/data" -p "$PM_PORT" -k "$tmp" -c listen_addresses='' -c fsync=off \
    -c max_parallel_workers_per_gather=0 -c jit=off ${PM_SERVER_OPTS:-} >"$tmp/server.log" 2>&1 &
  vg_pid=$!
  for _ in $(seq 1 180); do "$PG_BIN/pg_isready" -q -h "$tmp" -p "$PM_PORT" && break; sleep 1; done
  "$PG_BIN/pg_isready" -q -h "$tmp" -p "$PM_PORT" || { echo "the server did not start under valgrind"; cat "$tmp/server.log"; exit 1; }
else
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -o "$server_opts" start >/dev/null
fi
export PGHOST="$tmp" PGPORT="$PM_PORT" PGUSER=postgres PGDATABASE=postgres
export PM_SERVER_LOG="$tmp/server.log"

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
count_numeric() {
  n=$(echo "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
  [ -n "$n" ] && passed=$((passed + ${n% *})) && failed=$((failed + ${n#* }))
  return 0
}

if [ "$mode" != valgrind ]; then
  echo "== numeric self-test (no server)${sanitize:+, UBSan}"
  rm -f test/c/test_numeric
  if out=$(make -s PG_CONFIG="$PG_BIN/pg_config" COPT="$copt" SANITIZE="$sanitize" numericcheck 2>&1); then
    echo "$out" | tail -n 3
  else
    echo "$out"; failed=$((failed + 1))
  fi
  count_numeric "$out"
  if [ "$mode" = sanitize ]; then
    # the pure numeric core also under AddressSanitizer (a stand-alone binary:
    # no preloading needed)
    echo "== numeric self-test (no server), AddressSanitizer"
    rm -f test/c/test_numeric
    if out=$(ASAN_OPTIONS="log_path=$tmp/asan:detect_leaks=1" \
             make -s PG_CONFIG="$PG_BIN/pg_config" COPT="$copt" SANITIZE=address numericcheck 2>&1); then
      echo "$out" | tail -n 1
    else
      echo "$out"; failed=$((failed + 1))
    fi
    count_numeric "$out"
    rm -f test/c/test_numeric
  fi
fi

echo "== pg_regress"
if make -s PG_CONFIG="$PG_BIN/pg_config" installcheck; then
  passed=$((passed + $(ls sql/*.sql | grep -vc 'sql/portmargin--')))
else
  [ -f regression.diffs ] && cat regression.diffs
  failed=$((failed + 1))
fi

echo "== pgTAP"
tap_files=$(ls test/*.sql)
# under valgrind (20-50 times slower): a subset that reaches every C file
# (pricing, implied vol, scenarios, risk arrays, the margin aggregate and
# its states, VaR/ES, Monte Carlo and historical sets; PM_VALGRIND_TAP to
# choose others).  Left out: cron.sql (needs pg_cron preloaded), and the
# accuracy suites (implied_vol, pricing_truth, identities,
# published_values), whose ulp-level assertions on the long double paths
# fail under valgrind, which computes long double in double precision; the
# pricing code still runs in pg_regress, errors.sql, risk arrays, margins
# and the fuzzers.
[ "$mode" = valgrind ] && tap_files=${PM_VALGRIND_TAP:-"test/errors.sql test/scenarios.sql test/risk_array.sql test/margin.sql test/var.sql test/backtest.sql"}
createdb portmargin_tap
psql -X -q -d portmargin_tap -v ON_ERROR_STOP=1 \
  -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION portmargin" >/dev/null
timer=""
[ "$mode" = valgrind ] && timer="--timer"
if out=$(pg_prove $timer -d portmargin_tap $tap_files 2>&1); then :; else failed=$((failed + 1)); fi
echo "$out" | grep -v '^test/.* ok$' || true
tests=$(echo "$out" | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | tail -n 1)
bad=$(echo "$out" | sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${tests:-0} - bad))

if [ "$mode" != valgrind ]; then
  # the same suites as an application role (doc/security.md): no superuser;
  # CREATE on its database and on schema public (its tables), the
  # configuration tables by grant_configuration.  Left out: cancel.sql
  # (dblink) and cron.sql (pg_cron) need extensions only a superuser
  # installs; privileges.sql and roles.sql create the roles they test.  The
  # few checks that need a superuser (C-language declarations, COPY to
  # server files) are skipped by the suites themselves.
  echo "== pgTAP as an application role (pm_app: no superuser)"
  psql -X -q -d postgres -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE ROLE pm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE portmargin_tap_app;
GRANT CREATE ON DATABASE portmargin_tap_app TO pm_app;
SQL
  psql -X -q -d portmargin_tap_app -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION pgtap;
CREATE EXTENSION portmargin;
GRANT CREATE ON SCHEMA public TO pm_app;
SELECT portmargin.grant_configuration('pm_app');
SQL
  app_files=$(echo $tap_files | tr ' ' '\n' | grep -v -e '^test/cancel.sql$' -e '^test/cron.sql$' \
              -e '^test/privileges.sql$' -e '^test/roles.sql$' | tr '\n' ' ')
  # shellcheck disable=SC2086
  if out=$(PGUSER=pm_app pg_prove -d portmargin_tap_app $app_files 2>&1); then :; else failed=$((failed + 1)); fi
  echo "$out" | grep -v '^test/.* ok$' || true
  tests=$(echo "$out" | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | tail -n 1)
  bad=$(echo "$out" | sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + ${tests:-0} - bad))

  # configuration survives pg_dump / pg_restore (issue 11): user rows of the
  # configuration tables come back, shipped rows are the install script's
  echo "== pg_dump / pg_restore of the configuration"
  createdb pm_dump_src
  psql -X -q -d pm_dump_src -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION portmargin;
INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
SELECT 'my-span', portmargin.span_scenarios(0.12, 0.25), 'a user preset', 'test/run.sh';
INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES
  ('mine', 'BTC', 'inverse', 'deribit-btc'), ('mine', '*', '*', 'my-span');
-- user rows that override shipped ones by key
INSERT INTO portmargin.scenario_presets (name, scenarios, description, source)
VALUES ('span', portmargin.span_scenarios(0.2, 0.25), 'our clearing firm''s ranges', 'test/run.sh');
INSERT INTO portmargin.rulebook_rules (rulebook, underlying, settlement, preset) VALUES ('deribit', 'BTC', 'inverse', 'my-span');
SQL
  config_q="SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
              SELECT format('%s %s %s %s', name, scenarios, description, shipped) x FROM portmargin.scenario_presets
              UNION ALL SELECT format('%s %s %s %s %s', rulebook, underlying, settlement, preset, shipped) FROM portmargin.rulebook_rules
              UNION ALL SELECT format('%s', s) FROM portmargin.collateral_schedules s
              UNION ALL SELECT format('%s', t) FROM portmargin.collateral_tiers t
              UNION ALL SELECT format('%s %s %s', table_name, key, original) FROM portmargin.shipped_overrides) z"
  pg_dump -Fc -f "$tmp/config.dump" pm_dump_src
  createdb pm_dump_dst
  if pg_restore -d pm_dump_dst "$tmp/config.dump" \
     && [ "$(psql -X -At -d pm_dump_src -c "$config_q")" = "$(psql -X -At -d pm_dump_dst -c "$config_q")" ] \
     && [ "$(psql -X -At -d pm_dump_dst -c "SELECT count(*) FROM portmargin.rules(portmargin.rulebook_preset('mine'))")" = 2 ] \
     && [ "$(psql -X -At -d pm_dump_dst -c "SELECT description FROM portmargin.scenario_presets WHERE name = 'span'")" = "our clearing firm's ranges" ] \
     && [ "$(psql -X -q -At -d pm_dump_dst -c "DELETE FROM portmargin.scenario_presets WHERE name = 'span'" \
              -c "SELECT format('%s %s', scenarios, description) FROM portmargin.scenario_presets WHERE name = 'span' AND shipped")" \
          = "$(psql -X -At -d portmargin_tap -c "SELECT format('%s %s', scenarios, description) FROM portmargin.scenario_presets WHERE name = 'span'")" ]; then
    echo "ok: user presets and rules restored, overrides of shipped rows restored (and undone by DELETE), shipped rows equal"
    passed=$((passed + 1))
  else
    echo "not ok: the configuration differs after pg_dump / pg_restore"; failed=$((failed + 1))
  fi

  # kill -9 during a re-margin (issue 12): the server restarts its backends; nothing else is connected here
  echo "== kill -9 during a re-margin (test/crash_remargin.sh)"
  if out=$(bash test/crash_remargin.sh 2>&1); then :; else failed=$((failed + 1)); fi
  echo "$out" | grep -v '^ok ' || true
  passed=$((passed + $(echo "$out" | grep -c '^ok ')))

  # a coordinator and two shards over postgres_fdw (issue 14): three more clusters on ports PM_PORT+1 .. PM_PORT+3
  echo "== sharded book over postgres_fdw (test/sharded.sh)"
  if out=$(PM_PG_BIN="$PG_BIN" PM_SHARD_PORT=$((PM_PORT + 1)) bash test/sharded.sh 2>&1); then :; else failed=$((failed + 1)); fi
  echo "$out" | grep -v '^ok ' || true
  passed=$((passed + $(echo "$out" | grep -c '^ok ')))

  echo "== documentation examples (test/doc_examples.py)"
  if out=$(/usr/bin/python3 test/doc_examples.py 2>&1); then :; else failed=$((failed + 1)); fi
  echo "$out" | grep -v '^ok ' || true
  passed=$((passed + $(echo "$out" | grep -c '^ok ')))

  # the tutorial as an application role, its read parts (`example: reader`)
  # as a BI role that has SELECT on the views alone (grant_reader)
  echo "== getting-started as an application role and a BI role (test/doc_examples.py --role --reader)"
  if out=$(/usr/bin/python3 test/doc_examples.py --role pm_app --reader pm_bi doc/getting-started.md 2>&1); then :; else failed=$((failed + 1)); fi
  echo "$out" | grep -v '^ok ' || true
  passed=$((passed + $(echo "$out" | grep -c '^ok ')))
fi

# fuzzers (test/fuzz/fuzz.py): fixed seed, bounded; the longer runs are in
# doc/testing.md.  Open findings in other people's code are listed in
# test/fuzz/known_findings.py and do not fail the run.
case "$mode" in
  all)      fuzz_args="functions --calls 6000|inputs --cases 3000" ;;
  sanitize) fuzz_args="functions --calls 20000|inputs --cases 8000" ;;
  valgrind) fuzz_args="functions --calls 400 --timeout-ms 60000|inputs --cases 200 --timeout-ms 60000" ;;
esac
createdb portmargin_fuzz
psql -X -q -d portmargin_fuzz -v ON_ERROR_STOP=1 -c "CREATE EXTENSION portmargin" >/dev/null
IFS='|' read -r -a fuzz_runs <<< "$fuzz_args"
for args in "${fuzz_runs[@]}"; do
  echo "== fuzz ${args%% *} (test/fuzz/fuzz.py $args)"
  # shellcheck disable=SC2086
  if out=$(PGDATABASE=portmargin_fuzz /usr/bin/python3 test/fuzz/fuzz.py $args --quiet 2>&1); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  echo "$out"
done

if [ "$mode" = sanitize ]; then
  echo "== sanitizer reports"
  # the server log (backends) and the self-test's files; reports of open
  # defects listed in test/fuzz/known_findings.py (kind 'ubsan') are shown
  # but do not fail the run
  grep -h -e 'runtime error:' -e 'Sanitizer' "$tmp/server.log" "$tmp"/ubsan.* "$tmp"/asan.* 2>/dev/null \
    > "$tmp/sanitizer-reports.txt" || true
  if out=$(/usr/bin/python3 test/fuzz/fuzz.py sanitizer-reports "$tmp/sanitizer-reports.txt" 2>&1); then
    echo "$out"; passed=$((passed + 1))
  else
    echo "$out"
    for f in "$tmp"/ubsan.* "$tmp"/asan.*; do [ -f "$f" ] && { echo "--- $f"; head -n 40 "$f"; }; done
    failed=$((failed + 1))
  fi
fi

if [ "$mode" = valgrind ]; then
  echo "== valgrind reports"
  # stop the server so that every process has written its log
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do kill -0 "$vg_pid" 2>/dev/null || break; sleep 1; done
  reports=$(find "$tmp" -maxdepth 1 -name 'valgrind.*.log' -size +0 | sort)
  logs=$(find "$tmp" -maxdepth 1 -name 'valgrind.*.log' | wc -l)
  if [ -n "$reports" ]; then
    for f in $reports; do echo "--- $f"; head -n 60 "$f"; done
    failed=$((failed + 1))
  else
    echo "none ($logs processes under memcheck, suppressions test/valgrind.supp)"
    passed=$((passed + 1))
  fi
fi

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
