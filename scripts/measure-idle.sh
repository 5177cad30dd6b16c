#!/usr/bin/env bash
# Measures the daemon at rest, as it runs (not a benchmark): builds pb, runs
# `pb serve` on a fresh data directory at the default 1 s polling and 2 min
# writes, and vnstatd (vnStat's daemon, at its defaults, on its own
# temporary database) beside it in the same window. After a first minute
# (start-up: migrations, the first write) it notes each one's private memory
# (RssAnon), then measures for SECONDS (default 300) and prints, for both
# and as pb/vnstatd ratios:
#   RssAnon after the first minute and at the end, VmRSS and RssFile at the
#   end, the largest RssAnon sampled in the window;
#   CPU time (utime+stime from /proc/PID/stat) as a share of one core;
#   disk writes per second from /proc/PID/io: write_bytes (what reached the
#   block layer, net of cancelled_write_bytes) and wchar (every write(2)).
# Linux only (reads /proc). Usage: scripts/measure-idle.sh [SECONDS]
#   PB_BIN=path      measure an existing binary instead of building one
#   VNSTAT=0         do not run vnstatd
#   MEASURE_DIR=dir  where the temporary data directories go (default
#                    /var/tmp: a disk, so that write_bytes means something;
#                    on a tmpfs it would read 0)
#   SAMPLE=seconds   how often RssAnon is sampled (default 60)
# The daemons' own logs are kept in the temporary directory and printed
# only when one of them exits early.
set -euo pipefail
secs=${1:-300}
warm=60
sample=${SAMPLE:-60}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d -p "${MEASURE_DIR:-/var/tmp}" pb-idle.XXXXXX)
pid= vpid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	[ -n "$vpid" ] && kill "$vpid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ -n "${PB_BIN:-}" ]; then
	cp "$PB_BIN" "$tmp/pb"
else
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pb" ./cmd/pb
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 17373)
PB_API_PORT=$port "$tmp/pb" serve --data-dir "$tmp/data" >"$tmp/pb.log" 2>&1 &
pid=$!

if [ "${VNSTAT:-1}" != 0 ]; then
	if ! command -v vnstatd >/dev/null; then
		echo "vnstatd not found (Debian: apt-get install vnstat, or scripts/test-prereqs.sh); VNSTAT=0 skips it" >&2
		exit 1
	fi
	mkdir -p "$tmp/vnstat"
	# vnStat's defaults, but its own database and no pid file or log, so
	# the system's vnStat (if any) is not touched.
	cat >"$tmp/vnstat.conf" <<EOF
DatabaseDir "$tmp/vnstat"
UseLogging 0
PidFile "$tmp/vnstat.pid"
EOF
	vnstatd -n --alwaysadd --config "$tmp/vnstat.conf" >"$tmp/vnstat.log" 2>&1 &
	vpid=$!
fi

ticks=$(getconf CLK_TCK)
alive() {
	if ! kill -0 "$1" 2>/dev/null; then
		echo "$2 exited early; its log:" >&2
		cat "$tmp/$2.log" >&2
		exit 1
	fi
}
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
io() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/io"; }
written() { echo $(($(io "$1" write_bytes) - $(io "$1" cancelled_write_bytes))); }
# snap PID VAR: the figures at the start or end of the window.
snap() {
	local p=$1 v=$2
	eval "${v}_cpu=$(cpu "$p") ${v}_wb=$(written "$p") ${v}_wc=$(io "$p" wchar) ${v}_anon=$(kb "$p" RssAnon)"
}

sleep "$warm"
alive "$pid" pb
snap "$pid" p0
peak=$p0_anon vpeak=0
if [ -n "$vpid" ]; then
	alive "$vpid" vnstat
	snap "$vpid" v0
	vpeak=$v0_anon
fi
echo "first minute over: pb RssAnon ${p0_anon} kB${vpid:+, vnstatd RssAnon ${v0_anon} kB}; measuring for $secs s"
left=$secs
while [ "$left" -gt 0 ]; do
	step=$((left < sample ? left : sample))
	sleep "$step"
	left=$((left - step))
	alive "$pid" pb
	a=$(kb "$pid" RssAnon)
	[ "$a" -gt "$peak" ] && peak=$a
	line="t+$((secs - left))s pb RssAnon $a kB"
	if [ -n "$vpid" ]; then
		alive "$vpid" vnstat
		va=$(kb "$vpid" RssAnon)
		[ "$va" -gt "$vpeak" ] && vpeak=$va
		line="$line, vnstatd $va kB"
	fi
	echo "$line"
done
snap "$pid" p1
prss=$(kb "$pid" VmRSS) pfile=$(kb "$pid" RssFile)
if [ -n "$vpid" ]; then
	snap "$vpid" v1
	vrss=$(kb "$vpid" VmRSS) vfile=$(kb "$vpid" RssFile)
fi

echo
echo "window: $secs s after a first minute; $("$tmp/pb" version), 1 s polling, 2 min writes (the defaults)${vpid:+; $(vnstatd -v 2>&1 | head -1) at its defaults}"
report() { # name anon0 anon1 peak rss file cpu0 cpu1 wb0 wb1 wc0 wc1
	awk -v n="$1" -v a0="$2" -v a1="$3" -v pk="$4" -v rss="$5" -v f="$6" \
		-v c="$(($8 - $7))" -v wb="$((${10} - $9))" -v wc="$((${12} - ${11}))" -v t="$ticks" -v s="$secs" 'BEGIN {
		printf "%-8s RssAnon %6.2f MB after the first minute, %6.2f MB at the end (largest sample %.2f MB)\n", n, a0/1000, a1/1000, pk/1000
		printf "%-8s VmRSS %6.2f MB (RssFile %.2f MB)\n", n, rss/1000, f/1000
		printf "%-8s CPU %d ms in %d s = %.4f %% of one core (%.1f s per hour)\n", n, c*1000/t, s, c*100/t/s, c*3600/t/s
		printf "%-8s disk writes %.0f B/s (write_bytes %d in %d s), wchar %.0f B/s\n", n, wb/s, wb, s, wc/s
	}'
}
report pb "$p0_anon" "$p1_anon" "$peak" "$prss" "$pfile" "$p0_cpu" "$p1_cpu" "$p0_wb" "$p1_wb" "$p0_wc" "$p1_wc"
if [ -n "$vpid" ]; then
	report vnstatd "$v0_anon" "$v1_anon" "$vpeak" "$vrss" "$vfile" "$v0_cpu" "$v1_cpu" "$v0_wb" "$v1_wb" "$v0_wc" "$v1_wc"
	ratio() { awk -v a="$2" -v b="$3" -v n="$1" 'BEGIN { if (b > 0) printf "  %-22s %8.1f x\n", n, a/b; else printf "  %-22s %8s (vnstatd: 0)\n", n, "-" }'; }
	echo "pb / vnstatd:"
	ratio "RssAnon at the end" "$p1_anon" "$v1_anon"
	ratio "VmRSS" "$prss" "$vrss"
	ratio "CPU" "$((p1_cpu - p0_cpu))" "$((v1_cpu - v0_cpu))"
	ratio "disk writes" "$((p1_wb - p0_wb))" "$((v1_wb - v0_wb))"
	ratio "wchar" "$((p1_wc - p0_wc))" "$((v1_wc - v0_wc))"
fi
echo "pb's database at the end: $(stat -c %s "$tmp/data/pb.db") bytes, its WAL $(stat -c %s "$tmp/data/pb.db-wal" 2>/dev/null || echo 0) bytes"
kill -INT "$pid"
wait "$pid" || true
pid=
