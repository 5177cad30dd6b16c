#!/usr/bin/env bash
# Measures what each interface costs the daemon at rest. For each step
# (default 1, 10 and 50 veth pairs) it creates a network namespace of its
# own with that many pairs and runs `pb serve` in it on a fresh data
# directory at the default 1 s polling, all steps at once, so that they
# share the same window (a machine's load drifts; sequential steps would
# each see another load). After a settling minute (start-up and the first
# write out of the window) it measures for SECONDS (default 300): the CPU
# time each daemon spent (`perf stat -e task-clock`, to the microsecond,
# when perf works here; else utime+stime from /proc/PID/stat, in 10 ms
# ticks) and RssAnon at the end. It prints a line per step and the
# increments per extra interface from the first step to the last.
# Root and iproute2 needed (Linux). Everything it creates is removed on
# exit, also on failure or Ctrl-C.
# Usage: sudo scripts/measure-ifaces.sh [SECONDS] [STEPS...]
#   PB_BIN=path  measure an existing binary instead of building one
#   SETTLE=secs  the start-up not measured (default 60)
set -euo pipefail
secs=${1:-300}
shift || true
steps=("${@:-1 10 50}")
read -r -a steps <<<"${steps[*]}"
settle=${SETTLE:-60}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
declare -A pid ns
cleanup() {
	for n in "${!pid[@]}"; do kill "${pid[$n]}" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for n in "${!ns[@]}"; do ip netns del "${ns[$n]}" 2>/dev/null || true; done # takes its veth pairs with it
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "${PB_BIN:-}" ]; then
	cp "$PB_BIN" "$tmp/pb"
else
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pb" ./cmd/pb
fi
useperf=0
if perf stat -e task-clock true >/dev/null 2>&1; then useperf=1; fi
ticks=$(getconf CLK_TCK)
for n in "${steps[@]}"; do
	ns[$n]="pbif$$-$n"
	ip netns add "${ns[$n]}"
	ip -n "${ns[$n]}" link set lo up
	for ((i = 0; i < n; i++)); do
		ip -n "${ns[$n]}" link add "pbv${i}a" type veth peer name "pbv${i}b"
		ip -n "${ns[$n]}" link set "pbv${i}a" up
		ip -n "${ns[$n]}" link set "pbv${i}b" up
	done
	# A fresh namespace has nothing listening: any port is free there.
	ip netns exec "${ns[$n]}" env PB_API_PORT=17373 "$tmp/pb" serve --data-dir "$tmp/data$n" 2>"$tmp/log$n" &
	pid[$n]=$!
done
sleep "$settle"
declare -A c0 cpu anon ifs
for n in "${steps[@]}"; do
	kill -0 "${pid[$n]}" || { cat "$tmp/log$n"; exit 1; }
	if [ "$useperf" = 1 ]; then
		perf stat -x, -e task-clock -o "$tmp/perf$n" -p "${pid[$n]}" -- sleep "$secs" &
	else
		c0[$n]=$(awk '{print $14 + $15}' "/proc/${pid[$n]}/stat")
	fi
done
sleep "$secs"
wait_perf=0
for n in "${steps[@]}"; do
	if [ "$useperf" = 1 ]; then
		while ! grep -q task-clock "$tmp/perf$n" 2>/dev/null; do
			sleep 1
			wait_perf=$((wait_perf + 1))
			[ "$wait_perf" -lt 30 ] || { echo "perf stat gave nothing for step $n" >&2; exit 1; }
		done
		cpu[$n]=$(awk -F, '/task-clock/ {print $1}' "$tmp/perf$n")
	else
		c1=$(awk '{print $14 + $15}' "/proc/${pid[$n]}/stat")
		cpu[$n]=$(((c1 - c0[$n]) * 1000 / ticks))
	fi
	anon[$n]=$(awk '/^RssAnon:/ {print $2}' "/proc/${pid[$n]}/status")
	ifs[$n]=$(ip -n "${ns[$n]}" -o link show | wc -l)
done
how="/proc/PID/stat, 10 ms ticks"
[ "$useperf" = 1 ] && how="perf stat task-clock"
echo "all steps at once, ${secs} s after a ${settle} s start-up; CPU from $how"
printf '%6s %10s %10s %12s %8s\n' pairs interfaces RssAnon "CPU ms" "CPU %"
for n in "${steps[@]}"; do
	awk -v n="$n" -v k="${ifs[$n]}" -v a="${anon[$n]}" -v ms="${cpu[$n]}" -v s="$secs" \
		'BEGIN { printf "%6d %10d %7d kB %12.1f %8.4f\n", n, k, a, ms, ms / s / 10 }'
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
