// Package update replaces the pb binary with a newer signed release.
//
// The flow: read the latest release (GitHub's releases API JSON, or any
// URL serving the same shape), refuse anything not newer than this build,
// download SHA256SUMS and its ed25519 signature and check it against the
// release key built into pb, download the archive for this OS and
// architecture (size-bounded) and check its SHA-256, extract pb, check the
// new binary runs and reports the expected version (Probe), and swap it
// in atomically, keeping the previous binary as pb.old for Rollback.
// Nothing here runs on its own: the user runs "pb update".
package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultURL is where pb looks for the latest release.
const DefaultURL = "https://api.github.com/repos/packetbuddy/pb/releases/latest"

// Size bounds of the downloads. The archive is also bounded by the size
// the release lists for it.
const (
	maxReleaseJSON = 4 << 20
	maxSums        = 64 << 10
	maxSig         = 4 << 10
	// DefaultMaxArchive bounds an archive download (pb archives are ~6 MB).
	DefaultMaxArchive = 200 << 20
)

// Errors a caller may want to tell apart.
var (
	// ErrUpToDate: the latest release is this version.
	ErrUpToDate = errors.New("already up to date")
	// ErrDowngrade: the latest release is older than this build.
	ErrDowngrade = errors.New("the latest release is older than this pb; not downgrading")
	// ErrNoAsset: the release has no archive for this OS and architecture.
	ErrNoAsset = errors.New("the release has no archive for this system")
)

// Updater checks for and applies updates. Client, Current and Executable
// are required.
type Updater struct {
	// Client does every request; give it timeouts (tests pass an
	// httptest server's client).
	Client *http.Client
	// URL of the latest-release JSON; default DefaultURL.
	URL string
	// Key verifies SHA256SUMS; default the built-in PublicKey.
	Key ed25519.PublicKey
	// Current is this build's version.
	Current string
	// GOOS and GOARCH pick the archive; default this build's.
	GOOS, GOARCH string
	// Executable is the binary to replace (resolved, not a symlink).
	Executable string
	// MaxArchive bounds the archive download; default DefaultMaxArchive.
	MaxArchive int64
	// UserAgent is sent with every request (GitHub requires one).
	UserAgent string
	// Probe, when set, runs the extracted binary before it replaces the
	// current one and returns its "version" output, which must contain the
	// release's version: a binary that does not start is never installed.
	Probe func(ctx context.Context, path string) (string, error)
}

// Release is the latest release and what it means for this build.
type Release struct {
	Version string // without the leading "v"
	Tag     string
	// Cmp is the release compared with the current version: 1 newer,
	// 0 same, -1 older.
	Cmp int
	// Archive, Sums and Sig are the assets pb uses.
	Archive, Sums, Sig Asset
}

// Asset is one downloadable file of a release.
type Asset struct {
	Name string `json:"name"`
	URL  string `json:"browser_download_url"`
	Size int64  `json:"size"`
}

// githubRelease is the part of GitHub's release JSON pb reads.
type githubRelease struct {
	TagName    string  `json:"tag_name"`
	Draft      bool    `json:"draft"`
	Prerelease bool    `json:"prerelease"`
	Assets     []Asset `json:"assets"`
}

func (u *Updater) goos() string {
	if u.GOOS != "" {
		return u.GOOS
	}
	return runtime.GOOS
}

func (u *Updater) goarch() string {
	if u.GOARCH != "" {
		return u.GOARCH
	}
	return runtime.GOARCH
}

func (u *Updater) key() (ed25519.PublicKey, error) {
	if u.Key != nil {
		return u.Key, nil
	}
	if PublicKey == "" {
		return nil, ErrNoKey
	}
	k, err := ParsePublicKey([]byte(PublicKey))
	if err != nil {
		return nil, fmt.Errorf("built-in release key: %w", err)
	}
	return k, nil
}

// ArchiveName is the release archive of version for goos/goarch, as
// scripts/release.sh names it.
func ArchiveName(version, goos, goarch string) string {
	ext := "tar.gz"
	if goos == "windows" {
		ext = "zip"
	}
	return fmt.Sprintf("pb_%s_%s_%s.%s", strings.TrimPrefix(version, "v"), goos, goarch, ext)
}

// BinaryName is pb's file name in the archives for goos.
func BinaryName(goos string) string {
	if goos == "windows" {
		return "pb.exe"
	}
	return "pb"
}

// Check reads the latest release and compares it with the current
// version. It downloads nothing but the release JSON.
func (u *Updater) Check(ctx context.Context) (*Release, error) {
	cur, err := parseSemver(u.Current)
	if err != nil {
		return nil, fmt.Errorf("this pb's version %q is not a release version (a development build?): %w", u.Current, err)
	}
	url := u.URL
	if url == "" {
		url = DefaultURL
	}
	body, err := u.get(ctx, url, maxReleaseJSON, -1)
	if err != nil {
		return nil, fmt.Errorf("read the latest release: %w", err)
	}
	var gr githubRelease
	if err := json.Unmarshal(body, &gr); err != nil {
		return nil, fmt.Errorf("read the latest release from %s: %w", url, err)
	}
	if gr.Draft || gr.Prerelease {
		return nil, fmt.Errorf("the latest release %s is a draft or prerelease; not installing it", gr.TagName)
	}
	v, err := parseSemver(gr.TagName)
	if err != nil {
		return nil, fmt.Errorf("the latest release: %w", err)
	}
	rel := &Release{Version: strings.TrimPrefix(gr.TagName, "v"), Tag: gr.TagName, Cmp: v.compare(cur)}
	want := ArchiveName(rel.Version, u.goos(), u.goarch())
	for _, a := range gr.Assets {
		switch a.Name {
		case want:
			rel.Archive = a
		case "SHA256SUMS":
			rel.Sums = a
		case "SHA256SUMS.sig":
			rel.Sig = a
		}
	}
	if rel.Cmp > 0 {
		switch {
		case rel.Archive.URL == "":
			return rel, fmt.Errorf("%w: %s has no %s", ErrNoAsset, rel.Tag, want)
		case rel.Sums.URL == "" || rel.Sig.URL == "":
			return rel, fmt.Errorf("release %s has no SHA256SUMS and SHA256SUMS.sig; not installing an unverifiable release", rel.Tag)
		}
	}
	return rel, nil
}

// Apply installs rel: verify, download, check, probe, swap. The current
// binary is untouched on any error.
func (u *Updater) Apply(ctx context.Context, rel *Release) error {
	switch {
	case rel.Cmp == 0:
		return ErrUpToDate
	case rel.Cmp < 0:
		return fmt.Errorf("%w (latest %s, this pb %s)", ErrDowngrade, rel.Version, u.Current)
	}
	key, err := u.key()
	if err != nil {
		return err
	}
	if u.Executable == "" {
		return errors.New("update: no executable to replace")
	}
	dir := filepath.Dir(u.Executable)
	// Fail before downloading anything if pb's folder is not writable.
	probeFile, err := os.CreateTemp(dir, ".pb-update-check-*")
	if err != nil {
		return fmt.Errorf("cannot write to %s, where pb is: %w (run pb update as the user that owns pb, e.g. with sudo)", dir, err)
	}
	probeFile.Close()
	os.Remove(probeFile.Name())

	// The signature first: nothing else is trusted before it verifies.
	sums, err := u.get(ctx, rel.Sums.URL, maxSums, -1)
	if err != nil {
		return fmt.Errorf("download SHA256SUMS: %w", err)
	}
	sig, err := u.get(ctx, rel.Sig.URL, maxSig, -1)
	if err != nil {
		return fmt.Errorf("download SHA256SUMS.sig: %w", err)
	}
	if err := Verify(key, sums, sig); err != nil {
		return err
	}
	table, err := ParseSums(sums)
	if err != nil {
		return err
	}
	want, ok := table[rel.Archive.Name]
	if !ok {
		return fmt.Errorf("%w: SHA256SUMS does not list %s", ErrChecksum, rel.Archive.Name)
	}

	archive, err := os.CreateTemp(dir, ".pb-update-*-"+rel.Archive.Name)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer os.Remove(archive.Name())
	h := sha256.New()
	if err := u.download(ctx, rel.Archive, io.MultiWriter(archive, h)); err != nil {
		archive.Close()
		return fmt.Errorf("download %s: %w", rel.Archive.Name, err)
	}
	if err := archive.Close(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if got := h.Sum(nil); string(got) != string(want[:]) {
		return fmt.Errorf("%w: %s has SHA-256 %x, SHA256SUMS says %x", ErrChecksum, rel.Archive.Name, got, want)
	}

	newBin, err := os.CreateTemp(dir, ".pb-new-*"+filepath.Ext(u.Executable))
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	newPath := newBin.Name()
	defer os.Remove(newPath) // a no-op once it has been renamed into place
	if err := extractBinary(archive.Name(), BinaryName(u.goos()), newBin); err != nil {
		newBin.Close()
		return fmt.Errorf("%s: %w", rel.Archive.Name, err)
	}
	if err := newBin.Chmod(0o755); err != nil {
		newBin.Close()
		return fmt.Errorf("update: %w", err)
	}
	if err := newBin.Sync(); err != nil {
		newBin.Close()
		return fmt.Errorf("update: %w", err)
	}
	if err := newBin.Close(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if u.Probe != nil {
		out, err := u.Probe(ctx, newPath)
		if err != nil {
			return fmt.Errorf("the new pb %s does not run here: %w", rel.Version, err)
		}
		if !strings.Contains(out, rel.Version) {
			return fmt.Errorf("the new binary reports %q, not version %s; not installing it", strings.TrimSpace(out), rel.Version)
		}
	}
	return install(u.Executable, newPath)
}

// get downloads url into memory, refusing more than limit bytes, and
// exactly size bytes when size >= 0.
func (u *Updater) get(ctx context.Context, url string, limit, size int64) ([]byte, error) {
	var b bytes.Buffer
	if err := u.fetch(ctx, url, limit, size, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (u *Updater) download(ctx context.Context, a Asset, w io.Writer) error {
	limit := u.MaxArchive
	if limit <= 0 {
		limit = DefaultMaxArchive
	}
	size := int64(-1)
	if a.Size > 0 {
		if a.Size > limit {
			return fmt.Errorf("%s is %d bytes, more than the %d allowed", a.Name, a.Size, limit)
		}
		size = a.Size
	}
	return u.fetch(ctx, a.URL, limit, size, w)
}

func (u *Updater) fetch(ctx context.Context, url string, limit, size int64, w io.Writer) error {
	if u.Client == nil {
		return errors.New("update: no HTTP client")
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return fmt.Errorf("%q is not an http(s) URL", url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if u.UserAgent != "" {
		req.Header.Set("User-Agent", u.UserAgent)
	}
	if strings.HasPrefix(url, "https://api.github.com/") {
		req.Header.Set("Accept", "application/vnd.github+json")
	}
	resp, err := u.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: %d bytes, more than the %d allowed", url, resp.ContentLength, limit)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w after %d bytes", url, err, n)
	}
	if n > limit {
		return fmt.Errorf("GET %s: more than the %d bytes allowed", url, limit)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("GET %s: got %d bytes, the release lists %d (truncated download?)", url, n, size)
	}
	return nil
}
