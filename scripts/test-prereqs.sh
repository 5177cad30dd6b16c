#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond Go, on Debian:
# iproute2 (network namespaces for the end-to-end counting tests), vnstat
# (the import test reads a database made by the real vnStat), Chromium
# (the dashboard's and the HTML report's browser tests) and PgBouncer (the
# fleet-sync tests run a second time through it, in transaction mode).
# Safe to run again; does nothing when everything is present.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v zip >/dev/null 2>&1 || need+=(zip) # release archives (CI builds one)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v rpm >/dev/null 2>&1 || need+=(rpm) # verify-release lists the rpm with rpm -qpl
command -v podman >/dev/null 2>&1 || need+=(podman) # the container image test (deploy/)
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || need+=(runc)
command -v vnstat >/dev/null 2>&1 || need+=(vnstat) # the vnStat import test builds a real vnStat database
command -v zsh >/dev/null 2>&1 || need+=(zsh)   # the zsh completion script is checked with zsh -n
command -v fish >/dev/null 2>&1 || need+=(fish) # the fish completion script is parsed and exercised
command -v groff >/dev/null 2>&1 || need+=(groff-base) # the man page is checked with groff -ww
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test prerequisites missing (${need[*]}); run as root or install them" >&2
		exit 1
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
bash "$(dirname "$0")/install-chromium.sh"
# The fleet-sync tests talk to PostgreSQL at 127.0.0.1:5432 (database test,
# trust auth; PB_TEST_DATABASE_URL points elsewhere). Start the local
# cluster if it is installed and not answering.
if [ -z "${PB_TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
	if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
		for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	fi
fi
# PgBouncer in front of it is started and stopped by make test
# (scripts/pgbouncer-test.sh run): one started here would outlive the tests.
