#!/bin/sh
# apiload.sh: the API's load run of DESIGN.md's budget, reproducibly.
#
# It builds the internal/api test binary, starts its TestLoad server (the
# real monitor with a steady fake counter source, 1 s polls, 30 s flushes)
# on a 10-year, 3-interface database (generated on first use, ~10 s), then
# loads /api/today, /api/month, /api/summary and /api/health over loopback,
# with wrk (2 threads x 16 connections, as the budget was measured) when it
# is installed and with pbload. The server prints its memory (VmRSS,
# RssAnon) and CPU time per request when it stops.
#
#   sh cmd/pbload/apiload.sh                 # from the repository root
#   BASELINE=1 sh cmd/pbload/apiload.sh      # a bare net/http answer instead,
#                                            # the machine's ceiling
#
# Environment: DB (database path, default /tmp/pb-10y.db), DUR (per path,
# default 10s), NICE (e.g. "nice -n -20" on a shared machine).
set -eu
DB=${DB:-/tmp/pb-10y.db}
DUR=${DUR:-10s}
NICE=${NICE:-}
OUT=$(mktemp -d)
PATHS="/api/today /api/month /api/summary /api/health"

go test -c -o "$OUT/api.test" ./internal/api
go build -o "$OUT/pbload" ./cmd/pbload

# Generate the database first if needed (TestLoad does it, but not within
# the serving window).
if [ ! -f "$DB" ]; then
	(cd internal/api && "$OUT/api.test" -test.run TestLoad -test.count=1 -bench.db "$DB" -load.serve 1ms >/dev/null 2>&1)
fi

n=$(echo $PATHS | wc -w)
serve=$(( n * 2 * ${DUR%s} + 30 ))s
(cd internal/api && $NICE "$OUT/api.test" -test.run TestLoad -test.count=1 -test.timeout 0 \
	-bench.db "$DB" -load.serve "$serve" -load.addrfile "$OUT/addr" ${BASELINE:+-load.baseline} >"$OUT/server.log" 2>&1) &
server=$!
i=0
while [ ! -s "$OUT/addr" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
ADDR=$(cat "$OUT/addr")
sleep 2
echo "server http://$ADDR; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v wrk >/dev/null; then
	for p in $PATHS; do
		echo "== wrk -t2 -c16 -d$DUR $p"
		$NICE wrk -t2 -c16 -d"$DUR" --latency "http://$ADDR$p" | grep -E 'Requests/sec|  50%|  99%|Non-2xx|Socket errors'
	done
fi
# shellcheck disable=SC2086
$NICE "$OUT/pbload" -url "http://$ADDR" -c 16 -d "$DUR" $PATHS
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
wait $server || true
cat "$OUT/server.log"
rm -rf "$OUT"
