# bench/machine.sh: sourced by the bench drivers; prints what a result
# depends on (machine, load, source commit).  Needs $root.
echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:     $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "memory:  $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r)"
echo "load:    $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min averages before the run)"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  dirty=$(git -C "$root" status --porcelain -- src sql Makefile | wc -l)
  echo "source:  $(git -C "$root" log -1 --format='%h %cs') ($dirty modified or new file(s) in src/ sql/ Makefile)"
fi
