# bench/pgbench_latency.sh: sourced by the pgbench benchmarks (whatif.sh,
# realtime.sh).  pgbench_latency LABEL MODE CLIENTS SECONDS SCRIPT [pgbench args]
# runs SCRIPT with per-transaction logs in $tmp and prints one row: label,
# mode, clients, transactions, tps, mean and p50/p90/p99/p99.9/max latency
# (ms, nearest rank over every logged transaction), the slowest first
# transaction of a connection (a new backend: catalog caches cold), the
# share of transactions over $PM_LATENCY_MARK_MS (default 2) ms and the
# failed transactions.  Needs PGBENCH and tmp set.
pgbench_latency_header() {
  printf '%-12s %-9s %7s %7s %8s %8s %8s %8s %8s %8s %8s %8s %7s %7s\n' \
    what mode clients txns tps mean_ms p50_ms p90_ms p99_ms p99.9_ms max_ms first_ms ">${PM_LATENCY_MARK_MS:-2}ms" failed
}
pgbench_latency() {
  local label=$1 mode=$2 clients=$3 seconds=$4 script=$5 name="$1-$2-c$3"
  shift 5
  if ! "$PGBENCH" -n -c "$clients" -j "$clients" -T "$seconds" -r -M "$mode" \
        --log --log-prefix="$tmp/$name" "$@" -f "$script" >"$tmp/$name.out" 2>&1; then
    cat "$tmp/$name.out"; return 1
  fi
  local tps failed first mark_us
  mark_us=$(( ${PM_LATENCY_MARK_MS:-2} * 1000 ))
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$tmp/$name.out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\) .*/\1/p' "$tmp/$name.out")
  first=$(cat "$tmp/$name".[0-9]* | awk '$2 == 1 {if ($3 > m) m = $3} END {printf "%.2f", m / 1000}')
  cat "$tmp/$name".[0-9]* | awk '{print $3}' | sort -n | awk -v label="$label" -v mode="$mode" -v c="$clients" \
      -v tps="$tps" -v first="$first" -v failed="${failed:-?}" -v mark="$mark_us" '
    { v[NR] = $1; s += $1; if ($1 > mark) over++ }
    function pct(p,   x, i) { x = p * NR / 100; i = int(x); if (i < x) i++; if (i < 1) i = 1; return v[i] / 1000 }
    END { printf "%-12s %-9s %7s %7d %8.1f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8s %6.1f%% %7s\n",
                 label, mode, c, NR, tps, s / NR / 1000, pct(50), pct(90), pct(99), pct(99.9), v[NR] / 1000, first,
                 100 * over / NR, failed }'
  cp "$tmp/$name.out" "$tmp/last.out"
}
