#!/bin/sh
# Before removal (not before an upgrade): stop and disable the service.
# deb passes "remove" (or "upgrade"), rpm the number of versions left (0 on
# erase).
set -e
case "${1:-}" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now packetbuddy.service >/dev/null 2>&1 || true
fi
exit 0
