#!/bin/sh
# Lays out the files of PacketBuddy's container image under OUT, for both
# Containerfiles (the Go build stage runs it, and "make image" runs it on a
# pb built on the host):
#
#   scripts/image-rootfs.sh OUT PB_BINARY
#
# OUT/rootfs holds the files owned by root, OUT/owned what belongs to the
# user pb; the Containerfiles copy each with its owner (a COPY --chown of a
# directory's contents does not chown the directory it lands in):
#
#   /usr/bin/pb                          the static binary
#   /etc/ssl/certs/ca-certificates.crt   TLS roots for sync and webhooks
#                                        (CA_BUNDLE, default the system's)
#   /etc/passwd, /etc/group              the unprivileged user pb (65532)
#   /usr/share/doc/pb/                   LICENSE, THIRD_PARTY_NOTICES
#   /data                                the data directory, mode 0700, pb's
#
# POSIX sh: the Go build image's /bin/sh runs it too.
set -eu
[ $# -eq 2 ] || { echo "usage: scripts/image-rootfs.sh OUT PB_BINARY" >&2; exit 2; }
out=$1
bin=$2
rootfs=$out/rootfs
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
cd "$(dirname "$0")/.."
[ -f "$ca" ] || { echo "image-rootfs: no CA bundle at $ca (Debian package ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/ssl/certs" "$rootfs/usr/share/doc/pb" "$out/owned/data"
cp "$bin" "$rootfs/usr/bin/pb"
chmod 0755 "$rootfs/usr/bin/pb"
cp "$ca" "$rootfs/etc/ssl/certs/ca-certificates.crt"
cp LICENSE THIRD_PARTY_NOTICES "$rootfs/usr/share/doc/pb/"
printf 'root:x:0:0:root:/:/nonexistent\npb:x:65532:65532:PacketBuddy:/data:/nonexistent\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\npb:x:65532:\n' >"$rootfs/etc/group"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/ssl/certs/ca-certificates.crt" "$rootfs/usr/share/doc/pb/"*
chmod 0700 "$out/owned/data"
