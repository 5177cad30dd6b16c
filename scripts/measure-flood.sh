#!/bin/sh
# measure-flood.sh: what 10,000 keep-alive connections cost a running
# pb serve, and how soon its memory comes back after they close.
#
# It builds pb and cmd/pbflood, starts `pb serve` on a fresh data
# directory and a free loopback port, and a second, identical one (the
# control) that gets no connections; opens CONNS connections to the first
# (one GET /api/health each, then kept open), holds them HOLD seconds,
# closes them and samples both daemons' RssAnon (and the first's VmRSS)
# every second for AFTER seconds. What the flood left is the first's rise
# less the control's over the same time: a fresh daemon's memory also
# moves in its first minutes (its first periodic write comes 2 minutes
# after the start). Linux; raises the open-file limit for itself.
#
#   sh scripts/measure-flood.sh            # from the repository root
#   CONNS=10000 HOLD=30 AFTER=90 sh scripts/measure-flood.sh
set -eu
CONNS=${CONNS:-10000}
HOLD=${HOLD:-30}
AFTER=${AFTER:-90}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
OUT=$(mktemp -d /tmp/pb-flood.XXXXXX)
pid= cpid=
cleanup() {
	for p in $pid $cpid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$OUT/pb" ./cmd/pb
go build -o "$OUT/pbflood" ./cmd/pbflood
# A free port: bind port 0, read what the kernel gave, release it.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(freeport)
PB_API_PORT=$PORT "$OUT/pb" serve --data-dir "$OUT/data" >"$OUT/serve.log" 2>&1 &
pid=$!
PB_API_PORT=$(freeport) "$OUT/pb" serve --data-dir "$OUT/control" >"$OUT/control.log" 2>&1 &
cpid=$!
for log in serve control; do
	i=0
	until grep -q serving "$OUT/$log.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null || ! kill -0 "$cpid" 2>/dev/null; then cat "$OUT/$log.log"; exit 1; fi
		sleep 0.1
	done
done
sleep 10 # let the start-up settle
echo "pb serve pid $pid on 127.0.0.1:$PORT, control pid $cpid; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$OUT/pbflood" -url "http://127.0.0.1:$PORT" -pid "$pid" -control "$cpid" -c "$CONNS" -hold "${HOLD}s" -after "${AFTER}s"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
