// Package version holds the build's version, stamped in by the linker:
//
//	go build -ldflags "-X github.com/packetbuddy/pb/internal/version.Version=1.2.3 -X github.com/packetbuddy/pb/internal/version.Date=2026-11-25"
//
// (-ldflags -X is needed because builds here set -buildvcs=false, so the
// module's build info carries no VCS data.)
package version

import "runtime/debug"

// Version and Date of this build; "dev" and "" for a plain `go build`.
var (
	Version = "dev"
	Date    = ""
)

// String is the version with the module's version as a fallback when the
// binary was installed with `go install module@version`.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
