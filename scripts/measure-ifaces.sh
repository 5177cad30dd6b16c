#!/usr/bin/env bash
# Measures what each interface costs the daemon at rest. For each step
# (default 1, 10 and 50 veth pairs) it creates that many pairs inside a
# network namespace of its own, runs `pb serve` in that namespace on a fresh
# data directory at the default 1 s polling, lets it settle, then idles for
# SECONDS (default 60) and reads RssAnon at the end and the CPU time spent
# in the idle window (/proc/PID/stat). It prints a line per step and the
# increments per extra interface from the first step to the last.
# Root and iproute2 needed (Linux). Everything it creates is removed on
# exit, also on failure or Ctrl-C.
# Usage: sudo scripts/measure-ifaces.sh [SECONDS] [STEPS...]
# PB_BIN=path measures an existing binary instead of building one.
set -euo pipefail
secs=${1:-60}
shift || true
steps=("${@:-1 10 50}")
read -r -a steps <<<"${steps[*]}"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
ns="pbif$$"
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	ip netns del "$ns" 2>/dev/null || true # takes its veth pairs with it
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "${PB_BIN:-}" ]; then
	cp "$PB_BIN" "$tmp/pb"
else
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pb" ./cmd/pb
fi
ip netns add "$ns"
ip -n "$ns" link set lo up
ticks=$(getconf CLK_TCK)
made=0
declare -A anon cpu ifs
printf '%6s %10s %10s %12s %8s\n' pairs interfaces RssAnon "CPU ms" "CPU %"
for n in "${steps[@]}"; do
	while [ "$made" -lt "$n" ]; do
		ip -n "$ns" link add "pbv${made}a" type veth peer name "pbv${made}b"
		ip -n "$ns" link set "pbv${made}a" up
		ip -n "$ns" link set "pbv${made}b" up
		made=$((made + 1))
	done
	rm -rf "$tmp/data"
	# A fresh namespace has nothing listening: any port is free there.
	ip netns exec "$ns" env PB_API_PORT=17373 "$tmp/pb" serve --data-dir "$tmp/data" 2>"$tmp/log" &
	pid=$!
	sleep 15 # start-up, first flush and details refresh out of the window
	kill -0 "$pid" || { cat "$tmp/log"; exit 1; }
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep "$secs"
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	k=$(ip -n "$ns" -o link show | wc -l)
	kill -INT "$pid"; wait "$pid" || true
	pid=
	anon[$n]=$a
	cpu[$n]=$(( (c1 - c0) * 1000 / ticks ))
	ifs[$n]=$k
	awk -v n="$n" -v k="$k" -v a="$a" -v ms="${cpu[$n]}" -v s="$secs" \
		'BEGIN { printf "%6d %10d %7d kB %12d %8.4f\n", n, k, a, ms, ms / s / 10 }'
done
first=${steps[0]}
last=${steps[${#steps[@]}-1]}
if [ "$first" != "$last" ]; then
	awk -v a0="${anon[$first]}" -v a1="${anon[$last]}" -v c0="${cpu[$first]}" -v c1="${cpu[$last]}" \
		-v k0="${ifs[$first]}" -v k1="${ifs[$last]}" 'BEGIN {
		d = k1 - k0
		printf "per extra interface (%d to %d interfaces): %+.1f kB RssAnon; CPU %+.1f %% from the first step to the last\n",
			k0, k1, (a1 - a0) / d, (c0 > 0 ? (c1 - c0) * 100 / c0 : 0)
	}'
fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
