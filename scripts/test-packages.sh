#!/usr/bin/env bash
# Installs the release's deb on this machine and removes it again:
#
#   scripts/test-packages.sh dist/ [VERSION]
#
# dpkg -i, then pb version, the man page and the unit in place, then
# dpkg -r (files gone, config kept nowhere) and dpkg --purge (no trace in
# dpkg's database). Needs root and dpkg; under CI=true their absence is a
# failure, elsewhere the script says so and exits 0. Refuses to run when a
# package named pb is already installed, and removes its own on any exit.
# The postinst needs no systemd (none runs here) and starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "test-packages: FAIL: $*" >&2; exit 1; }
ok() { echo "  ok  $*"; }

DIST=${1:-dist}
DIST=${DIST%/}
why=
[ "$(id -u)" = 0 ] || why="needs root to install a package"
command -v dpkg >/dev/null || why="needs dpkg"
if [ -n "$why" ]; then
	[ "${CI:-}" = true ] && die "$why"
	echo "test-packages: skipped: $why (runs under CI=true)"
	exit 0
fi
VERSION=${2:-}
if [ -z "$VERSION" ]; then
	first=$(cd "$DIST" && ls pb_*_linux_amd64.tar.gz 2>/dev/null | head -1) || true
	[ -n "$first" ] || die "no pb_*_linux_amd64.tar.gz in $DIST to take the version from"
	VERSION=${first#pb_}
	VERSION=${VERSION%_linux_amd64.tar.gz}
fi
arch=$(dpkg --print-architecture)
deb="$DIST/pb_${VERSION}_linux_${arch}.deb"
[ -s "$deb" ] || die "missing $deb"
if dpkg-query -W -f='${Status}' pb 2>/dev/null | grep -q 'installed'; then
	die "a package named pb is already installed here; not touching it"
fi
trap 'dpkg --purge pb >/dev/null 2>&1 || true' EXIT
files="/usr/bin/pb /usr/lib/systemd/system/packetbuddy.service /usr/share/man/man1/pb.1.gz /usr/share/doc/pb/copyright /usr/share/doc/pb/THIRD_PARTY_NOTICES"

dpkg -i "$deb" >/dev/null || die "dpkg -i $deb"
out=$(/usr/bin/pb version) || die "pb version failed"
grep -qF -- "$VERSION" <<<"$out" || die "pb version says \"$out\", not $VERSION"
ok "dpkg -i: pb version: $out"
for f in $files; do [ -s "$f" ] || die "dpkg -i did not install $f"; done
grep -qx 'ExecStart=/usr/bin/pb serve --data-dir /var/lib/packetbuddy' /usr/lib/systemd/system/packetbuddy.service ||
	die "the installed unit does not run /usr/bin/pb"
gzip -dc /usr/share/man/man1/pb.1.gz | cmp -s - docs/pb.1 || die "the installed man page is not docs/pb.1"
if command -v man >/dev/null; then
	man -l /usr/share/man/man1/pb.1.gz >/dev/null 2>&1 || die "man cannot read the installed page"
fi
ok "the binary, the unit, the man page and the licences are in place"

dpkg -r pb >/dev/null || die "dpkg -r pb"
for f in $files; do [ ! -e "$f" ] || die "dpkg -r left $f"; done
ok "dpkg -r removed every file"
dpkg --purge pb >/dev/null || die "dpkg --purge pb"
! dpkg-query -W pb >/dev/null 2>&1 || die "dpkg still knows pb after --purge"
[ ! -e /usr/share/doc/pb ] || die "dpkg --purge left /usr/share/doc/pb"
ok "dpkg --purge: no trace left"
echo "test-packages: the deb of $VERSION installs and removes cleanly"
