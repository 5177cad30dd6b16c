package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The page's budget: everything it loads, gzip-compressed.
const weightBudget = 300 << 10

var (
	htmlRef   = regexp.MustCompile(`(?i)\b(?:src|href)="([^"]+)"`)
	jsImport  = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)`)
	shellList = regexp.MustCompile(`(?s)const SHELL = \[(.*?)\];`)
	quoted    = regexp.MustCompile(`'([^']*)'`)
)

// pageFiles follows index.html's src/href attributes and the JS modules'
// imports: every file the page loads from the dashboard (not the API).
func pageFiles(t *testing.T) []string {
	t.Helper()
	fsys := FS()
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatalf("the page loads %s, which is not embedded: %v", name, err)
		}
		seen[name] = true
		dir := path.Dir(name)
		var refs []string
		switch path.Ext(name) {
		case ".html":
			for _, m := range htmlRef.FindAllStringSubmatch(string(b), -1) {
				refs = append(refs, m[1])
			}
		case ".js":
			for _, m := range jsImport.FindAllStringSubmatch(string(b), -1) {
				refs = append(refs, m[1]+m[2])
			}
		}
		for _, r := range refs {
			if strings.HasPrefix(r, "../api/") || strings.HasPrefix(r, "#") {
				continue // the API, or an anchor
			}
			name := path.Clean(path.Join(dir, r))
			if name == "." {
				name = "index.html" // "./", the directory, serves its index
			}
			visit(name)
		}
	}
	visit("index.html")
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return z.Len()
}

func TestPageWeight(t *testing.T) {
	total, raw := 0, 0
	// The service worker is registered from app.js by name, not imported.
	for _, f := range append(pageFiles(t), "sw.js") {
		b, _ := fs.ReadFile(FS(), f)
		gz := gzipSize(t, b)
		total += gz
		raw += len(b)
		t.Logf("%8d B  %7d B gzip  %s", len(b), gz, f)
	}
	t.Logf("total: %d B, %d B gzip (budget %d B gzip)", raw, total, weightBudget)
	if total >= weightBudget {
		t.Errorf("the page weighs %d B gzipped, over the %d B budget", total, weightBudget)
	}
}

// The service worker's shell must hold every file the page loads, or the
// installed app would open half-broken offline.
func TestServiceWorkerShell(t *testing.T) {
	sw, err := fs.ReadFile(FS(), "sw.js")
	if err != nil {
		t.Fatal(err)
	}
	m := shellList.FindSubmatch(sw)
	if m == nil {
		t.Fatal("sw.js has no SHELL list")
	}
	shell := map[string]bool{}
	for _, q := range quoted.FindAllSubmatch(m[1], -1) {
		name := string(q[1])
		if name == "./" {
			name = "index.html"
		}
		if _, err := fs.Stat(FS(), name); err != nil {
			t.Errorf("sw.js caches %s, which is not embedded", q[1])
		}
		if shell[name] {
			// Cache.addAll rejects the whole list: no offline shell at all.
			t.Errorf("sw.js lists %s twice", q[1])
		}
		shell[name] = true
	}
	for _, f := range pageFiles(t) {
		if !shell[f] {
			t.Errorf("the page loads %s but sw.js does not cache it", f)
		}
	}
}

// TestCSSRulesClosed: every style rule is closed before the next one
// starts. Browsers read a rule left open as CSS nesting, so a lost "}"
// silently scopes every later rule under it; only @-rules (@media,
// @supports) hold other rules here.
func TestCSSRulesClosed(t *testing.T) {
	css, err := fs.ReadFile(FS(), "app.css")
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(css), "")
	var stack []bool // per open block: is it an @-rule?
	prelude := 0     // where the text before the next "{" starts
	for i, c := range src {
		switch c {
		case '{':
			at := strings.HasPrefix(strings.TrimSpace(src[prelude:i]), "@")
			if len(stack) > 0 && !stack[len(stack)-1] {
				line := strings.Count(src[:i], "\n") + 1
				t.Fatalf("app.css: %q opens inside another style rule (a missing \"}\" above, near line %d of the comment-free text)",
					strings.TrimSpace(src[prelude:i]), line)
			}
			stack = append(stack, at)
			prelude = i + 1
		case '}':
			if len(stack) == 0 {
				t.Fatalf("app.css: unmatched \"}\" at byte %d", i)
			}
			stack = stack[:len(stack)-1]
			prelude = i + 1
		case ';':
			prelude = i + 1
		}
	}
	if len(stack) > 0 {
		t.Fatalf("app.css: %d block(s) never closed", len(stack))
	}
}

// Nothing may come from another host: no absolute URLs in our own files,
// no web fonts, no CSS imports.
func TestNoExternalResources(t *testing.T) {
	external := regexp.MustCompile(`(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(name, "vendor/") {
			return err
		}
		switch path.Ext(name) {
		case ".html", ".css", ".js", ".webmanifest", ".svg":
		default:
			return nil
		}
		b, _ := fs.ReadFile(FS(), name)
		s := string(b)
		if path.Ext(name) == ".svg" {
			s = strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, "") // a namespace, never fetched
		}
		if m := external.FindString(s); m != "" {
			t.Errorf("%s refers to another host: %q", name, m)
		}
		if path.Ext(name) == ".css" && (strings.Contains(s, "@import") || strings.Contains(s, "@font-face")) {
			t.Errorf("%s imports CSS or fonts", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The page must run under "default-src 'self'; img-src 'self' data:;
// style-src 'self'": no inline scripts, handlers or styles, no eval.
func TestStrictCSPCompatible(t *testing.T) {
	html, _ := fs.ReadFile(FS(), "index.html")
	h := string(html)
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(h, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html: %q", m[0])
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<[^>]+\son[a-z]+=`), // onclick=...
		regexp.MustCompile(`(?i)<[^>]+\sstyle=`),
		regexp.MustCompile(`(?i)<style\b`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := bad.FindString(h); m != "" {
			t.Errorf("index.html: %q breaks a strict CSP", m)
		}
	}
	err := fs.WalkDir(FS(), "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(FS(), name)
		for _, bad := range []string{"eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "setAttribute('style'", "cssText"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// vendor/README records each vendored file's sha256; the files must match.
func TestVendorChecksums(t *testing.T) {
	readme, err := fs.ReadFile(FS(), "vendor/README")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^\s*sha256\s+(\S+)\s+([0-9a-f]{64})\s*$`)
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasSuffix(m[1], ".tgz") {
			continue
		}
		b, err := fs.ReadFile(FS(), "vendor/"+m[1])
		if err != nil {
			t.Errorf("README lists %s: %v", m[1], err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != m[2] {
			t.Errorf("%s: sha256 %s, README says %s", m[1], got, m[2])
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no checksum found in vendor/README")
	}
	// Every vendored folder carries its licence.
	dirs, _ := fs.ReadDir(FS(), "vendor")
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := fs.ReadDir(FS(), "vendor/"+d.Name())
		if !slices.ContainsFunc(files, func(f fs.DirEntry) bool { return strings.HasPrefix(strings.ToUpper(f.Name()), "LICENSE") }) {
			t.Errorf("vendor/%s has no LICENSE file", d.Name())
		}
	}
}

func TestManifest(t *testing.T) {
	b, err := fs.ReadFile(FS(), "manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name, StartURL, Display string
		Icons                   []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Name == "" || len(m.Icons) == 0 {
		t.Fatalf("manifest lacks a name or icons: %s", b)
	}
	for _, ic := range m.Icons {
		data, err := fs.ReadFile(FS(), ic.Src)
		if err != nil {
			t.Errorf("icon %s: %v", ic.Src, err)
			continue
		}
		if ic.Type != "image/png" {
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Errorf("icon %s: %v", ic.Src, err)
			continue
		}
		if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != ic.Sizes {
			t.Errorf("icon %s is %s, the manifest says %s", ic.Src, got, ic.Sizes)
		}
	}
}

// TestGzipVariants: every compressible file has a name.gz beside it whose
// content is the file's (run `go generate ./internal/web` after an edit),
// and no variant is left without its file.
func TestGzipVariants(t *testing.T) {
	n := 0
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if orig, ok := strings.CutSuffix(name, ".gz"); ok {
			b, err := fs.ReadFile(FS(), orig)
			if err != nil || !Compressible(orig, len(b)) {
				t.Errorf("%s has no compressible source file (go generate ./internal/web removes it)", name)
			}
			return nil
		}
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			return err
		}
		gz, err := fs.ReadFile(FS(), name+".gz")
		if !Compressible(name, len(b)) {
			if err == nil {
				t.Errorf("%s.gz exists but %s is not compressible", name, name)
			}
			return nil
		}
		if err != nil {
			t.Errorf("%s has no gzip variant: run go generate ./internal/web", name)
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Errorf("%s.gz: %v", name, err)
			return nil
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s.gz is stale (%v): run go generate ./internal/web", name, err)
		}
		if len(gz) >= len(b) {
			t.Errorf("%s.gz (%d B) is not smaller than %s (%d B)", name, len(gz), name, len(b))
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d gzip variants", n)
	}
}
