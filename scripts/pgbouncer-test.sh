#!/usr/bin/env bash
# The connection pooler the fleet-sync tests go through: PgBouncer (Debian
# package pgbouncer) in transaction mode on 127.0.0.1:6436, in front of the
# test PostgreSQL at 127.0.0.1:5432 (trust auth), as Neon's pooled endpoint
# and Supabase's port 6543 put one in front of theirs.
#
#   scripts/pgbouncer-test.sh start   start it unless it already answers (idempotent)
#   scripts/pgbouncer-test.sh stop    stop the instance this script started
#
# Every database name is passed through (the "*" entry), so each test reaches
# its own database; pb_statement is the database test behind a statement-mode
# pool, for the test that checks pb explains what to change. Two server
# connections per pool, so the clients of one test share them and their
# transactions interleave. Without pgbouncer installed, start prints a note
# and succeeds: the pooled tests then skip, or fail under CI=true.
set -euo pipefail
port=${PB_PGBOUNCER_PORT:-6436}
dir=${PB_PGBOUNCER_DIR:-/tmp/pb-pgbouncer-$port}
pidfile=$dir/pgbouncer.pid

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

case "${1:-}" in
start)
	if answers; then
		exit 0
	fi
	bin=$(command -v pgbouncer || true)
	[ -z "$bin" ] && [ -x /usr/sbin/pgbouncer ] && bin=/usr/sbin/pgbouncer
	if [ -z "$bin" ]; then
		echo "pgbouncer is not installed (scripts/test-prereqs.sh installs it): the pooled sync tests skip, or fail under CI=true" >&2
		exit 0
	fi
	mkdir -p "$dir"
	cat >"$dir/pgbouncer.ini" <<EOF
[databases]
pb_statement = host=127.0.0.1 port=5432 dbname=test pool_mode=statement
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 2
max_client_conn = 400
server_idle_timeout = 10
; each test's database gets a pool; forget it soon after the test
autodb_idle_timeout = 30
log_connections = 0
log_disconnections = 0
; what managed poolers drop: a client must not need more
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $pidfile
EOF
	echo '"postgres" ""' >"$dir/userlist.txt"
	user=()
	if [ "$(id -u)" = 0 ]; then # pgbouncer refuses to run as root
		chown -R postgres: "$dir"
		user=(-u postgres)
	fi
	if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		rm -f "$pidfile"
	fi
	# Another make test may have started one a moment ago: then this one
	# fails to listen, and that one answers below.
	"$bin" -d "${user[@]}" "$dir/pgbouncer.ini" || true
	for _ in $(seq 1 50); do
		answers && exit 0
		sleep 0.2
	done
	echo "pgbouncer did not start on 127.0.0.1:$port; see $dir/pgbouncer.log" >&2
	exit 1
	;;
stop)
	if [ -f "$pidfile" ]; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
		rm -f "$pidfile"
	fi
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
