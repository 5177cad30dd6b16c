package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/packetbuddy/pb/internal/web"
)

// TestStaticRoundTrips: every embedded dashboard file answers its exact
// bytes with and without gzip, with its type, a strong ETag per variant
// and a 304 to that ETag.
func TestStaticRoundTrips(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) { d.Dashboard = web.FS() })
	h := f.srv.Handler()
	files, gzipped := 0, 0
	err := fs.WalkDir(web.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".gz") {
			return err
		}
		files++
		want, err := fs.ReadFile(web.FS(), name)
		if err != nil {
			return err
		}
		_, gzErr := fs.Stat(web.FS(), name+".gz")
		hasGz := gzErr == nil
		target := "/dashboard/" + name

		plain := do(t, h, "GET", target)
		if plain.Code != http.StatusOK || !bytes.Equal(plain.Body.Bytes(), want) || plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s: %d, %d bytes, encoding %q; want 200 and the %d bytes of the file", target, plain.Code, plain.Body.Len(), plain.Header().Get("Content-Encoding"), len(want))
			return nil
		}
		if ct := plain.Header().Get("Content-Type"); ct != contentType(name) || ct == "" || ct == "application/octet-stream" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		zipped := do(t, h, "GET", target, "Accept-Encoding", "gzip, deflate, br")
		body := zipped.Body.Bytes()
		if hasGz {
			gzipped++
			if zipped.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(zipped.Header().Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("%s: gzip accepted but Content-Encoding %q, Vary %q", name, zipped.Header().Get("Content-Encoding"), zipped.Header().Values("Vary"))
				return nil
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return nil
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if zipped.Code != http.StatusOK || !bytes.Equal(body, want) {
			t.Errorf("GET %s with gzip: %d, content differs from the file", target, zipped.Code)
		}

		for _, v := range []struct {
			rec *httptestRecorder
			hdr []string
		}{{plain, nil}, {zipped, []string{"Accept-Encoding", "gzip"}}} {
			tag := v.rec.Header().Get("ETag")
			if !strings.HasPrefix(tag, `"`) || len(tag) < 10 {
				t.Errorf("%s: ETag %q is not a strong ETag", name, tag)
				continue
			}
			again := do(t, h, "GET", target, append([]string{"If-None-Match", `"other", ` + tag}, v.hdr...)...)
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("%s: If-None-Match %s: %d with %d bytes, want 304", name, tag, again.Code, again.Body.Len())
			}
			if again.Header().Get("ETag") != tag || again.Header().Get("Cache-Control") == "" {
				t.Errorf("%s: 304 with ETag %q, Cache-Control %q", name, again.Header().Get("ETag"), again.Header().Get("Cache-Control"))
			}
			stale := do(t, h, "GET", target, append([]string{"If-None-Match", `"stale"`}, v.hdr...)...)
			if stale.Code != http.StatusOK {
				t.Errorf("%s: a stale ETag answered %d", name, stale.Code)
			}
		}
		if hasGz && plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
			t.Errorf("%s: the gzip variant has the plain file's ETag", name)
		}
		// Each ETag is the hash of exactly the bytes sent.
		for file, got := range map[string]string{name: plain.Header().Get("ETag"), name + ".gz": zipped.Header().Get("ETag")} {
			if file != name && !hasGz {
				continue
			}
			if want, err := etagOf(web.FS(), file); err != nil || got != want {
				t.Errorf("%s: ETag %s, want %s (%v)", file, got, want, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 || gzipped < 10 {
		t.Errorf("checked %d files, %d with gzip", files, gzipped)
	}
}

type httptestRecorder = httptest.ResponseRecorder

func TestStaticHeaders(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) { d.Dashboard = web.FS() })
	h := f.srv.Handler()
	for _, tc := range []struct {
		path, ctype, cache string
	}{
		{"/dashboard/", "text/html; charset=utf-8", "no-cache"},
		{"/dashboard/manifest.webmanifest", "application/manifest+json", "no-cache"},
		{"/dashboard/js/app.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/dashboard/app.css", "text/css; charset=utf-8", "no-cache"},
		{"/dashboard/icons/icon.svg", "image/svg+xml", "max-age=604800"},
		{"/dashboard/icons/icon-192.png", "image/png", "max-age=604800"},
		{"/dashboard/vendor/chart.js-4.6.1/chart.umd.min.js", "text/javascript; charset=utf-8", "max-age=31536000, immutable"},
	} {
		rec := do(t, h, "GET", tc.path)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ctype || rec.Header().Get("Cache-Control") != tc.cache {
			t.Errorf("GET %s: %d, Content-Type %q, Cache-Control %q; want %q, %q", tc.path, rec.Code,
				rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), tc.ctype, tc.cache)
		}
	}
	for _, tc := range []struct {
		accept string
		want   bool
	}{
		{"gzip", true}, {"GZIP;q=0.5", true}, {"br, gzip;q=0", false}, {"*", true}, {"*;q=0", false},
		{"identity", false}, {"", false}, {"gzip;q=x", false}, {"*, gzip;q=0", false}, {"deflate, *;q=0.1", true},
	} {
		if got := acceptsGzip([]string{tc.accept}); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v", tc.accept, got)
		}
	}
}

// TestStaticBadPaths: hostile and broken paths answer 4xx, never 500: JSON
// to API clients, a small HTML page to browsers.
func TestStaticBadPaths(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) { d.Dashboard = web.FS() })
	h := f.srv.Handler()
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/dashboard/%ff", 400},
		{"/dashboard/%c0%ae%c0%ae/etc/passwd", 400},
		{"/dashboard/%c0%af", 400},
		{"/dashboard/a%00b", 400},
		{"/dashboard/%00", 400},
		{"/dashboard/..%5c..%5cetc/passwd", 400},
		{"/dashboard/js%5capp.js", 400},
		{"/dashboard/" + strings.Repeat("a/", 600), 414},
		{"/dashboard/" + strings.Repeat("x", 2000), 414},
		{"/dashboard/missing.js", 404},
		{"/dashboard/js/", 404},
		{"/dashboard/js", 404},
		{"/dashboard/app.css.gz", 404},
		{"/dashboard/index.html%2f", 404},
		{"/dashboard/%2e%2e/%2e%2e/etc/passwd", 400},
		{"/dashboard/../../etc/passwd", 0},
		{"/nope", 404},
	} {
		for _, browser := range []bool{false, true} {
			hdr := []string{"Accept", "application/json"}
			if browser {
				hdr = []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
			}
			rec := do(t, h, "GET", tc.target, hdr...)
			ct := rec.Header().Get("Content-Type")
			switch {
			case tc.code == 0:
				if rec.Code < 300 || rec.Code >= 400 {
					t.Errorf("GET %.60s: %d, want a redirect", tc.target, rec.Code)
				}
			case rec.Code != tc.code:
				t.Errorf("GET %.60s (browser %v): %d, want %d: %.200s", tc.target, browser, rec.Code, tc.code, rec.Body)
			case browser && (!strings.HasPrefix(ct, "text/html") || !strings.Contains(rec.Body.String(), "<h1>")):
				t.Errorf("GET %.60s from a browser: %q %.100s", tc.target, ct, rec.Body)
			case !browser && (!strings.HasPrefix(ct, "application/json") || !strings.HasPrefix(rec.Body.String(), `{"error":"`)):
				t.Errorf("GET %.60s from a client: %q %.100s", tc.target, ct, rec.Body)
			}
		}
	}
}

// TestStaticStaleGzip: a variant that no longer matches its file (edited
// without go generate) is never served; the file is.
func TestStaticStaleGzip(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("old"))
	zw.Close()
	f := newFixture(t, true, func(d *Deps) {
		d.Dashboard = fstest.MapFS{"app.js": {Data: []byte("new")}, "app.js.gz": {Data: z.Bytes()}}
	})
	rec := do(t, f.srv.Handler(), "GET", "/dashboard/app.js", "Accept-Encoding", "gzip")
	if rec.Code != 200 || rec.Body.String() != "new" || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("%d %q encoding %q", rec.Code, rec.Body, rec.Header().Get("Content-Encoding"))
	}
}

// BenchmarkStaticIndex measures what indexing the embedded dashboard costs
// at start-up (hashing every file and checking every gzip variant).
func BenchmarkStaticIndex(b *testing.B) {
	for b.Loop() {
		if _, err := newStaticFiles(web.FS()); err != nil {
			b.Fatal(err)
		}
	}
}
