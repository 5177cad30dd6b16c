#!/bin/sh
# After removal: forget the unit. "dpkg --purge" also deletes the service's
# data (/var/lib/packetbuddy, which systemd keeps in /var/lib/private for
# its dynamic user); a plain removal and rpm -e keep it.
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || true
fi
if [ "${1:-}" = purge ]; then
	rm -rf /var/lib/private/packetbuddy /var/lib/packetbuddy
fi
exit 0
