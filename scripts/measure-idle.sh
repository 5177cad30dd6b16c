#!/usr/bin/env bash
# Measures the daemon at rest: builds pb, runs `pb serve` on a fresh data
# directory at the default 1 s polling for SECONDS (default 300), then reports
# resident memory (RSS, RssAnon, RssFile) and CPU time, scaled to one hour.
# Linux only (reads /proc). Usage: scripts/measure-idle.sh [SECONDS]
# PB_BIN=path measures an existing binary instead of building one.
set -euo pipefail
secs=${1:-300}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${PB_BIN:-}" ]; then
	cp "$PB_BIN" "$tmp/pb"
else
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pb" ./cmd/pb
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 17373)
PB_API_PORT=$port "$tmp/pb" serve --data-dir "$tmp/data" 2>"$tmp/log" &
pid=$!
sleep 2
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu)
sleep "$secs"
c1=$(cpu)
grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$pid/status"
awk -v d=$((c1 - c0)) -v t="$ticks" -v s="$secs" 'BEGIN {
	ms = d * 1000 / t
	printf "CPU: %.0f ms in %d s = %.1f s per hour = %.4f %% of one core\n", ms, s, ms * 3600 / s / 1000, ms / s / 10
}'
kill -INT "$pid"; wait "$pid" || true
echo "database after the run: $(stat -c %s "$tmp/data/pb.db") bytes"
