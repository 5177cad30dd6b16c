#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests
# (internal/web/e2e). Safe to run again; does nothing when a Chromium is
# already on PATH. Under CI=true the browser tests fail without it.
set -euo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable; do
	if command -v "$b" >/dev/null 2>&1; then
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "chromium is missing; run this script as root, or: sudo apt-get install chromium" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-dejavu-core: a font with the glyphs the page uses (arrows, ₹, …),
# so screenshots do not show boxes on a minimal system.
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
