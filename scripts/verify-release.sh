#!/usr/bin/env bash
# Check a release folder made by scripts/release.sh:
#
#   scripts/verify-release.sh dist/ [VERSION]
#
#   1. every archive (linux, darwin, windows x amd64, arm64) is there, with
#      LICENSE, THIRD_PARTY_NOTICES and the man page; the deb and rpm for
#      linux amd64 and arm64, and the Homebrew and Scoop manifests;
#   2. SHA256SUMS lists exactly those files and "sha256sum -c" passes; each
#      manifest names every archive of its systems with the archive's sum;
#   3. SHA256SUMS.sig verifies with pbsign, and with openssl when present
#      (the recipe docs/install.md gives users);
#   4. the binary for this machine runs and "pb version" prints VERSION;
#      every other binary's Go build info (go version -m) says its OS,
#      architecture, CGO_ENABLED=0 and -trimpath, and the binary carries the
#      VERSION stamp and the release public key (set with -ldflags -X);
#   5. the deb holds the linux binary of its archive, byte for byte, the
#      systemd unit, the man page and the licences (dpkg-deb); the rpm lists
#      the same files (rpm -qpl, where rpm is installed).
#
# The public key is PB_RELEASE_PUBKEY (a .pub file or the base64 key), else
# the folder's pb-release.pub. VERSION defaults to the one in the archive
# names. Exit status 0 only if everything holds.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "verify-release: FAIL: $*" >&2; exit 1; }
ok() { echo "  ok  $*"; }

DIST=${1:-dist}
DIST=${DIST%/}
[ -d "$DIST" ] || die "no folder $DIST"
DIST=$(cd "$DIST" && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
GO=${GO:-go}

VERSION=${2:-}
if [ -z "$VERSION" ]; then
	first=$(cd "$DIST" && ls pb_*_linux_amd64.tar.gz 2>/dev/null | head -1) || true
	[ -n "$first" ] || die "no pb_*_linux_amd64.tar.gz in $DIST to take the version from"
	VERSION=${first#pb_}
	VERSION=${VERSION%_linux_amd64.tar.gz}
fi
VERSION=${VERSION#v}
echo "verify release $VERSION in $DIST"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Every archive.
archives=()
for t in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
	os=${t%/*} arch=${t#*/} ext=tar.gz
	[ "$os" = windows ] && ext=zip
	a="pb_${VERSION}_${os}_${arch}.$ext"
	[ -s "$DIST/$a" ] || die "missing $a"
	archives+=("$a")
done
packages=()
for arch in amd64 arm64; do
	for p in deb rpm; do
		f="pb_${VERSION}_linux_${arch}.$p"
		[ -s "$DIST/$f" ] || die "missing $f"
		packages+=("$f")
	done
done
for f in pb.rb pb.json; do [ -s "$DIST/$f" ] || die "missing $f"; done
ok "all ${#archives[@]} archives, ${#packages[@]} packages and the Homebrew and Scoop manifests present"

# 2. Checksums: exactly the archives, all matching.
[ -s "$DIST/SHA256SUMS" ] || die "missing SHA256SUMS"
listed=$(awk '{sub(/^\*/, "", $2); print $2}' "$DIST/SHA256SUMS" | LC_ALL=C sort)
expected=$(printf '%s\n' "${archives[@]}" "${packages[@]}" pb.rb pb.json | LC_ALL=C sort)
[ "$listed" = "$expected" ] || die "SHA256SUMS lists $(echo $listed), want $(echo $expected)"
if command -v sha256sum >/dev/null; then
	(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || die "sha256sum -c SHA256SUMS"
else
	(cd "$DIST" && shasum -a 256 -c SHA256SUMS >/dev/null) || die "shasum -c SHA256SUMS"
fi
ok "SHA256SUMS matches every file"
for a in "${archives[@]}"; do
	m=pb.rb
	case $a in *windows*) m=pb.json ;; esac
	sum=$(awk -v f="$a" '{n=$2; sub(/^\*/, "", n)} n == f {print $1}' "$DIST/SHA256SUMS")
	grep -qF "/v$VERSION/$a" "$DIST/$m" || die "$m does not name $a"
	grep -qF "$sum" "$DIST/$m" || die "$m lacks the sha256 of $a"
done
ok "pb.rb and pb.json carry every archive's URL and sha256"

# 3. Signature.
[ -s "$DIST/SHA256SUMS.sig" ] || die "missing SHA256SUMS.sig"
pub=${PB_RELEASE_PUBKEY:-$DIST/pb-release.pub}
[ -n "${PB_RELEASE_PUBKEY:-}" ] || [ -s "$pub" ] || die "no public key: set PB_RELEASE_PUBKEY or put pb-release.pub in $DIST"
$GO build -trimpath -o "$work/pbsign" ./cmd/pbsign
"$work/pbsign" verify -pub "$pub" "$DIST/SHA256SUMS" "$DIST/SHA256SUMS.sig" >/dev/null || die "SHA256SUMS.sig does not verify"
ok "SHA256SUMS.sig verifies (pbsign)"
if [ -f "$pub" ]; then key=$(grep -v '^#' "$pub" | grep -m1 .); else key=$pub; fi
if command -v openssl >/dev/null; then
	"$work/pbsign" pem -pub "$pub" >"$work/key.pem"
	base64 -d <"$DIST/SHA256SUMS.sig" >"$work/sig.bin" 2>/dev/null || base64 -D <"$DIST/SHA256SUMS.sig" >"$work/sig.bin"
	openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in "$DIST/SHA256SUMS" -sigfile "$work/sig.bin" >/dev/null ||
		die "SHA256SUMS.sig does not verify with openssl"
	ok "SHA256SUMS.sig verifies (openssl pkeyutl)"
fi

# 4. Binaries.
hostos=$($GO env GOHOSTOS) hostarch=$($GO env GOHOSTARCH)
for a in "${archives[@]}"; do
	rest=${a#pb_"$VERSION"_}
	rest=${rest%.tar.gz}
	rest=${rest%.zip}
	os=${rest%_*} arch=${rest#*_}
	d="$work/$os-$arch"
	mkdir -p "$d"
	bin=pb
	if [ "$os" = windows ]; then
		bin=pb.exe
		unzip -q "$DIST/$a" -d "$d"
	else
		tar -xzf "$DIST/$a" -C "$d"
	fi
	[ -f "$d/$bin" ] || die "$a has no $bin"
	for f in LICENSE THIRD_PARTY_NOTICES pb.1; do [ -s "$d/$f" ] || die "$a has no $f"; done
	info=$($GO version -m "$d/$bin") || die "$a: go version -m cannot read $bin"
	for want in "GOOS=$os" "GOARCH=$arch" "CGO_ENABLED=0" "-trimpath=true" "path	github.com/packetbuddy/pb/cmd/pb"; do
		grep -qF -- "$want" <<<"$info" || die "$a: the build info lacks $want"
	done
	# -trimpath leaves -ldflags out of the build info, so look for the
	# stamped strings themselves: the version and the release key.
	grep -qaF -- "$VERSION" "$d/$bin" || die "$a: $bin does not contain the version $VERSION"
	grep -qaF -- "$key" "$d/$bin" || die "$a: $bin does not carry the release public key"
	if [ "$os/$arch" = "$hostos/$hostarch" ]; then
		out=$("$d/$bin" version) || die "$a: pb version failed"
		grep -qF -- "$VERSION" <<<"$out" || die "$a: pb version says \"$out\", not $VERSION"
		ok "$a: runs here, pb version: $out"
	else
		ok "$a: build info says $os/$arch, static, version $VERSION"
	fi
done

# 5. Packages.
want_files="/usr/bin/pb /usr/lib/systemd/system/packetbuddy.service /usr/share/man/man1/pb.1.gz /usr/share/doc/pb/THIRD_PARTY_NOTICES"
for arch in amd64 arm64; do
	deb="pb_${VERSION}_linux_${arch}.deb" rpm="pb_${VERSION}_linux_${arch}.rpm"
	if command -v dpkg-deb >/dev/null; then
		[ "$(dpkg-deb -f "$DIST/$deb" Architecture)" = "$arch" ] || die "$deb: Architecture is not $arch"
		list=$(dpkg-deb -c "$DIST/$deb" | awk '{print $6}' | sed 's|^\./|/|')
		for f in $want_files /usr/share/doc/pb/copyright; do
			grep -qx -- "$f" <<<"$list" || die "$deb lacks $f"
		done
		mkdir -p "$work/deb-$arch"
		dpkg-deb -x "$DIST/$deb" "$work/deb-$arch"
		cmp -s "$work/deb-$arch/usr/bin/pb" "$work/linux-$arch/pb" || die "$deb: /usr/bin/pb is not the binary of pb_${VERSION}_linux_${arch}.tar.gz"
		gzip -dc "$work/deb-$arch/usr/share/man/man1/pb.1.gz" | cmp -s - docs/pb.1 || die "$deb: the man page is not docs/pb.1"
		ok "$deb: the archive's binary, the unit, the man page and the licences"
	else
		echo "  --  $deb not inspected: no dpkg-deb here"
	fi
	if command -v rpm >/dev/null; then
		list=$(rpm -qpl "$DIST/$rpm" 2>/dev/null) || die "rpm -qpl $rpm failed"
		for f in $want_files /usr/share/doc/pb/LICENSE; do
			grep -qx -- "$f" <<<"$list" || die "$rpm lacks $f"
		done
		ok "$rpm: rpm -qpl lists the binary, the unit, the man page and the licences"
	else
		echo "  --  $rpm not inspected: no rpm here"
	fi
done

if [ -e "$DIST/UNSIGNED-FOR-DISTRIBUTION" ]; then
	echo "verify-release: WARNING: signed with a throwaway key: UNSIGNED FOR DISTRIBUTION" >&2
fi
echo "verify-release: release $VERSION is complete and verified"
