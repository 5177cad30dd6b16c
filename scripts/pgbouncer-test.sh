#!/usr/bin/env bash
# The connection pooler the fleet-sync tests go through: PgBouncer (Debian
# package pgbouncer) in transaction mode on 127.0.0.1:$PB_PGBOUNCER_PORT
# (6436), in front of the test PostgreSQL (PB_TEST_DATABASE_URL, or
# 127.0.0.1:5432, database test), as Neon's pooled endpoint and Supabase's
# port 6543 put one in front of theirs.
#
#   scripts/pgbouncer-test.sh start        start it unless it already answers (idempotent)
#   scripts/pgbouncer-test.sh stop         stop the instance this user started
#   scripts/pgbouncer-test.sh run CMD...   start it, run CMD, and stop it again if
#                                          this run started it (make test uses this)
#
# Every database name is passed through (the "*" entry), so each test reaches
# its own database; pb_statement is the test database behind a
# statement-mode pool, for the test that checks pb explains what to change.
# Two server connections per pool, so the clients of one test share them and
# their transactions interleave. The server must let the URL's user in
# without a password it does not know (trust auth, or the URL's password).
#
# When pgbouncer is not installed, or running as root without the user to
# run it as (pgbouncer refuses root; PB_PGBOUNCER_USER, default postgres),
# start prints why and succeeds: the pooled tests then skip, or fail under
# CI=true.
set -euo pipefail
port=${PB_PGBOUNCER_PORT:-6436}
# One directory per user: another user's is not writable.
dir=${PB_PGBOUNCER_DIR:-/tmp/pb-pgbouncer-$(id -u)-$port}
pidfile=$dir/pgbouncer.pid
admin=postgres

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# ours reports whether what answers on the port is a PgBouncer with this
# script's databases: its admin console lists pb_statement. Without psql,
# a live pgbouncer process in a pidfile of this script's directories.
ours() {
	if command -v psql >/dev/null 2>&1; then
		local dbs
		dbs=$(PGCONNECT_TIMEOUT=5 psql -X -q -h 127.0.0.1 -p "$port" -U "$admin" -d pgbouncer -tA -F ' ' \
			-c 'SHOW DATABASES' 2>/dev/null) || return 1
		grep -q '^pb_statement ' <<<"$dbs"
		return
	fi
	local f
	for f in "$pidfile" /tmp/pb-pgbouncer-*-"$port"/pgbouncer.pid; do
		[ -f "$f" ] && [ "$(cat "/proc/$(cat "$f")/comm" 2>/dev/null)" = pgbouncer ] && return 0
	done
	return 1
}

# upstream sets host, port, dbname, user and password from
# PB_TEST_DATABASE_URL (the server the tests' pgtest uses).
upstream() {
	local url=${PB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
	local re='^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?([^:/?@]+)(:([0-9]+))?/([^?]+)'
	if ! [[ $url =~ $re ]]; then
		echo "PB_TEST_DATABASE_URL must look like postgres://user@host:port/database for PgBouncer to front it" >&2
		exit 1
	fi
	up_user=${BASH_REMATCH[3]:-postgres}
	up_password=${BASH_REMATCH[5]}
	up_host=${BASH_REMATCH[6]}
	up_port=${BASH_REMATCH[8]:-5432}
	up_db=${BASH_REMATCH[9]}
}

# start sets started=1 when it launched the PgBouncer that now answers,
# started=0 when one already answered or there is none to launch.
start() {
	started=0
	if answers; then
		ours && return
		echo "127.0.0.1:$port answers but is not this script's PgBouncer (its admin console lists no pb_statement): stop it, or set PB_PGBOUNCER_PORT and PB_TEST_POOLER_URL to a free port" >&2
		exit 1
	fi
	bin=$(command -v pgbouncer || true)
	[ -z "$bin" ] && [ -x /usr/sbin/pgbouncer ] && bin=/usr/sbin/pgbouncer
	if [ -z "$bin" ]; then
		echo "pgbouncer is not installed (scripts/test-prereqs.sh installs it): the pooled sync tests skip, or fail under CI=true" >&2
		return
	fi
	runas=()
	if [ "$(id -u)" = 0 ]; then # pgbouncer refuses to run as root
		u=${PB_PGBOUNCER_USER:-postgres}
		if ! id "$u" >/dev/null 2>&1; then
			echo "pgbouncer refuses to run as root and there is no user $u to run it as (set PB_PGBOUNCER_USER): the pooled sync tests skip, or fail under CI=true" >&2
			return
		fi
		runas=(-u "$u")
	fi
	upstream
	mkdir -p "$dir"
	cat >"$dir/pgbouncer.ini" <<EOF
[databases]
pb_statement = host=$up_host port=$up_port dbname=$up_db pool_mode=statement
* = host=$up_host port=$up_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $admin
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
	(
		umask 077
		# With trust auth PgBouncer logs in to the server with these passwords.
		if [ "$up_user" = "$admin" ]; then
			echo "\"$admin\" \"$up_password\"" >"$dir/userlist.txt"
		else
			printf '"%s" ""\n"%s" "%s"\n' "$admin" "$up_user" "$up_password" >"$dir/userlist.txt"
		fi
	)
	if [ ${#runas[@]} -gt 0 ]; then
		chown -R "${runas[1]}:" "$dir"
	fi
	if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		rm -f "$pidfile"
	fi
	if ! "$bin" -d "${runas[@]}" "$dir/pgbouncer.ini" 8>&-; then
		echo "pgbouncer did not start; see $dir/pgbouncer.log" >&2
		exit 1
	fi
	for _ in $(seq 1 50); do
		if answers; then
			started=1
			return
		fi
		sleep 0.2
	done
	echo "pgbouncer did not start on 127.0.0.1:$port; see $dir/pgbouncer.log" >&2
	exit 1
}

stop() {
	if [ -f "$pidfile" ]; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
		for _ in $(seq 1 25); do
			kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break
			sleep 0.2
		done
		rm -f "$pidfile"
	fi
}

# release stops PgBouncer when a run started it (the marker file) and no
# other run still uses it; the last of them to finish stops it.
release() {
	flock 8 # no run is starting or joining meanwhile
	flock -u 9
	[ -f "$dir/started-by-run" ] || return 0
	if flock -n -x 9; then
		rm -f "$dir/started-by-run"
		stop
	elif [ "$started" = 1 ]; then
		echo "PgBouncer on 127.0.0.1:$port stays up for another run using it, which stops it" >&2
	fi
}

case "${1:-}" in
start | run)
	mkdir -p "$dir"
	# Two make tests at once: one starts it, the other finds it answering
	# and joins before any run can stop it.
	exec 8>"$dir/start.lock"
	flock 8
	start
	if [ "$1" = start ]; then
		# Started by hand: no run stops it.
		rm -f "$dir/started-by-run"
		exit 0
	fi
	shift
	[ $# -gt 0 ] || { echo "usage: $0 run CMD..." >&2; exit 2; }
	# Each run holds users.lock shared while CMD runs; PgBouncer is stopped
	# by the last run to finish if a run started it, never if it was
	# started otherwise (start, or another user).
	exec 9>"$dir/users.lock"
	flock -s 9
	if [ "$started" = 1 ]; then
		: >"$dir/started-by-run"
	fi
	flock -u 8
	trap release EXIT
	trap 'exit 130' INT TERM
	# Without the locks' descriptors: what CMD leaves behind must not hold them.
	"$@" 8>&- 9>&-
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 start|stop|run CMD..." >&2
	exit 2
	;;
esac
