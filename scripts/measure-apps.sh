#!/usr/bin/env bash
# Measures what per-app counting costs the daemon, as it runs (not a
# benchmark): three `pb serve` at once on fresh data directories, one with
# per-app off, one counting with eBPF and one with the TCP-only sock_diag
# fallback ([apps] method), through an idle window and then a window of
# connection load: 200 open TCP connections (100 bytes each way every
# 10 s) and 10 new connections a second (1000 bytes each way, then
# closed), from this namespace to an echo server in a network namespace of
# the script's own over a veth pair (10.201.17.0/30; removed on exit, also
# on failure or Ctrl-C). The load is scripts/apps-load.py. For each daemon
# and window it prints the CPU time (utime+stime) as a share of one core
# and RssAnon at the window's end, and at the end what the two per-app
# daemons booked on the veth per app.
# Linux only, root, iproute2 and python3.
# Usage: sudo scripts/measure-apps.sh [IDLE_SECONDS] [LOAD_SECONDS]
#   (defaults 300 and 120; a first minute of start-up is not measured, and
#   the load runs 30 s before its window opens)
#   PB_BIN=path      measure an existing binary instead of building one
#   MEASURE_DIR=dir  where the data directories go (default /var/tmp)
#   WARM=seconds     the start-up not measured (default 60)
set -euo pipefail
idle=${1:-300}
loadsecs=${2:-120}
warm=${WARM:-60}
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "needs root (network namespace, eBPF)" >&2
	exit 1
fi
ns=pb-apps-$$ hif=pbah$$ pif=pbap$$
hip=10.201.17.1 pip=10.201.17.2 port=7000
tmp=$(mktemp -d -p "${MEASURE_DIR:-/var/tmp}" pb-apps.XXXXXX)
pids=() spid= lpid=
cleanup() {
	for p in "${pids[@]}" $spid $lpid; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true # takes the veth pair with it
	ip link del "$hif" 2>/dev/null || true
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
ip link add "$hif" type veth peer name "$pif" netns "$ns"
ip addr add "$hip/30" dev "$hif"
ip -n "$ns" addr add "$pip/30" dev "$pif"
ip link set "$hif" up
ip -n "$ns" link set "$pif" up
ip -n "$ns" link set lo up
total=$((warm + idle + 30 + loadsecs + 30))
ip netns exec "$ns" python3 scripts/apps-load.py serve "$pip" "$port" "$total" &
spid=$!

names=(off ebpf sock_diag)
for i in 0 1 2; do
	n=${names[$i]}
	case $n in
	off) env=(PB_APPS_ENABLED=false) ;;
	*) env=(PB_APPS_ENABLED=true "PB_APPS_METHOD=$n") ;;
	esac
	env "${env[@]}" PB_API_PORT=$((17400 + i)) "$tmp/pb" serve --data-dir "$tmp/$n" >"$tmp/$n.log" 2>&1 &
	pids+=($!)
done
sleep 2
for i in 1 2; do
	if ! grep -q "per-app usage is on" "$tmp/${names[$i]}.log"; then
		echo "pb with [apps] method ${names[$i]} did not switch per-app counting on:" >&2
		cat "$tmp/${names[$i]}.log" >&2
		exit 1
	fi
done

ticks=$(getconf CLK_TCK)
alive() {
	for i in 0 1 2; do
		if ! kill -0 "${pids[$i]}" 2>/dev/null; then
			echo "pb (${names[$i]}) exited early; its log:" >&2
			cat "$tmp/${names[$i]}.log" >&2
			exit 1
		fi
	done
}
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
anon() { awk '$1 == "RssAnon:" {print $2}' "/proc/$1/status"; }
declare -A c0 c1
# window NAME SECONDS: CPU share and RssAnon of each daemon over SECONDS.
window() {
	local w=$1 secs=$2
	alive
	for i in 0 1 2; do c0[$i]=$(cpu "${pids[$i]}"); done
	sleep "$secs"
	alive
	for i in 0 1 2; do
		c1[$i]=$(cpu "${pids[$i]}")
		awk -v n="${names[$i]}" -v w="$w" -v c="$((c1[$i] - c0[$i]))" -v t="$ticks" -v s="$secs" -v a="$(anon "${pids[$i]}")" 'BEGIN {
			printf "%-6s per-app %-9s CPU %5d ms in %d s = %.3f %% of a core, RssAnon %.2f MB\n", w, n, c * 1000 / t, s, 100 * c / t / s, a / 1000
		}'
	done
}

echo "start-up: $warm s"
sleep "$warm"
window idle "$idle"
python3 scripts/apps-load.py load "$pip" "$port" $((30 + loadsecs + 5)) 200 10 &
lpid=$!
sleep 30
window load "$loadsecs"
wait "$lpid" || true
lpid=
# let the daemons write what they counted (1 min batches): stop them.
for i in 0 1 2; do kill "${pids[$i]}"; done
wait "${pids[@]}" 2>/dev/null || true
pids=()
for n in ebpf sock_diag; do
	echo "booked on $hif by per-app $n:"
	"$tmp/pb" apps --data-dir "$tmp/$n" --interface "$hif" | tail -n +3
done
