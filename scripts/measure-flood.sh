#!/bin/sh
# measure-flood.sh: what 10,000 keep-alive connections cost a running
# pb serve, and how soon its memory comes back after they close.
#
# It builds pb and cmd/pbflood, starts `pb serve` on a fresh data
# directory and a free loopback port, opens CONNS connections (one GET
# /api/health each, then kept open), holds them HOLD seconds, closes them
# and samples the daemon's RssAnon and VmRSS every second for AFTER
# seconds. Linux; raises the open-file limit for itself.
#
#   sh scripts/measure-flood.sh            # from the repository root
#   CONNS=10000 HOLD=30 AFTER=90 sh scripts/measure-flood.sh
set -eu
CONNS=${CONNS:-10000}
HOLD=${HOLD:-30}
AFTER=${AFTER:-90}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
OUT=$(mktemp -d /tmp/pb-flood.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$OUT/pb" ./cmd/pb
go build -o "$OUT/pbflood" ./cmd/pbflood
# A free port: bind port 0, read what the kernel gave, release it.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PB_API_PORT=$PORT "$OUT/pb" serve --data-dir "$OUT/data" >"$OUT/serve.log" 2>&1 &
pid=$!
i=0
until grep -q serving "$OUT/serve.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then cat "$OUT/serve.log"; exit 1; fi
	sleep 0.1
done
sleep 10 # let the start-up settle
echo "pb serve pid $pid on 127.0.0.1:$PORT; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$OUT/pbflood" -url "http://127.0.0.1:$PORT" -pid "$pid" -c "$CONNS" -hold "${HOLD}s" -after "${AFTER}s"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
