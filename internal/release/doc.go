// Package release makes the files a release carries besides the binaries
// and archives: the third-party licence notices, and the Homebrew formula
// and Scoop manifest filled in with the archives' checksums.
// scripts/release.sh runs them through cmd/pbpkg.
package release
