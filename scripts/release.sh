#!/usr/bin/env bash
# Build a PacketBuddy release into dist/:
#
#   scripts/release.sh VERSION          (make release VERSION=x.y.z)
#
# For linux, darwin and windows x amd64 and arm64: a static (CGO_ENABLED=0),
# -trimpath pb stamped with the version, the date and the release public key,
# packed as pb_<version>_<os>_<arch>.tar.gz (.zip for windows) with LICENSE,
# THIRD_PARTY_NOTICES, README.md, docs/install.md and the man page pb.1.
# For linux amd64 and arm64 also a deb and an rpm (nfpm, packaging/nfpm.yaml:
# /usr/bin/pb, the systemd unit, the man page, the licences), as
# pb_<version>_linux_<arch>.deb/.rpm; and the Homebrew formula (pb.rb) and
# Scoop manifest (pb.json) with the archives' checksums. Then SHA256SUMS over
# all of those, signed with ed25519 into SHA256SUMS.sig, and the public key
# as pb-release.pub (base64) and pb-release.pem (for openssl).
#
# Environment:
#   PB_SIGNING_KEY        private key file (from "pbsign keygen"). Unset: a
#                         throwaway key is made for this run and the release
#                         is marked UNSIGNED FOR DISTRIBUTION.
#   PB_RELEASE_TOOLCHAIN  Go toolchain for the build (default go1.27.3, which
#                         fixes the stdlib vulnerabilities of go1.26.8; see
#                         stack.md section 11). "local" uses the installed go.
#   SOURCE_DATE_EPOCH     build date (default: now); also the archives' mtime,
#                         so the same commit and date give the same archives.
#   DIST                  output folder (default dist)
#   JOBS                  parallel builds (default: number of CPUs)
#   NFPM_VERSION          nfpm release that builds the packages (default
#                         v2.48.0), built from the Go module proxy
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "release: $*" >&2; exit 1; }

VERSION=${1:-}
[ -n "$VERSION" ] || die "usage: scripts/release.sh VERSION (for example 1.2.3)"
VERSION=${VERSION#v}
# Semantic version, so "pb update" can order releases.
[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
	die "VERSION $VERSION is not MAJOR.MINOR.PATCH[-PRERELEASE]"

DIST=${DIST:-dist}
TARGETS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
PKG=github.com/packetbuddy/pb
export CGO_ENABLED=0
export GOTOOLCHAIN=${PB_RELEASE_TOOLCHAIN:-go1.27.3}
GO=${GO:-go}
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
EPOCH=${SOURCE_DATE_EPOCH:-$(date -u +%s)}
DATE=$(date -u -d "@$EPOCH" +%Y-%m-%d 2>/dev/null || date -u -r "$EPOCH" +%Y-%m-%d)
NFPM_VERSION=${NFPM_VERSION:-v2.48.0}
command -v zip >/dev/null || die "zip is needed for the windows archives"
# The man page comes from the repository (pb man writes it); a release
# without one is refused rather than shipped short.
[ -s docs/pb.1 ] || die "docs/pb.1 (the man page) is missing"
for f in LICENSE THIRD_PARTY_NOTICES; do [ -s "$f" ] || die "$f is missing"; done

start=$(date +%s)
echo "release $VERSION ($DATE) with $($GO version)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pbsign for this machine, to sign (and to make a throwaway key).
GOOS= GOARCH= $GO build -trimpath -o "$work/pbsign" ./cmd/pbsign

unsigned=
key=${PB_SIGNING_KEY:-}
if [ -z "$key" ]; then
	unsigned=1
	key="$work/throwaway.key"
	"$work/pbsign" keygen -o "$key" >/dev/null
	cat >&2 <<-'EOF'
	################################################################
	#  PB_SIGNING_KEY is not set: signing with a THROWAWAY key.    #
	#  This release is UNSIGNED FOR DISTRIBUTION. Its binaries     #
	#  trust only the throwaway key (written as pb-release.pub),   #
	#  so "pb update" from them accepts no real release.           #
	################################################################
	EOF
else
	[ -r "$key" ] || die "PB_SIGNING_KEY=$key is not a readable file"
fi
pub=$("$work/pbsign" pubkey -key "$key")

mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
rm -f "$DIST"/pb_*.tar.gz "$DIST"/pb_*.zip "$DIST"/pb_*.deb "$DIST"/pb_*.rpm "$DIST"/pb.rb "$DIST"/pb.json "$DIST"/SHA256SUMS "$DIST"/SHA256SUMS.sig \
	"$DIST"/pb-release.pub "$DIST"/pb-release.pem "$DIST"/UNSIGNED-FOR-DISTRIBUTION

LDFLAGS="-s -w -X $PKG/internal/version.Version=$VERSION -X $PKG/internal/version.Date=$DATE -X $PKG/internal/update.PublicKey=$pub"

# Everything an archive carries besides pb.
extras=()
for f in LICENSE THIRD_PARTY_NOTICES README.md docs/install.md docs/pb.1; do [ -f "$f" ] && extras+=("$f"); done

# build OS ARCH: one binary and its archive.
build() {
	local os=$1 arch=$2 ext="" name dir
	[ "$os" = windows ] && ext=.exe
	name="pb_${VERSION}_${os}_${arch}"
	dir="$work/$name"
	mkdir -p "$dir"
	GOOS=$os GOARCH=$arch $GO build -trimpath -ldflags "$LDFLAGS" -o "$dir/pb$ext" ./cmd/pb
	for f in "${extras[@]}"; do cp "$f" "$dir/$(basename "$f")"; done
	# Same mtime and owner on every file: archives depend on content only.
	find "$dir" -exec touch -h -d "@$EPOCH" {} + 2>/dev/null || true
	if [ "$os" = windows ]; then
		(cd "$dir" && zip -q -X -9 "$DIST/$name.zip" $(ls | LC_ALL=C sort))
	elif tar --version 2>/dev/null | grep -q GNU; then
		# Plain names ("pb", not "./pb"), so "tar -xzf ARCHIVE pb" works.
		tar -C "$dir" --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" -cf - $(cd "$dir" && ls | LC_ALL=C sort) |
			gzip -n -9 >"$DIST/$name.tar.gz"
	else
		tar -C "$dir" -cf - $(cd "$dir" && ls | LC_ALL=C sort) | gzip -n -9 >"$DIST/$name.tar.gz"
	fi
	echo "  built $name ($(wc -c <"$dir/pb$ext" | tr -d ' ') bytes)"
	touch "$work/ok-$os-$arch"
}

# Builds run $JOBS at a time: each links a large SQLite package that one
# compiler process handles alone, so parallel targets keep every core busy.
# (Success is read from marker files: "wait PID" cannot be trusted once
# "jobs" has reported a job done.)
for t in $TARGETS; do
	build "${t%/*}" "${t#*/}" &
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait || true
for t in $TARGETS; do
	[ -e "$work/ok-${t%/*}-${t#*/}" ] || die "the $t build failed"
done

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

# deb and rpm for Linux, from the binaries just built. nfpm is a Go program,
# built here from the module proxy at a pinned version (no cgo).
GOOS= GOARCH= GOBIN="$work" $GO install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
GOOS= GOARCH= $GO build -trimpath -o "$work/pbpkg" ./cmd/pbpkg
"$work/pbpkg" unit -o "$work/packetbuddy.service"
gzip -n -9 -c docs/pb.1 >"$work/pb.1.gz"
nfpm_config=$(pwd)/packaging/nfpm.yaml
for arch in amd64 arm64; do
	stage="$work/stage-$arch"
	mkdir -p "$stage"
	cp "$work/pb_${VERSION}_linux_${arch}/pb" "$work/packetbuddy.service" "$work/pb.1.gz" \
		LICENSE THIRD_PARTY_NOTICES README.md packaging/*.sh "$stage/"
	for p in deb rpm; do
		(cd "$stage" && PB_VERSION=$VERSION PB_ARCH=$arch SOURCE_DATE_EPOCH=$EPOCH \
			"$work/nfpm" pkg -f "$nfpm_config" -p "$p" -t "$DIST/pb_${VERSION}_linux_${arch}.$p" >/dev/null) ||
			die "the linux/$arch $p failed"
		echo "  packaged pb_${VERSION}_linux_${arch}.$p"
	done
done

# Homebrew and Scoop, with the archives' checksums filled in.
(cd "$DIST" && sha256 pb_*.tar.gz pb_*.zip) >"$work/archives.sha256"
"$work/pbpkg" manifests -version "$VERSION" -sums "$work/archives.sha256" -o "$DIST"

(cd "$DIST" && sha256 pb_*.tar.gz pb_*.zip pb_*.deb pb_*.rpm pb.rb pb.json >SHA256SUMS)
"$work/pbsign" sign -key "$key" "$DIST/SHA256SUMS"
printf '%s\n' "$pub" >"$DIST/pb-release.pub"
"$work/pbsign" pem -pub "$pub" >"$DIST/pb-release.pem"
"$work/pbsign" verify -pub "$pub" "$DIST/SHA256SUMS" >/dev/null

if [ -n "$unsigned" ]; then
	cat >"$DIST/UNSIGNED-FOR-DISTRIBUTION" <<-EOF
	This release ($VERSION) was signed with a throwaway key made for one run
	(PB_SIGNING_KEY was not set). Do not publish it: its binaries trust only
	that key, so "pb update" would refuse every real release.
	EOF
	echo "release: UNSIGNED FOR DISTRIBUTION (throwaway key, see $DIST/UNSIGNED-FOR-DISTRIBUTION)" >&2
fi
echo "release $VERSION in $DIST/ in $(($(date +%s) - start)) s:"
(cd "$DIST" && ls -l pb_* pb.rb pb.json SHA256SUMS SHA256SUMS.sig pb-release.pub pb-release.pem)
