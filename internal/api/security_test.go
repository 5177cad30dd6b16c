package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHostCheck: a DNS-rebinding page sends its own name as Host and must
// be refused before any data is read.
func TestHostCheck(t *testing.T) {
	f := newFixture(t, false, func(d *Deps) { d.Settings.AllowedHosts = []string{"pb.lan", "box.local:7373"} })
	tests := []struct {
		host string
		code int
	}{
		{"evil.example", 403},
		{"evil.example:7373", 403},
		{"127.0.0.1.evil.example:7373", 403},
		{"localhost.evil.example", 403},
		{"", 403},
		{"box.local:9999", 403},
		{"192.168.1.10:7373", 403}, // not our bind address
		{"127.0.0.1:7373", 200},
		{"localhost:7373", 200},
		{"LOCALHOST:7373", 200},
		{"[::1]:7373", 200},
		{"127.0.0.2:7373", 200},
		{"pb.lan", 200},
		{"pb.lan:8080", 200},
		{"box.local:7373", 200},
	}
	// The server remembers the last accepted Host: each refused value is
	// also tried right after an accepted one.
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if rec := do(t, f.srv.Handler(), "GET", "/api/today", "Host", "127.0.0.1:7373"); rec.Code != 200 {
				t.Fatalf("Host 127.0.0.1:7373: status %d", rec.Code)
			}
			rec := do(t, f.srv.Handler(), "GET", "/api/today", "Host", tc.host)
			if rec.Code != tc.code {
				t.Fatalf("Host %q: status %d, want %d", tc.host, rec.Code, tc.code)
			}
			if rec := do(t, f.srv.Handler(), "GET", "/api/today", "Host", tc.host); rec.Code != tc.code {
				t.Fatalf("Host %q the second time: status %d, want %d", tc.host, rec.Code, tc.code)
			}
			if tc.code != 200 {
				assertJSONError(t, rec.Header(), rec.Body.Bytes())
				if strings.Contains(rec.Body.String(), "bytes_sent") {
					t.Error("data served to a foreign Host")
				}
			}
		})
	}
}

// TestHostCheckPort: once listening, only the server's own port is
// accepted with loopback names.
func TestHostCheckPort(t *testing.T) {
	f := newFixture(t, true)
	// Before Open (the handler mounted elsewhere) any port is accepted; the
	// accepted value must not outlive Open.
	if rec := do(t, f.srv.Handler(), "GET", "/api/health", "Host", "127.0.0.1:1"); rec.Code != 200 {
		t.Fatalf("before Open, Host 127.0.0.1:1: status %d, want 200", rec.Code)
	}
	if err := f.srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Close(context.Background()) })
	port := f.srv.Addr()[strings.LastIndex(f.srv.Addr(), ":")+1:]
	if rec := do(t, f.srv.Handler(), "GET", "/api/health", "Host", "127.0.0.1:1"); rec.Code != 403 {
		t.Fatalf("after Open, Host 127.0.0.1:1 (accepted before): status %d, want 403", rec.Code)
	}
	for host, code := range map[string]int{
		"127.0.0.1:" + port: 200,
		"localhost:" + port: 200,
		"127.0.0.1:1":       403,
		"localhost":         403,
	} {
		req, _ := http.NewRequest("GET", "http://"+f.srv.Addr()+"/api/health", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, code)
		}
	}
}

// TestCrossSitePost: state changes are refused cross-site.
func TestCrossSitePost(t *testing.T) {
	f := newFixture(t, false, func(d *Deps) { d.Settings.AllowedOrigins = []string{"http://localhost:3000"} })
	tests := []struct {
		name string
		hdr  []string
		code int
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"foreign Origin", []string{"Origin", "http://evil.example"}, 403},
		{"foreign Origin, same port", []string{"Origin", "http://evil.example:7373"}, 403},
		{"null Origin", []string{"Origin", "null"}, 403},
		{"same origin", []string{"Origin", "http://127.0.0.1:7373", "Sec-Fetch-Site", "same-origin"}, 200},
		{"allowed origin", []string{"Origin", "http://localhost:3000", "Sec-Fetch-Site", "cross-site"}, 200},
		{"no browser headers (curl)", nil, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), "POST", "/api/storage/cleanup", tc.hdr...)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code != 200 {
				assertJSONError(t, rec.Header(), rec.Body.Bytes())
			}
		})
	}
}

// TestCORS: no wildcard, configured origins echoed with Vary: Origin.
func TestCORS(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) { d.Settings.AllowedOrigins = []string{"http://localhost:3000"} })
	h := f.srv.Handler()
	for _, origin := range []string{"", "http://evil.example", "null", "http://localhost:3000"} {
		rec := do(t, h, "GET", "/api/today", "Origin", origin)
		acao := rec.Header().Get("Access-Control-Allow-Origin")
		if acao == "*" {
			t.Fatalf("wildcard CORS for origin %q", origin)
		}
		if want := map[bool]string{true: origin, false: ""}[origin == "http://localhost:3000"]; acao != want {
			t.Errorf("origin %q: Access-Control-Allow-Origin %q, want %q", origin, acao, want)
		}
		if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Origin") {
			t.Errorf("origin %q: no Vary: Origin", origin)
		}
	}
	rec := do(t, h, "OPTIONS", "/api/storage/cleanup", "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("allowed preflight: %d %v", rec.Code, rec.Header())
	}
	rec = do(t, h, "OPTIONS", "/api/storage/cleanup", "Origin", "http://evil.example", "Access-Control-Request-Method", "POST")
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", rec.Code, rec.Header())
	}
	for _, bad := range []string{"*", "null", "localhost:3000", "http://localhost:3000/path", "ftp://x"} {
		if _, err := New(Deps{Store: openStore(t), Settings: Settings{AllowedOrigins: []string{bad}}}); err == nil {
			t.Errorf("allowed origin %q accepted", bad)
		}
	}
}

// TestSecurityHeaders are on every response, errors included.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, true)
	for _, target := range []string{"/api/today", "/api/nope", "/metrics", "/dashboard/"} {
		rec := do(t, f.srv.Handler(), "GET", target)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", target, k, got, want)
			}
		}
		if rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no CSP", target)
		}
	}
}

// TestBodyLimit: a body over 1 MiB is refused.
func TestBodyLimit(t *testing.T) {
	f := newFixture(t, true)
	req, _ := http.NewRequest("POST", "/api/storage/cleanup", bytes.NewReader(make([]byte, maxBodyBytes+1)))
	req.Host = testHost
	rec := httpRecorder(f.srv.Handler(), req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", rec.Code)
	}
	assertJSONError(t, rec.Header(), rec.Body.Bytes())
}

// TestNonLoopbackNeedsToken: the server refuses to start beyond loopback
// without a token, in New and in Open.
func TestNonLoopbackNeedsToken(t *testing.T) {
	st := openStore(t)
	for _, host := range []string{"0.0.0.0", "", "::", "192.168.1.10", "example.com"} {
		if _, err := New(Deps{Store: st, Settings: Settings{Host: host, Port: 7373}}); err == nil && host != "" {
			t.Errorf("New with host %q and no token succeeded", host)
		} else if err != nil && !strings.Contains(err.Error(), "token") {
			t.Errorf("error does not say how to fix it: %v", err)
		}
	}
	for _, host := range []string{"127.0.0.1", "localhost", "::1", "[::1]"} {
		if _, err := New(Deps{Store: st, Settings: Settings{Host: host}}); err != nil {
			t.Errorf("loopback host %q refused: %v", host, err)
		}
	}
	srv, err := New(Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("0.0.0.0:0"); err == nil {
		srv.Close(context.Background())
		t.Fatal("Open on 0.0.0.0 without a token succeeded")
	}
	if srv.Addr() != "" {
		t.Error("listening after a refused Open")
	}
}

// TestToken: with a token every data route needs it (401 otherwise); the
// token never shows up in responses or logs.
func TestToken(t *testing.T) {
	const token = "s3cr3t-token-0123456789abcdef"
	var logs bytes.Buffer
	f := newFixture(t, false, func(d *Deps) {
		d.Token = token
		d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h := f.srv.Handler()
	tests := []struct {
		target string
		auth   string
		code   int
	}{
		{"/api/today", "", 401},
		{"/api/today", "Bearer wrong", 401},
		{"/api/today", "Bearer " + token + "x", 401},
		{"/api/today", "Basic " + token, 401},
		{"/api/today", token, 401},
		{"/metrics", "", 401},
		{"/api/live/stream", "", 401},
		{"/api/today", "Bearer " + token, 200},
		{"/api/today", "bearer " + token, 200},
		{"/metrics", "Bearer " + token, 200},
		{"/api/openapi.json", "", 200},
		{"/dashboard/", "", 200},
		{"/", "", 302},
	}
	for _, tc := range tests {
		rec := do(t, h, "GET", tc.target, "Authorization", tc.auth)
		if rec.Code != tc.code {
			t.Errorf("GET %s with %q: %d, want %d", tc.target, tc.auth, rec.Code, tc.code)
		}
		if rec.Code == 401 {
			assertJSONError(t, rec.Header(), rec.Body.Bytes())
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		}
		if strings.Contains(rec.Body.String(), token) {
			t.Errorf("GET %s: token in the response", tc.target)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Error("token in the logs")
	}
	// A token makes a non-loopback bind possible.
	srv, err := New(Deps{Store: f.store, Token: token, Settings: Settings{Host: "0.0.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("0.0.0.0:0"); err != nil {
		t.Fatal(err)
	}
	srv.Close(context.Background())
}

// TestEnsureToken: generated once with mode 0600, read back, refused when
// others can read it or when it is too short.
func TestEnsureToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := EnsureToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 40 {
		t.Errorf("token %d characters, want >= 40", len(tok))
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := EnsureToken(dir)
	if err != nil || again != tok {
		t.Errorf("second call: %v, same token %v", err, again == tok)
	}
	other, _ := EnsureToken(t.TempDir())
	if other == tok {
		t.Error("two data directories got the same token")
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(filepath.Join(dir, TokenFile), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := EnsureToken(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("world-readable token accepted: %v", err)
		} else if strings.Contains(err.Error(), tok) {
			t.Error("token in the error")
		}
	}
	short := t.TempDir()
	if err := os.WriteFile(filepath.Join(short, TokenFile), []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureToken(short); err == nil {
		t.Error("short token accepted")
	}
}
