#!/usr/bin/env bash
# bench/core.sh: per-call cost of the numeric core without PostgreSQL.
#
#   bash bench/core.sh [rows [passes]]      (defaults 1000000 5)
#
# Compiles bench/c/core_bench.c with the numeric core (the src/*.c files that
# do not include postgres.h: pricing.c, implied_vol.c, ...) at -O2 into a
# temporary directory and runs it.  Does not touch the PGXS build or the
# installed extension.  Needs gcc and GSL (libgsl-dev).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d /tmp/portmargin-core.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gsl_cflags=$(pkg-config --cflags gsl 2>/dev/null || gsl-config --cflags)
gsl_libs=$(pkg-config --libs gsl 2>/dev/null || gsl-config --libs)
# the numeric core: every src/*.c that does not need the server headers
core=""
for f in "$root"/src/*.c; do
  grep -q '#include "postgres.h"' "$f" || core="$core $f"
done
gcc -O2 -Wall -Wextra -I"$root/src" $gsl_cflags -o "$tmp/core_bench" \
  "$root/bench/c/core_bench.c" $core $gsl_libs -lm -ldl
"$tmp/core_bench" "$@"
