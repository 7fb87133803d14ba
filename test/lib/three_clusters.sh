# test/lib/three_clusters.sh: sourced by test/sharded.sh and bench/sharded.sh.
# Starts a coordinator and two shards: three throwaway clusters (user
# postgres when run as root, Unix sockets in $tmp, ports $port0 .. $port0+2,
# stopped and removed on exit unless PM_SHARD_KEEP is set), each with
# database $db, portmargin and the reference schema venue.  Needs tmp (a new
# directory), port0, db and cluster_opts (more server options); defines
# as_pg (run as the clusters' user), c, s1 and s2 (psql on the coordinator
# and on each shard).
chmod 755 "$tmp"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$tmp"
  as_pg() { (cd "$tmp" && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi
names=(coord shard1 shard2)
cleanup() {
  [ -n "${PM_SHARD_KEEP:-}" ] && return 0
  for n in "${names[@]}"; do as_pg pg_ctl -D "$tmp/$n" -m immediate stop >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
i=0
for n in "${names[@]}"; do
  as_pg initdb -D "$tmp/$n" -U postgres -A trust --no-sync >/dev/null
  as_pg pg_ctl -D "$tmp/$n" -l "$tmp/$n.log" -w \
    -o "-p $((port0 + i)) -k $tmp -c listen_addresses='' -c fsync=off $cluster_opts" start >/dev/null
  i=$((i + 1))
done
c()  { psql -X -q -At -v ON_ERROR_STOP=1 -h "$tmp" -p "$port0"       -U postgres -d "$db" "$@"; }
s1() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$tmp" -p "$((port0 + 1))" -U postgres -d "$db" "$@"; }
s2() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$tmp" -p "$((port0 + 2))" -U postgres -d "$db" "$@"; }
for f in c s1 s2; do
  $f -d postgres -c "CREATE DATABASE $db"
  $f -c "SET client_min_messages = warning" -c "CREATE EXTENSION portmargin" \
     -c "SELECT portmargin.create_reference_schema('venue')" >/dev/null
done
