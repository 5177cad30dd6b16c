#!/bin/sh
# After install or upgrade: tell a running systemd about the unit. Nothing
# is enabled or started (systemctl enable --now packetbuddy does), and a
# machine without systemd (a container, a chroot) is fine.
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || true
	# An upgrade restarts a running daemon on the new binary.
	if systemctl is-active --quiet packetbuddy.service; then
		systemctl try-restart packetbuddy.service || true
	fi
fi
exit 0
