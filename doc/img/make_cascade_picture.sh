#!/usr/bin/env bash
# doc/img/make_cascade_picture.sh: draw doc/img/cascade.png (doc/stress-testing.md)
# from the demo book of doc/demo.sql, with gnuplot.
#
#   doc/img/cascade.png   a liquidation cascade on the 1,000-account demo book
#                         (generate_demo_book(.., 1000, 0.42)): BTC index and
#                         forwards down 15%, square-root impact with depth 200
#                         BTC and coefficient 0.05 (liquidation_cascade): the
#                         BTC price after each round, the accounts liquidated
#                         in it and the insurance fund's draw so far
#
# Run it from the repository root, in a throwaway cluster:
#
#   bash test/run.sh exec bash doc/img/make_cascade_picture.sh
#
# or against a server where portmargin is installed (a database where CREATE
# EXTENSION portmargin has been run) through the usual libpq variables.  It
# creates the reference schema pic_cascade and drops it at the end; the
# numbers depend only on the demo book's seed and the parameters above.
# Needs psql and gnuplot (Debian: apt-get install gnuplot-nox).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${PM_IMG_DIR:-$here}
mkdir -p "$out"
command -v gnuplot >/dev/null || { echo "make_cascade_picture.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
command -v psql >/dev/null || { echo "make_cascade_picture.sh: psql not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

psql -X -q -v ON_ERROR_STOP=1 <<SQL
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' '
\pset footer off
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pic_cascade CASCADE;
SELECT portmargin.create_reference_schema('pic_cascade') \gset
SELECT portmargin.generate_demo_book('pic_cascade', 1000, 0.42) \gset
SELECT portmargin.create_stress_tables('pic_cascade') \gset
-- round, price the round starts at, price after its liquidations, accounts liquidated, shortfall so far (million USD)
\o $tmp/cascade.dat
SELECT c.round, round(c.price::numeric, 2), round(c.price_after::numeric, 2), c.accounts_liquidated,
       round((c.total_shortfall / 1e6)::numeric, 4)
FROM pic_cascade.liquidation_cascade('BTC', -0.15, depth => 200, impact => 0.05) c ORDER BY c.round;
\o
DROP SCHEMA pic_cascade CASCADE;
SQL

if echo 'set terminal pngcairo' | gnuplot >/dev/null 2>&1; then
  term='pngcairo size 900,600 enhanced font "DejaVu Sans,12" linewidth 1.5'
else
  term='png size 900,600 enhanced font "DejaVuSans,11"'
fi
last=$(awk 'END { print $1 }' "$tmp/cascade.dat")
total=$(awk 'END { print $5 }' "$tmp/cascade.dat")

gnuplot <<GP
set terminal $term
set output '$out/cascade.png'
set title "A liquidation cascade on the demo book: BTC down 15%, then liquidations push it further\n{/*0.8 1,000 accounts (doc/demo.sql); square-root impact ln(p'/p) = -0.05 (volume / 200 BTC)^{1/2}; other underlyings fixed}"
set xlabel "round (0: the initial shock)"
set ylabel "BTC price after the round (USD)"
set y2label "accounts liquidated in the round"
set xrange [-0.6:$last + 0.6]
set yrange [0:100000]
set y2range [0:*]
set xtics 1 out nomirror
set ytics 10000 out nomirror
set y2tics out
set grid ytics lc rgb "#c0c0c0" lw 0.5
set style fill solid 0.35 border -1
set boxwidth 0.6
set key at graph 0.98, graph 0.98 right top box opaque spacing 1.2
set label 1 sprintf("insurance fund's draw (shortfall): %.1f million USD", $total) at graph 0.98, graph 0.72 right font ",11"
plot '$tmp/cascade.dat' using 1:4 axes x1y2 with boxes lc rgb "#d6604d" title "accounts liquidated", \
     '$tmp/cascade.dat' using 1:3 with linespoints pt 7 ps 1 lw 2 lc rgb "#2166ac" title "BTC price after the round", \
     97000 with lines dt 2 lc rgb "#606060" title "BTC index today (97,000)"
GP
echo "wrote $out/cascade.png"
