#!/usr/bin/env bash
# doc/img/make_pictures.sh: draw the pictures embedded in doc/margin.md,
# doc/stress-testing.md and README.md from the demo book (doc/demo.sql), with
# gnuplot.
#
#   doc/img/risk-matrix.png      P&L of the demo's account 2 (BTC short
#                                strangle) over a grid of price moves x
#                                volatility shifts, from risk_array
#   doc/img/margin-vs-price.png  initial margin of the same account under the
#                                deribit-btc and okx-btc presets, and its
#                                mark-to-market option liability, as the BTC
#                                price moves from 60,000 to 140,000 USD
#   doc/img/cascade.png          a liquidation cascade (doc/stress-testing.md)
#                                on the 1,000-account demo book
#                                (generate_demo_book(.., 1000, 0.42)): BTC down
#                                15%, square-root impact with depth 200 BTC and
#                                coefficient 0.05: the BTC price after each
#                                round, the accounts liquidated in it and the
#                                insurance fund's draw
#
# Run it from the repository root, either in a throwaway cluster:
#
#   bash test/run.sh exec bash doc/img/make_pictures.sh
#
# or against a server where portmargin is installed, in a database where
# `CREATE EXTENSION portmargin` has been run, through the usual libpq
# variables:
#
#   PGHOST=/tmp/pmdev PGPORT=54330 PGUSER=postgres PGDATABASE=pics bash doc/img/make_pictures.sh
#
# Needs psql and gnuplot (Debian: apt-get install gnuplot-nox); uses the
# pngcairo terminal when gnuplot has it, else png.  The SQL creates only
# temporary tables (dropped at the end of its session) and the reference
# schema pic_cascade (dropped at the end), reads no clock and no random
# numbers but the demo book's seeded ones, and rounds what it writes, so the
# data files and the pictures depend only on the numbers below.  The data files go to a
# temporary directory that is removed on exit; the PNGs are written next to
# this script (PM_IMG_DIR to write them elsewhere).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${PM_IMG_DIR:-$here}
mkdir -p "$out"
command -v gnuplot >/dev/null || { echo "make_pictures.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
command -v psql >/dev/null || { echo "make_pictures.sh: psql not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------
# Data.  Account 2 of doc/demo.sql: short 5 BTC-25DEC26-110000-C (vol 0.50)
# and short 5 BTC-25DEC26-90000-P (vol 0.55), coin-settled (inverse),
# forward 97,400, index 97,000, as of 2026-11-25 08:00 UTC (30 days).
# ---------------------------------------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 <<SQL
\pset format unaligned
\pset tuples_only on
\pset fieldsep ' '
\pset footer off

CREATE TEMP TABLE pic_positions (
    instrument_id int PRIMARY KEY,
    option_type   text NOT NULL,
    strike        float8 NOT NULL,
    expiry        timestamptz NOT NULL,
    quantity      float8 NOT NULL,       -- contracts, negative = short; 1 contract = 1 BTC
    forward       float8 NOT NULL,
    vol           float8 NOT NULL,
    index_price   float8 NOT NULL,
    as_of         timestamptz NOT NULL
);
INSERT INTO pic_positions VALUES
  (104, 'call', 110000, '2026-12-25 08:00+00', -5, 97400, 0.50, 97000, '2026-11-25 08:00+00'),
  (105, 'put',   90000, '2026-12-25 08:00+00', -5, 97400, 0.55, 97000, '2026-11-25 08:00+00');

-- (a) the risk matrix: price moves -30%..+30% step 2% x absolute vol
-- shifts -20..+20 points step 5, one grid_scenarios set, scenario i =
-- (move i, shift i) in the order (shift, move)
CREATE TEMP TABLE pic_grid AS
SELECT row_number() OVER (ORDER BY v, m) AS idx, m * 2 AS move_pct, v * 5 AS vol_pts
FROM generate_series(-15, 15) m, generate_series(-4, 4) v;

CREATE TEMP TABLE pic_set AS
SELECT portmargin.grid_scenarios(array_agg(move_pct / 100.0::float8 ORDER BY idx),
                                 array_agg(vol_pts / 100.0::float8 ORDER BY idx)) AS s
FROM pic_grid;

CREATE TEMP TABLE pic_pnl AS
SELECT r.idx, sum(p.quantity * r.pnl) AS pnl
FROM pic_positions p
CROSS JOIN pic_set
CROSS JOIN LATERAL unnest(portmargin.risk_array(pic_set.s, 'option', p.option_type, p.strike,
                              portmargin.year_fraction(p.as_of, p.expiry), p.forward, p.vol,
                              'inverse', 1)) WITH ORDINALITY AS r(pnl, idx)
GROUP BY r.idx;

-- one line per cell (move %, vol points, P&L in BTC), a blank line between
-- vol rows, as gnuplot's "with image" reads a grid
\o $tmp/risk-matrix.dat
SELECT CASE WHEN g.move_pct = -30 AND g.vol_pts > -20 THEN E'\n' ELSE '' END
       || g.move_pct || ' ' || g.vol_pts || ' ' || round(x.pnl::numeric, 6)
FROM pic_grid g JOIN pic_pnl x USING (idx)
ORDER BY g.vol_pts, g.move_pct;
\o

-- range of the P&L, and the cells the text quotes
\o $tmp/risk-matrix.stats
SELECT round(min(pnl)::numeric, 6), round(max(pnl)::numeric, 6) FROM pic_pnl;
\o
\echo 'risk matrix (account 2, P&L in BTC): worst / best cells, and the vol-unchanged row'
\pset tuples_only off
\pset format aligned
SELECT g.move_pct, g.vol_pts, round(x.pnl::numeric, 4) AS pnl_btc
FROM pic_grid g JOIN pic_pnl x USING (idx)
WHERE x.pnl = (SELECT min(pnl) FROM pic_pnl) OR x.pnl = (SELECT max(pnl) FROM pic_pnl)
   OR (g.vol_pts = 0 AND g.move_pct IN (-30, -20, -16, -10, 0, 10, 16, 20, 30))
   OR (g.move_pct = 0 AND g.vol_pts IN (-20, 20))
ORDER BY g.vol_pts, g.move_pct;
\pset format unaligned
\pset tuples_only on

-- (b) margin against the BTC price: index P = 60,000..140,000 step 1,000,
-- every forward scaled with it (forward x P / 97,000), vols and time fixed
CREATE TEMP TABLE pic_prices AS
SELECT 1000.0::float8 * k AS price FROM generate_series(60, 140) k;

CREATE TEMP TABLE pic_margin AS
SELECT c.price, s.name,
       portmargin.portfolio_margin(p.quantity, 'BTC', 'option', p.option_type, p.strike,
           portmargin.year_fraction(p.as_of, p.expiry), p.forward * c.price / p.index_price, p.vol,
           'inverse', 1, c.price, s.scenarios) AS m
FROM pic_positions p
CROSS JOIN pic_prices c
CROSS JOIN (SELECT name, scenarios FROM portmargin.scenario_presets WHERE name IN ('deribit-btc', 'okx-btc')) s
GROUP BY c.price, s.name;

CREATE TEMP TABLE pic_liability AS
SELECT c.price,
       -sum(p.quantity * portmargin.inverse_price(p.option_type, p.forward * c.price / p.index_price,
                p.strike, portmargin.year_fraction(p.as_of, p.expiry), p.vol)) AS liability
FROM pic_positions p CROSS JOIN pic_prices c
GROUP BY c.price;

-- price (USD), IM deribit-btc, IM okx-btc, option liability (BTC)
\o $tmp/margin-vs-price.dat
SELECT c.price,
       round((d.m).initial_margin::numeric, 6), round((o.m).initial_margin::numeric, 6),
       round(l.liability::numeric, 6)
FROM pic_prices c
JOIN pic_margin d ON d.price = c.price AND d.name = 'deribit-btc'
JOIN pic_margin o ON o.price = c.price AND o.name = 'okx-btc'
JOIN pic_liability l ON l.price = c.price
ORDER BY c.price;
\o

\echo 'margin against price (account 2, BTC): a few rows'
\pset tuples_only off
\pset format aligned
SELECT c.price, (d.m).currency,
       round((d.m).initial_margin::numeric, 4) AS im_deribit, (d.m).worst_label AS deribit_worst,
       round((o.m).initial_margin::numeric, 4) AS im_okx, (o.m).worst_label AS okx_worst,
       round(l.liability::numeric, 4) AS liability
FROM pic_prices c
JOIN pic_margin d ON d.price = c.price AND d.name = 'deribit-btc'
JOIN pic_margin o ON o.price = c.price AND o.name = 'okx-btc'
JOIN pic_liability l ON l.price = c.price
WHERE c.price IN (60000, 70000, 80000, 90000, 97000, 100000, 110000, 120000, 130000, 140000)
   OR (d.m).initial_margin = (SELECT min((m).initial_margin) FROM pic_margin WHERE name = 'deribit-btc')
ORDER BY c.price;

DROP TABLE pic_liability, pic_margin, pic_prices, pic_pnl, pic_set, pic_grid, pic_positions;
SQL

# (c) the cascade: round, price the round starts at, price after its
# liquidations, accounts liquidated, shortfall so far (million USD)
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
\o $tmp/cascade.dat
SELECT c.round, round(c.price::numeric, 2), round(c.price_after::numeric, 2), c.accounts_liquidated,
       round((c.total_shortfall / 1e6)::numeric, 4)
FROM pic_cascade.liquidation_cascade('BTC', -0.15, depth => 200, impact => 0.05) c ORDER BY c.round;
\o
DROP SCHEMA pic_cascade CASCADE;
SQL

# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------
if echo 'set terminal pngcairo' | gnuplot >/dev/null 2>&1; then
  term='pngcairo size 900,600 enhanced font "DejaVu Sans,12" linewidth 1.5'
else
  term='png size 900,600 enhanced font "DejaVuSans,11"'
fi

read -r pnl_min pnl_max < "$tmp/risk-matrix.stats"

# (a) heatmap: the colour scale is symmetric about 0 (white), so a colour's
# strength is the size of the gain (blue) or loss (red).  The black line is
# the break-even contour (P&L = 0), traced by gnuplot into a table first;
# the numbers are the P&L of every fifth move and second shift (the edge
# columns justified inwards so that they stay inside the frame), except at
# today's market (0, 0), where the P&L is 0 by definition.
# Escapes: the here-documents below are expanded by bash (\\ -> \, \$ -> $),
# and an & in gnuplot's enhanced text is written \& (in "..." strings \\&).
gnuplot <<GP
set table '$tmp/risk-matrix.contours'
set contour base
set cntrparam linear
set cntrparam levels discrete 0
unset surface
splot '$tmp/risk-matrix.dat' using 1:2:3 with lines
unset table
GP

awk 'NF == 3 && $1 % 10 == 0 && $2 % 10 == 0 && !($1 == 0 && $2 == 0) { printf "%s %s %.2f\n", $1, $2, $3 }' \
  "$tmp/risk-matrix.dat" > "$tmp/risk-matrix.labels"

gnuplot <<GP
set terminal $term
set output '$out/risk-matrix.png'
set title "BTC short strangle (demo account 2): P\\\\&L under price and volatility moves\n{/*0.8 short 5 BTC-25DEC26-110000-C (vol 50%) and 5 BTC-25DEC26-90000-P (vol 55%), coin-settled, forward 97,400, 30 days}"
set xlabel "move of the BTC forward (%)"
set ylabel "shift of implied volatility (vol points)"
set cblabel 'P\&L (BTC, gains positive)'
set xrange [-31:31]
set yrange [-22.5:22.5]
set xtics -30, 5, 30 out nomirror
set ytics -20, 5, 20 out nomirror
set mxtics 5
m = abs($pnl_min) > abs($pnl_max) ? abs($pnl_min) : abs($pnl_max)
m = ceil(m * 2) / 2.0
set cbrange [-m:m]
set cbtics 0.5
set palette defined (-1 "#67001f", -0.5 "#d6604d", -0.15 "#fddbc7", 0 "#f7f7f7", 0.15 "#d1e5f0", 0.5 "#4393c3", 1 "#053061")
set tics front
set key off
set label 1 "today" at 0, 0 center front point pt 7 ps 0.8 lc rgb "black" offset 0, -1 font ",10"
set label 2 "break-even" at 14, -14 left front offset 1.2, 0 font ",10"
plot '$tmp/risk-matrix.dat' using 1:2:3 with image, \
     '$tmp/risk-matrix.contours' using 1:2 with lines lw 2.5 lc rgb "black", \
     '$tmp/risk-matrix.labels' using (\$1 == -30 ? -31 : NaN):2:(sprintf("%.2f", \$3)):(abs(\$3) > 0.6 * m ? 0xffffff : 0x202020) with labels left offset 0.3, 0 font ",10" tc rgb variable, \
     '$tmp/risk-matrix.labels' using (abs(\$1) < 30 ? \$1 : NaN):2:(sprintf("%.2f", \$3)):(abs(\$3) > 0.6 * m ? 0xffffff : 0x202020) with labels center font ",10" tc rgb variable, \
     '$tmp/risk-matrix.labels' using (\$1 == 30 ? 31 : NaN):2:(sprintf("%.2f", \$3)):(abs(\$3) > 0.6 * m ? 0xffffff : 0x202020) with labels right offset -0.3, 0 font ",10" tc rgb variable
GP

# (b) margin against price
gnuplot <<GP
set terminal $term
set output '$out/margin-vs-price.png'
set title "BTC short strangle (demo account 2): initial margin against the BTC price\n{/*0.8 short 5 x 110,000 calls and 5 x 90,000 puts, 25DEC26, coin-settled; vols and time to expiry held fixed, forwards move with the index}"
set xlabel "BTC index price (USD)"
set ylabel "BTC"
set xrange [60000:140000]
set yrange [0:*]
set xtics out nomirror ("60,000" 60000, "70,000" 70000, "80,000" 80000, "90,000" 90000, "100,000" 100000, "110,000" 110000, "120,000" 120000, "130,000" 130000, "140,000" 140000)
set ytics out nomirror
set mxtics 2
set grid lc rgb "#c0c0c0" lw 0.5
set key at graph 0.98, graph 0.90 right top box opaque width 1 spacing 1.2 samplen 3
set arrow 1 from 97000, graph 0 to 97000, graph 1 nohead dt 2 lc rgb "#606060" lw 1
set label 1 "index today: 97,000" at 97000, 1.7 right offset -0.5, 0 font ",10" tc rgb "#404040"
set arrow 2 from 90000, graph 0 to 90000, graph 1 nohead dt 3 lc rgb "#a0a0a0" lw 1
set arrow 3 from 110000, graph 0 to 110000, graph 1 nohead dt 3 lc rgb "#a0a0a0" lw 1
set label 2 "put strike" at 90000, graph 0.96 right offset -0.4, 0 font ",10" tc rgb "#404040"
set label 3 "call strike" at 110000, graph 0.96 left offset 0.4, 0 font ",10" tc rgb "#404040"
plot '$tmp/margin-vs-price.dat' using 1:2 with lines lw 2.5 lc rgb "#b2182b" title "initial margin (deribit-btc)", \
     ''                          using 1:3 with lines lw 2.5 lc rgb "#2166ac" title "initial margin (okx-btc)", \
     ''                          using 1:4 with lines lw 2 dt 4 lc rgb "#404040" title "option liability (mark-to-market)"
GP

# (c) the cascade
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
echo "wrote $out/risk-matrix.png, $out/margin-vs-price.png and $out/cascade.png"
