#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond Go, on Debian:
# iproute2 (network namespaces for the end-to-end counting tests), vnstat
# (the import test reads a database made by the real vnStat) and Chromium
# (the dashboard's and the HTML report's browser tests).
# Safe to run again; does nothing when everything is present.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v vnstat >/dev/null 2>&1 || need+=(vnstat) # the vnStat import test builds a real vnStat database
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test prerequisites missing (${need[*]}); run as root or install them" >&2
		exit 1
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
bash "$(dirname "$0")/install-chromium.sh"
