package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/packetbuddy/pb/internal/service"
	"github.com/packetbuddy/pb/internal/update"
	"github.com/packetbuddy/pb/internal/version"
)

// updateBins caches the fake pb binaries built for this test run.
var updateBins struct {
	mu   sync.Mutex
	dir  string
	bins map[string][]byte
}

// fakePBBinary builds internal/update/testdata/fakepb stamped with v: a
// real executable whose "version" prints "pb <v>".
func fakePBBinary(t *testing.T, v string) []byte {
	t.Helper()
	updateBins.mu.Lock()
	defer updateBins.mu.Unlock()
	if b, ok := updateBins.bins[v]; ok {
		return b
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "pb")
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w -X main.version="+v, "-o", out, "../update/testdata/fakepb")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fake pb: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if updateBins.bins == nil {
		updateBins.bins = map[string][]byte{}
	}
	updateBins.bins[v] = b
	return b
}

// releaseServer serves a signed release of bin as version v.
func releaseServer(t *testing.T, v string, bin []byte, key ed25519.PrivateKey) *httptest.Server {
	t.Helper()
	name := update.ArchiveName(v, runtime.GOOS, runtime.GOARCH)
	var ab bytes.Buffer
	gz := gzip.NewWriter(&ab)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "pb", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg})
	tw.Write(bin)
	tw.Close()
	gz.Close()
	sums := fmt.Sprintf("%x  %s\n", sha256.Sum256(ab.Bytes()), name)
	files := map[string][]byte{name: ab.Bytes(), "SHA256SUMS": []byte(sums), "SHA256SUMS.sig": update.Sign(key, []byte(sums))}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest" {
			type asset struct {
				Name string `json:"name"`
				URL  string `json:"browser_download_url"`
				Size int    `json:"size"`
			}
			rel := struct {
				Tag    string  `json:"tag_name"`
				Assets []asset `json:"assets"`
			}{Tag: "v" + v}
			for n, b := range files {
				rel.Assets = append(rel.Assets, asset{n, srv.URL + "/dl/" + n, len(b)})
			}
			json.NewEncoder(w).Encode(rel)
			return
		}
		if b, ok := files[strings.TrimPrefix(r.URL.Path, "/dl/")]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// withUpdateHooks makes this test's pb version 1.0.0 with key trusted and
// exe the binary to replace.
func withUpdateHooks(t *testing.T, exe string, key ed25519.PrivateKey) {
	t.Helper()
	savedVersion, savedKey, savedExe := version.Version, update.PublicKey, updateExecutable
	version.Version = "1.0.0"
	update.PublicKey = strings.TrimSpace(string(update.EncodeKey(key.Public().(ed25519.PublicKey))))
	updateExecutable = func() (string, error) { return exe, nil }
	t.Cleanup(func() { version.Version, update.PublicKey, updateExecutable = savedVersion, savedKey, savedExe })
}

func newTestKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pbVersionOf(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v %s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestUpdateCommand: check, update (restarting the running service),
// up to date, rollback.
func TestUpdateCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drives systemctl")
	}
	key := newTestKey(t)
	srv := releaseServer(t, "1.1.0", fakePBBinary(t, "1.1.0"), key)
	exe := filepath.Join(t.TempDir(), "pb")
	if err := os.WriteFile(exe, fakePBBinary(t, "1.0.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	withUpdateHooks(t, exe, key)
	home := t.TempDir()
	tools := &fakeManagerTools{
		answers: map[string]string{"systemctl --user show packetbuddy.service": "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=9\n"},
		fail:    map[string]error{"systemctl show-environment": errors.New("System has not been booted with systemd")},
	}
	withServiceHooks(t, "/usr/local/bin/pb", tools)
	env := map[string]string{"HOME": home, "USER": "ann", "PB_DATA_DIR": filepath.Join(home, "d"), "PB_UPDATE_URL": srv.URL + "/latest"}
	unitDir := filepath.Join(home, ".config", "systemd", "user")
	os.MkdirAll(unitDir, 0o755)
	if err := os.WriteFile(filepath.Join(unitDir, "packetbuddy.service"), []byte("[Service]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	stdout, _, err := runDirect(t, runUpdate, env, "--check")
	if err != nil || !strings.Contains(stdout, "pb 1.1.0 is available (this is 1.0.0)") {
		t.Fatalf("--check: %q %v", stdout, err)
	}
	stdout, _, err = runDirect(t, runUpdate, env, "--check", "--json")
	var check struct {
		Current, Latest string
		Available       bool   `json:"update_available"`
		Archive         string `json:"archive"`
		Size            int64  `json:"archive_size"`
	}
	if err != nil || json.Unmarshal([]byte(stdout), &check) != nil || check.Current != "1.0.0" || check.Latest != "1.1.0" ||
		!check.Available || !strings.Contains(check.Archive, runtime.GOOS) || check.Size <= 0 {
		t.Fatalf("--check --json: %q %v -> %+v", stdout, err, check)
	}
	if pbVersionOf(t, exe) != "pb 1.0.0" {
		t.Fatal("--check changed the binary")
	}

	stdout, stderr, err := runDirect(t, runUpdate, env)
	if err != nil {
		t.Fatalf("update: %v\n%s", err, stderr)
	}
	if got := pbVersionOf(t, exe); got != "pb 1.1.0" {
		t.Fatalf("after update: %s\n%s", got, stdout)
	}
	if got := pbVersionOf(t, update.OldPath(exe)); got != "pb 1.0.0" {
		t.Fatalf("pb.old: %s", got)
	}
	if !strings.Contains(strings.Join(tools.calls, "\n"), "systemctl --user restart packetbuddy.service") {
		t.Errorf("the running service was not restarted: %q", tools.calls)
	}

	version.Version = "1.1.0"
	stdout, _, err = runDirect(t, runUpdate, env)
	if err != nil || !strings.Contains(stdout, "pb 1.1.0 is up to date") {
		t.Fatalf("second update: %q %v", stdout, err)
	}

	stdout, _, err = runDirect(t, runUpdate, env, "--rollback", "--no-restart")
	if err != nil || !strings.Contains(stdout, "it is pb 1.0.0 again") {
		t.Fatalf("rollback: %q %v", stdout, err)
	}
	if got := pbVersionOf(t, exe); got != "pb 1.0.0" {
		t.Fatalf("after rollback: %s", got)
	}
}

// TestUpdateRefusesUntrusted: a release signed by another key changes
// nothing, and the message says so.
func TestUpdateRefusesUntrusted(t *testing.T) {
	srv := releaseServer(t, "1.1.0", fakePBBinary(t, "1.1.0"), newTestKey(t))
	exe := filepath.Join(t.TempDir(), "pb")
	old := fakePBBinary(t, "1.0.0")
	os.WriteFile(exe, old, 0o755)
	withUpdateHooks(t, exe, newTestKey(t))
	withServiceHooks(t, "/usr/local/bin/pb", &fakeManagerTools{fail: map[string]error{"": errors.New("no manager")}})
	home := t.TempDir()
	_, _, err := runDirect(t, runUpdate, map[string]string{"HOME": home, "PB_DATA_DIR": home}, "--url", srv.URL+"/latest")
	if !errors.Is(err, update.ErrBadSignature) || !strings.Contains(err.Error(), "pb was not changed") {
		t.Fatalf("got %v", err)
	}
	if now, _ := os.ReadFile(exe); !bytes.Equal(now, old) {
		t.Error("the binary changed")
	}
}

func TestUpdateUsage(t *testing.T) {
	for _, args := range [][]string{{"--check", "--rollback"}, {"now"}, {"--json"}} {
		if _, _, err := runDirect(t, runUpdate, nil, args...); !isUsage(err) {
			t.Errorf("pb update %v: %v", args, err)
		}
	}
	exe := filepath.Join(t.TempDir(), "pb")
	os.WriteFile(exe, []byte("x"), 0o755)
	withUpdateHooks(t, exe, newTestKey(t))
	if _, _, err := runDirect(t, runUpdate, nil, "--rollback"); !errors.Is(err, update.ErrNoPrevious) {
		t.Errorf("rollback without pb.old: %v", err)
	}
}

var _ service.Runner = (*fakeManagerTools)(nil)
