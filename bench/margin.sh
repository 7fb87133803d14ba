#!/usr/bin/env bash
# bench/margin.sh: the portfolio-margin benchmark (bench/margin.sql) in one command.
#
#   bash bench/margin.sh [psql options]
#       builds and installs the extension, starts a throwaway cluster
#       (test/run.sh exec) and runs bench/margin.sql in it; e.g. a quick run:
#       bash bench/margin.sh -v accounts=1000 -v runs=5
#
#   bash bench/margin.sh --here [psql options]
#       runs bench/margin.sql against the server in the current PG*
#       environment, using the portmargin already installed there (no build,
#       no install).  It creates tables positions, instruments and market in
#       the current database (dropping any that exist).  The server needs
#       max_parallel_workers >= 2 for the 2-worker timings.
#
# Environment: PM_SERVER_OPTS (server options of the throwaway cluster;
# default in bench/lib/driver.sh), PM_PORT (its port, default 54338 so that it clashes with
# neither test/run.sh's 54329 nor bench/pricing.sh's 54339).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/driver.sh"
bench_sql bench/margin.sql 54338 "$@"
