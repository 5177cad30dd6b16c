package update

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
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
)

// fakeBinaries builds testdata/fakepb once per test run for each version
// asked: a real executable that prints "pb <version>" for "version".
var fakeBinaries struct {
	once sync.Once
	dir  string
	err  error
	mu   sync.Mutex
	bins map[string][]byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fakeBinaries.dir != "" {
		os.RemoveAll(fakeBinaries.dir)
	}
	os.Exit(code)
}

func fakePB(t *testing.T, version string) []byte {
	t.Helper()
	fakeBinaries.once.Do(func() {
		fakeBinaries.dir, fakeBinaries.err = os.MkdirTemp("", "pb-update-test-")
		fakeBinaries.bins = map[string][]byte{}
	})
	if fakeBinaries.err != nil {
		t.Fatal(fakeBinaries.err)
	}
	fakeBinaries.mu.Lock()
	defer fakeBinaries.mu.Unlock()
	if b, ok := fakeBinaries.bins[version]; ok {
		return b
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the test binaries: %v", err)
	}
	out := filepath.Join(fakeBinaries.dir, "pb-"+version)
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", out, "./testdata/fakepb")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fake pb: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fakeBinaries.bins[version] = b
	return b
}

// runVersion runs "<path> version" and returns its output.
func runVersion(ctx context.Context, path string) (string, error) {
	out, err := exec.CommandContext(ctx, path, "version").CombinedOutput()
	return string(out), err
}

func tarGz(t *testing.T, name string, content []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"README.md", []byte("hello\n")}, {name, content}} {
		if err := tw.WriteHeader(&tar.Header{Name: "pb_x/" + f.name, Mode: 0o755, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

func zipOf(t *testing.T, name string, content []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	zw.Close()
	return b.Bytes()
}

// release is a fake release server's content.
type release struct {
	tag   string
	files map[string][]byte
	// truncate, when set, serves only half of that file (with the full
	// Content-Length, as a dropped connection does).
	truncate string
	// sizes overrides the size the JSON lists for a file.
	sizes map[string]int64
}

func newRelease(t *testing.T, version, goos string, bin []byte, key ed25519.PrivateKey) *release {
	t.Helper()
	name := ArchiveName(version, goos, runtime.GOARCH)
	var archive []byte
	if goos == "windows" {
		archive = zipOf(t, "pb.exe", bin)
	} else {
		archive = tarGz(t, "pb", bin)
	}
	sum := sha256.Sum256(archive)
	other := sha256.Sum256([]byte("another archive"))
	sums := fmt.Sprintf("%x  %s\n%x  pb_%s_plan9_386.tar.gz\n", sum, name, other, version)
	return &release{
		tag: "v" + version,
		files: map[string][]byte{
			name:             archive,
			"SHA256SUMS":     []byte(sums),
			"SHA256SUMS.sig": Sign(key, []byte(sums)),
		},
	}
}

func (r *release) serve(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/releases/latest" {
			gr := githubRelease{TagName: r.tag}
			for name, body := range r.files {
				size := int64(len(body))
				if s, ok := r.sizes[name]; ok {
					size = s
				}
				gr.Assets = append(gr.Assets, Asset{Name: name, URL: srv.URL + "/dl/" + name, Size: size})
			}
			json.NewEncoder(w).Encode(gr)
			return
		}
		name := strings.TrimPrefix(req.URL.Path, "/dl/")
		body, ok := r.files[name]
		if !ok {
			http.NotFound(w, req)
			return
		}
		if name == r.truncate {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:len(body)/2])
			return // the server closes the connection short of Content-Length
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// installed writes the current "pb" into a fresh directory.
func installed(t *testing.T, bin []byte, name string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

func mustVersion(t *testing.T, path, want string) {
	t.Helper()
	out, err := runVersion(context.Background(), path)
	if err != nil || strings.TrimSpace(out) != "pb "+want {
		t.Fatalf("%s version = %q, %v; want pb %s", path, out, err, want)
	}
}

func TestUpdateAndRollback(t *testing.T) {
	for _, goos := range []string{runtime.GOOS, "windows"} {
		t.Run("archive for "+goos, func(t *testing.T) {
			key := newKey(t)
			rel := newRelease(t, "1.1.0", goos, fakePB(t, "1.1.0"), key)
			srv := rel.serve(t)
			exe := installed(t, fakePB(t, "1.0.0"), BinaryName(goos))
			u := &Updater{Client: srv.Client(), URL: srv.URL + "/releases/latest", Key: key.Public().(ed25519.PublicKey),
				Current: "1.0.0", GOOS: goos, Executable: exe, Probe: runVersion}
			ctx := context.Background()

			r, err := u.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cmp != 1 || r.Version != "1.1.0" || r.Archive.Name != ArchiveName("1.1.0", goos, runtime.GOARCH) {
				t.Fatalf("check = %+v", r)
			}
			if err := u.Apply(ctx, r); err != nil {
				t.Fatal(err)
			}
			mustVersion(t, exe, "1.1.0")
			mustVersion(t, OldPath(exe), "1.0.0")
			assertNoTempFiles(t, exe)

			// Now up to date.
			u.Current = "1.1.0"
			if r, err = u.Check(ctx); err != nil || r.Cmp != 0 {
				t.Fatalf("check after update = %+v, %v", r, err)
			}
			if err := u.Apply(ctx, r); !errors.Is(err, ErrUpToDate) {
				t.Fatalf("apply same version: %v, want ErrUpToDate", err)
			}

			if err := Rollback(exe); err != nil {
				t.Fatal(err)
			}
			mustVersion(t, exe, "1.0.0")
			mustVersion(t, OldPath(exe), "1.1.0") // a second rollback undoes the first
			if err := Rollback(exe); err != nil {
				t.Fatal(err)
			}
			mustVersion(t, exe, "1.1.0")
			assertNoTempFiles(t, exe)
		})
	}
}

// TestRefused: every bad release is refused with the old binary untouched
// and no pb.old or temporary file left.
func TestRefused(t *testing.T) {
	good := newKey(t)
	tests := []struct {
		name    string
		current string
		mutate  func(r *release)
		key     ed25519.PrivateKey // the key pb trusts; default good
		probe   func(ctx context.Context, path string) (string, error)
		wantErr error
		want    string
	}{
		{
			name: "bad checksum",
			mutate: func(r *release) {
				for name, b := range r.files {
					if strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip") {
						c := bytes.Clone(b)
						c[len(c)-1] ^= 0xFF // one flipped byte, same length
						r.files[name] = c
					}
				}
			},
			wantErr: ErrChecksum,
		},
		{name: "bad signature", key: newKey(t), wantErr: ErrBadSignature},
		{
			name: "sums edited after signing",
			mutate: func(r *release) {
				r.files["SHA256SUMS"] = append(bytes.Clone(r.files["SHA256SUMS"]), []byte(strings.Repeat("0", 64)+"  extra\n")...)
			},
			wantErr: ErrBadSignature,
		},
		{name: "garbage signature", mutate: func(r *release) { r.files["SHA256SUMS.sig"] = []byte("not a signature\n") }, wantErr: ErrBadSignature},
		{name: "truncated download", mutate: func(r *release) { r.truncate = r.archiveName() }, want: "unexpected EOF"},
		{name: "shorter than listed", mutate: func(r *release) {
			r.sizes = map[string]int64{r.archiveName(): int64(len(r.files[r.archiveName()])) + 1}
		}, want: "truncated"},
		{name: "larger than allowed", mutate: func(r *release) { r.sizes = map[string]int64{r.archiveName(): DefaultMaxArchive + 1} }, want: "more than"},
		{name: "older version", current: "1.2.0", wantErr: ErrDowngrade},
		{name: "same version", current: "1.1.0", wantErr: ErrUpToDate},
		{name: "newer prerelease of same", current: "1.1.0-rc.1", probe: func(context.Context, string) (string, error) { return "pb 1.0.0", nil }, want: "not version 1.1.0"},
		{name: "binary does not run", probe: func(context.Context, string) (string, error) { return "", errors.New("exec format error") }, want: "does not run"},
		{name: "no archive for this system", mutate: func(r *release) { delete(r.files, r.archiveName()) }, wantErr: ErrNoAsset},
		{name: "unsigned release", mutate: func(r *release) { delete(r.files, "SHA256SUMS.sig") }, want: "unverifiable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rel := newRelease(t, "1.1.0", runtime.GOOS, fakePB(t, "1.1.0"), good)
			if tc.mutate != nil {
				tc.mutate(rel)
			}
			srv := rel.serve(t)
			oldBin := fakePB(t, "1.0.0")
			exe := installed(t, oldBin, "pb")
			trusted := good
			if tc.key != nil {
				trusted = tc.key
			}
			current := "1.0.0"
			if tc.current != "" {
				current = tc.current
			}
			probe := runVersion
			if tc.probe != nil {
				probe = tc.probe
			}
			u := &Updater{Client: srv.Client(), URL: srv.URL + "/releases/latest", Key: trusted.Public().(ed25519.PublicKey),
				Current: current, Executable: exe, Probe: probe}
			r, err := u.Check(context.Background())
			if err == nil {
				err = u.Apply(context.Background(), r)
			}
			if err == nil {
				t.Fatal("the update was applied")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to mention %q", err, tc.want)
			}
			if now, _ := os.ReadFile(exe); !bytes.Equal(now, oldBin) {
				t.Error("the old binary was changed")
			}
			mustVersion(t, exe, "1.0.0")
			if _, err := os.Stat(OldPath(exe)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pb.old exists after a refused update: %v", err)
			}
			assertNoTempFiles(t, exe)
		})
	}
}

func (r *release) archiveName() string {
	return ArchiveName(strings.TrimPrefix(r.tag, "v"), runtime.GOOS, runtime.GOARCH)
}

func assertNoTempFiles(t *testing.T, exe string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(exe))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != filepath.Base(exe) && n != filepath.Base(OldPath(exe)) {
			t.Errorf("left behind: %s", n)
		}
	}
}

func TestNoKeyNoUpdate(t *testing.T) {
	key := newKey(t)
	srv := newRelease(t, "1.1.0", runtime.GOOS, []byte("bin"), key).serve(t)
	saved := PublicKey
	PublicKey = ""
	defer func() { PublicKey = saved }()
	u := &Updater{Client: srv.Client(), URL: srv.URL + "/releases/latest", Current: "1.0.0", Executable: installed(t, []byte("old"), "pb")}
	r, err := u.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Apply(context.Background(), r); !errors.Is(err, ErrNoKey) {
		t.Fatalf("got %v, want ErrNoKey", err)
	}
	// The built-in key, when set, is used.
	PublicKey = strings.TrimSpace(string(EncodeKey(key.Public().(ed25519.PublicKey))))
	if k, err := u.key(); err != nil || !k.Equal(key.Public()) {
		t.Fatalf("built-in key: %v %v", k, err)
	}
}

func TestDevBuildCannotCheck(t *testing.T) {
	u := &Updater{Client: http.DefaultClient, URL: "http://127.0.0.1:1/", Current: "dev"}
	if _, err := u.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "development build") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "404"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") }, "invalid character"},
		{"huge", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte(" "), maxReleaseJSON+10)) }, "more than"},
		{"prerelease", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"tag_name":"v2.0.0-beta.1","prerelease":true}`)
		}, "prerelease"},
		{"bad tag", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"tag_name":"latest"}`) }, "MAJOR.MINOR.PATCH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			u := &Updater{Client: srv.Client(), URL: srv.URL, Current: "1.0.0"}
			if _, err := u.Check(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"v1.0.0", "1.0.0", 0},
		{"1.0.1", "1.0.0", 1},
		{"1.10.0", "1.9.9", 1},
		{"2.0.0", "10.0.0", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-rc.1", "1.0.0-beta.11", 1},
		{"1.0.0+build.5", "1.0.0+build.7", 0},
	}
	for _, tc := range tests {
		got, err := compareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, bad := range []string{"dev", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0-a..b", "v"} {
		if _, err := parseSemver(bad); err == nil {
			t.Errorf("parseSemver(%q) accepted", bad)
		}
	}
}

func TestKeysAndSignatures(t *testing.T) {
	k := newKey(t)
	pub := k.Public().(ed25519.PublicKey)
	msg := []byte("abc  pb_1.0.0_linux_amd64.tar.gz\n")

	fromSeed, err := ParsePrivateKey(append([]byte("# a comment\n"), EncodeKey(k.Seed())...))
	if err != nil || !fromSeed.Equal(k) {
		t.Fatalf("seed form: %v", err)
	}
	full, err := ParsePrivateKey(EncodeKey(k))
	if err != nil || !full.Equal(k) {
		t.Fatalf("64-byte form: %v", err)
	}
	tampered := bytes.Clone(k)
	tampered[40] ^= 1
	if _, err := ParsePrivateKey(EncodeKey(tampered)); err == nil {
		t.Error("a private key with a wrong public half was accepted")
	}
	p, err := ParsePublicKey(EncodeKey(pub))
	if err != nil || !p.Equal(pub) {
		t.Fatalf("public key: %v", err)
	}
	if _, err := ParsePublicKey([]byte("c2hvcnQ=")); err == nil {
		t.Error("a short public key was accepted")
	}
	sig := Sign(k, msg)
	if err := Verify(pub, msg, sig); err != nil {
		t.Errorf("base64 signature: %v", err)
	}
	if err := Verify(pub, msg, ed25519.Sign(k, msg)); err != nil {
		t.Errorf("raw signature: %v", err)
	}
	if err := Verify(pub, append(msg, ' '), sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("modified message: %v", err)
	}
}

func TestParseSums(t *testing.T) {
	d := strings.Repeat("ab", 32)
	sums, err := ParseSums([]byte(d + "  pb_1_linux_amd64.tar.gz\n" + d + " *pb_1_windows_amd64.zip\r\n\n"))
	if err != nil || len(sums) != 2 {
		t.Fatalf("got %v, %v", sums, err)
	}
	for _, bad := range []string{"xyz  a\n", d[:60] + "  a\n", d + "  a\n" + d + "  a\n"} {
		if _, err := ParseSums([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	exe := installed(t, []byte("x"), "pb")
	if err := Rollback(exe); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf("got %v", err)
	}
}

// TestInstallByRename runs the Windows strategy (move the running binary
// aside, then rename) on this OS.
func TestInstallByRename(t *testing.T) {
	exe := installed(t, []byte("old"), "pb.exe")
	dir := filepath.Dir(exe)
	// A pb.exe.old from an earlier update is replaced.
	os.WriteFile(OldPath(exe), []byte("older"), 0o755)
	newPath := filepath.Join(dir, ".pb-new-1.exe")
	os.WriteFile(newPath, []byte("new"), 0o755)
	if err := installByRename(exe, newPath); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(exe); string(b) != "new" {
		t.Errorf("pb.exe = %q", b)
	}
	if b, _ := os.ReadFile(OldPath(exe)); string(b) != "old" {
		t.Errorf("pb.exe.old = %q", b)
	}
	// A failed final rename puts the old binary back.
	if err := installByRename(exe, filepath.Join(dir, "missing")); err == nil {
		t.Fatal("no error for a missing new binary")
	}
	if b, _ := os.ReadFile(exe); string(b) != "new" {
		t.Errorf("after a failed install pb.exe = %q", b)
	}
}
