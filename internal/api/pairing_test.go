package api

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/store"
)

const (
	pairToken = "test-token-0123456789abcdef"
	pairHost  = "10.9.9.9:7373"
)

// pairClock is a settable clock for the pairing tests.
type pairClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pairClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *pairClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pairFixture is a server bound (for the Host check) to 10.9.9.9 with a
// token and a session store, its log captured.
func pairFixture(t *testing.T, st *store.Store, clk *pairClock, log *logbuf.Buffer, tweak ...func(*Deps)) *Server {
	t.Helper()
	f := newFixture(t, false, append([]func(*Deps){func(d *Deps) {
		if st != nil {
			d.Store = st
		}
		d.Sessions = d.Store.(*store.Store)
		d.Token = pairToken
		d.Settings.Host = "10.9.9.9"
		d.Now = clk.now
		d.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}}, tweak...)...)
	return f.srv
}

// req sends one request from a client on the network (192.0.2.7).
func req(t *testing.T, h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.7:40000"
	r.Host = pairHost
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		switch hdr[i] {
		case "Host":
			r.Host = hdr[i+1]
		case "RemoteAddr":
			r.RemoteAddr = hdr[i+1]
		default:
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func newPairCode(t *testing.T, h http.Handler) pairJSON {
	t.Helper()
	rec := req(t, h, "POST", "/api/pair", "", "Authorization", "Bearer "+pairToken)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/pair: %d %s", rec.Code, rec.Body)
	}
	if ct, cc := rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"); !strings.HasPrefix(ct, "application/json") || cc != "no-store" {
		t.Errorf("POST /api/pair: Content-Type %q, Cache-Control %q", ct, cc)
	}
	var p pairJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func claim(t *testing.T, h http.Handler, code string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return req(t, h, "POST", "/api/pair/claim", `{"code":"`+code+`"}`, append([]string{"Sec-Fetch-Site", "same-origin"}, hdr...)...)
}

// TestPairingSession: unpaired requests are refused; a code is exchanged
// once for a cookie with the right flags that then reads data, the stream
// included; a wrong, reused or expired code is refused; state changes with
// the cookie need pb's own origin; Host rebinding is refused with a cookie;
// revocation is immediate; sessions survive a restart; neither the code
// nor the cookie's secret reaches the log.
func TestPairingSession(t *testing.T) {
	clk := &pairClock{t: fixedNow}
	var log logbuf.Buffer
	st := openStore(t)
	srv := pairFixture(t, st, clk, &log)
	h := srv.Handler()

	for _, p := range []string{"/api/today", "/api/dashboard", "/api/fleet", "/api/live/stream", "/api/sessions", "/metrics"} {
		if rec := req(t, h, "GET", p, ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("unpaired GET %s: %d, want 401", p, rec.Code)
		}
	}
	if rec := req(t, h, "POST", "/api/pair", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("unpaired POST /api/pair: %d, want 401", rec.Code)
	}

	p := newPairCode(t, h)
	if !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`).MatchString(p.Code) {
		t.Errorf("code %q is not ABCD-EFGH from the unambiguous alphabet", p.Code)
	}
	if p.URL != "http://10.9.9.9:7373/dashboard/pair.html#"+p.Code || p.ExpiresIn != 300 || !p.ExpiresAt.Equal(fixedNow.Add(5*time.Minute).Truncate(time.Second)) {
		t.Errorf("pairing answer: %+v", p)
	}
	if !strings.HasPrefix(p.QR, "data:image/png;base64,") || len(p.QR) < 200 {
		t.Errorf("qr_png is not a PNG data URL: %.40q", p.QR)
	}

	if rec := claim(t, h, "ABCD-EFGH"); rec.Code != http.StatusForbidden || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("wrong code: %d, cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	// Lower case and without the dash is the same code.
	rec := claim(t, h, strings.ToLower(strings.ReplaceAll(p.Code, "-", "")), "User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36")
	if rec.Code != http.StatusOK {
		t.Fatalf("right code: %d %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	c := cookies[0]
	if c.Name != SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != 90*24*3600 || len(c.Value) != 43 {
		t.Errorf("cookie flags: %+v (raw %q)", c, rec.Header().Get("Set-Cookie"))
	}
	var sess sessionJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &sess); err != nil || sess.Name != "Android · Chrome" || !sess.Current || len(sess.ID) != 12 {
		t.Errorf("claim answer: %+v, %v", sess, err)
	}
	cookie := SessionCookie + "=" + c.Value
	if rec := claim(t, h, p.Code); rec.Code != http.StatusForbidden {
		t.Errorf("reused code: %d, want 403", rec.Code)
	}

	for _, path := range []string{"/api/today", "/api/dashboard", "/api/sessions"} {
		if rec := req(t, h, "GET", path, "", "Cookie", cookie); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the session: %d %s", path, rec.Code, rec.Body)
		}
	}
	// A paired browser cannot make codes.
	if rec := req(t, h, "POST", "/api/pair", "", "Cookie", cookie, "Sec-Fetch-Site", "same-origin"); rec.Code != http.StatusForbidden {
		t.Errorf("POST /api/pair with a session: %d, want 403", rec.Code)
	}
	// DNS rebinding: the cookie does not open a foreign Host.
	if rec := req(t, h, "GET", "/api/today", "", "Cookie", cookie, "Host", "evil.example:7373"); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "bytes") {
		t.Errorf("foreign Host with a session: %d", rec.Code)
	}
	// CSRF: a state change with the cookie needs pb's own origin.
	for _, hdr := range [][]string{
		nil,
		{"Origin", "http://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site", "Origin", "http://10.9.9.9:8080"},
		{"Origin", "null"},
	} {
		rec := req(t, h, "POST", "/api/sessions/revoke?all=true", "", append([]string{"Cookie", cookie}, hdr...)...)
		if rec.Code != http.StatusForbidden {
			t.Errorf("revoke with the session and %v: %d, want 403", hdr, rec.Code)
		}
	}
	if rec := req(t, h, "GET", "/api/today", "", "Cookie", cookie); rec.Code != http.StatusOK {
		t.Fatalf("the refused state changes revoked the session: %d", rec.Code)
	}

	// Restart: a new server on the same store accepts the cookie.
	srv2 := pairFixture(t, st, clk, &log)
	h2 := srv2.Handler()
	if rec := req(t, h2, "GET", "/api/today", "", "Cookie", cookie); rec.Code != http.StatusOK {
		t.Fatalf("session after a restart: %d", rec.Code)
	}
	// An expired code.
	p2 := newPairCode(t, h2)
	clk.add(5*time.Minute + time.Second)
	if rec := claim(t, h2, p2.Code); rec.Code != http.StatusForbidden {
		t.Errorf("expired code: %d, want 403", rec.Code)
	}
	// Revoke with pb's own origin: refused at once.
	rec = req(t, h2, "POST", "/api/sessions/revoke?id="+sess.ID, "", "Cookie", cookie, "Origin", "http://10.9.9.9:7373")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), sess.ID) {
		t.Fatalf("revoke own session: %d %s", rec.Code, rec.Body)
	}
	if sc := rec.Header().Get("Set-Cookie"); !strings.Contains(sc, SessionCookie+"=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("revoking one's own session does not clear the cookie: %q", sc)
	}
	if rec := req(t, h2, "GET", "/api/today", "", "Cookie", cookie); rec.Code != http.StatusUnauthorized {
		t.Errorf("revoked session: %d, want 401", rec.Code)
	}
	if left, _ := st.Sessions(context.Background(), clk.now()); len(left) != 0 {
		t.Errorf("revoked session still stored: %+v", left)
	}
	if rec := req(t, h2, "POST", "/api/sessions/revoke?id="+sess.ID, "", "Authorization", "Bearer "+pairToken); rec.Code != http.StatusNotFound {
		t.Errorf("revoke an unknown session: %d, want 404", rec.Code)
	}

	logs := log.String()
	if !strings.Contains(logs, "browser paired") || !strings.Contains(logs, "pairing code refused") || !strings.Contains(logs, "session="+sess.ID) {
		t.Errorf("the log misses the pairing lines:\n%s", logs)
	}
	for _, secret := range []string{c.Value, p.Code, strings.ReplaceAll(p.Code, "-", ""), p2.Code, strings.ReplaceAll(p2.Code, "-", ""), pairToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret %q:\n%s", secret, logs)
		}
	}
}

// TestPairingLoopbackAndRequireToken: with a token, a client on this
// machine naming a loopback Host needs none (as on a loopback-only pb),
// unless require_token; a session never stands in for a foreign Host.
func TestPairingLoopbackAndRequireToken(t *testing.T) {
	clk := &pairClock{t: fixedNow}
	var log logbuf.Buffer
	h := pairFixture(t, nil, clk, &log).Handler()
	if rec := req(t, h, "GET", "/api/today", "", "RemoteAddr", "127.0.0.1:5000", "Host", "127.0.0.1:7373"); rec.Code != http.StatusOK {
		t.Errorf("loopback client: %d, want 200", rec.Code)
	}
	if rec := req(t, h, "POST", "/api/pair", "", "RemoteAddr", "127.0.0.1:5000", "Host", "localhost:7373", "Sec-Fetch-Site", "same-origin"); rec.Code != http.StatusCreated {
		t.Errorf("the dashboard on loopback makes a code: %d %s", rec.Code, rec.Body)
	}
	// A loopback peer naming the network address (a proxy forwarding with
	// the original Host) is not trusted.
	if rec := req(t, h, "GET", "/api/today", "", "RemoteAddr", "127.0.0.1:5000"); rec.Code != http.StatusUnauthorized {
		t.Errorf("loopback peer with the network Host: %d, want 401", rec.Code)
	}
	h = pairFixture(t, nil, clk, &log, func(d *Deps) { d.Settings.RequireToken = true }).Handler()
	if rec := req(t, h, "GET", "/api/today", "", "RemoteAddr", "127.0.0.1:5000", "Host", "127.0.0.1:7373"); rec.Code != http.StatusUnauthorized {
		t.Errorf("loopback client with require_token: %d, want 401", rec.Code)
	}
	// Without a token (loopback-only pb) pairing is off.
	f := newFixture(t, false, func(d *Deps) { d.Sessions = d.Store.(*store.Store) })
	if rec := do(t, f.srv.Handler(), "POST", "/api/pair"); rec.Code != http.StatusConflict {
		t.Errorf("pairing on a loopback-only pb: %d, want 409", rec.Code)
	}
}

// TestPairingRateLimit: 5 claims a minute per client and 20 in all, wrong
// codes included; the right code is refused while limited; the limit
// lifts after the window.
func TestPairingRateLimit(t *testing.T) {
	clk := &pairClock{t: fixedNow}
	var log logbuf.Buffer
	h := pairFixture(t, nil, clk, &log).Handler()
	p := newPairCode(t, h)
	for i := 0; i < 5; i++ {
		if rec := claim(t, h, "2222-2222"); rec.Code != http.StatusForbidden {
			t.Fatalf("wrong code %d: %d, want 403", i+1, rec.Code)
		}
	}
	rec := claim(t, h, p.Code)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "60" || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("6th attempt (right code): %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// 15 more wrong codes from three other clients reach the total of 20.
	for i := 0; i < 15; i++ {
		addr := []string{"192.0.2.10", "192.0.2.11", "192.0.2.12"}[i/5] + ":1"
		if rec := claim(t, h, "3333-3333", "RemoteAddr", addr); rec.Code != http.StatusForbidden {
			t.Fatalf("other client attempt %d: %d, want 403", i+1, rec.Code)
		}
	}
	if rec := claim(t, h, p.Code, "RemoteAddr", "192.0.2.99:1"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("21st attempt in a minute from a new client: %d, want 429", rec.Code)
	}
	clk.add(61 * time.Second)
	if rec := claim(t, h, p.Code); rec.Code != http.StatusOK {
		t.Fatalf("after the window, the right code: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(log.String(), "too many") {
		t.Error("rate limiting not logged")
	}
}

// TestRevokeEndsStream: an open live stream of a paired browser ends the
// moment its session is revoked (over a real connection).
func TestRevokeEndsStream(t *testing.T) {
	clk := &pairClock{t: fixedNow}
	var log logbuf.Buffer
	srv := pairFixture(t, nil, clk, &log, func(d *Deps) { d.Settings.Host = "127.0.0.1"; d.Settings.RequireToken = true })
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	base := "http://" + srv.Addr()
	do := func(method, path, body string, hdr ...string) *http.Response {
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := do("POST", "/api/pair", "", "Authorization", "Bearer "+pairToken)
	var p pairJSON
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	resp = do("POST", "/api/pair/claim", `{"code":"`+p.Code+`"}`, "Content-Type", "application/json")
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
		t.Fatalf("claim: %d", resp.StatusCode)
	}
	cookie := SessionCookie + "=" + resp.Cookies()[0].Value
	stream := do("GET", "/api/live/stream", "", "Cookie", cookie)
	defer stream.Body.Close()
	if stream.StatusCode != 200 {
		t.Fatalf("stream with the session: %d", stream.StatusCode)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(prefix string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within 5 s", prefix)
			}
		}
	}
	waitLine("event: live")
	start := time.Now()
	resp = do("POST", "/api/sessions/revoke?all=true", "", "Authorization", "Bearer "+pairToken)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	waitLine(`data: {"reason":"session revoked"}`)
	for range lines { // the server closes the stream
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stream ended %v after the revocation", d)
	}
}

// writeCert writes a self-signed certificate and its key.
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{name}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestTLSSessionCookieSecure: with tls_cert and tls_key pb serves HTTPS,
// the pairing URL is https and the session cookie is Secure.
func TestTLSSessionCookieSecure(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "pb")
	clk := &pairClock{t: time.Now()}
	var log logbuf.Buffer
	srv := pairFixture(t, nil, clk, &log, func(d *Deps) {
		d.Settings.Host, d.Settings.TLSCert, d.Settings.TLSKey = "127.0.0.1", cert, key
		d.Settings.RequireToken = true
	})
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(cert)
	pool.AppendCertsFromPEM(b)
	hc := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + srv.Addr()
	r, _ := http.NewRequest("POST", base+"/api/pair", nil)
	r.Header.Set("Authorization", "Bearer "+pairToken)
	resp, err := hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var p pairJSON
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	// HTTP/1.1 even to a client that would take HTTP/2: over HTTP/2 the
	// live stream's write deadline reset idle streams after 10 s.
	if resp.Proto != "HTTP/1.1" {
		t.Errorf("TLS protocol %s, want HTTP/1.1", resp.Proto)
	}
	if !strings.HasPrefix(p.URL, "https://") {
		t.Errorf("pairing URL under TLS: %q", p.URL)
	}
	resp, err = hc.Post(base+"/api/pair/claim", "application/json", strings.NewReader(`{"code":"`+p.Code+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != 200 || !strings.Contains(sc, "; Secure") || !strings.Contains(sc, "; HttpOnly") || !strings.Contains(sc, "; SameSite=Strict") || !strings.Contains(sc, "; Path=/") {
		t.Errorf("claim over TLS: %d, Set-Cookie %q", resp.StatusCode, sc)
	}
	// Plain HTTP to the TLS port does not work.
	if resp, err := http.Get("http://" + srv.Addr() + "/api/health"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
}

// TestTLSFileErrors: each mistake with the certificate files is its own
// sentence, and the server does not start.
func TestTLSFileErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "one")
	_, otherKey := writeCert(t, dir, "two")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	unreadable := filepath.Join(dir, "unreadable.key")
	os.WriteFile(unreadable, []byte("x"), 0o000)
	tests := []struct{ cert, key, want string }{
		{cert, "", "needs both [api] tls_cert and tls_key"},
		{filepath.Join(dir, "missing.crt"), key, "tls_cert " + filepath.Join(dir, "missing.crt") + " does not exist"},
		{cert, filepath.Join(dir, "missing.key"), "tls_key " + filepath.Join(dir, "missing.key") + " does not exist"},
		{garbage, key, "holds no PEM certificate"},
		{cert, garbage, "holds no PEM private key"},
		{cert, otherKey, "is not the private key of the certificate"},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct{ cert, key, want string }{cert, unreadable, "cannot be read by this user"})
	}
	for _, tc := range tests {
		_, err := New(Deps{Store: openStore(t), Settings: Settings{TLSCert: tc.cert, TLSKey: tc.key}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cert %q key %q: %v, want %q", filepath.Base(tc.cert), filepath.Base(tc.key), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "BEGIN") && strings.Contains(err.Error(), "PRIVATE KEY-----\n") {
			t.Errorf("the error holds key material: %v", err)
		}
	}
}

// TestPairURL: the link names what the phone can reach.
func TestPairURL(t *testing.T) {
	for _, tc := range []struct {
		host    string
		allowed []string
		tls     bool
		want    string
	}{
		{"10.9.9.9", nil, false, "http://10.9.9.9:7373/dashboard/pair.html"},
		{"10.9.9.9", nil, true, "https://10.9.9.9:7373/dashboard/pair.html"},
		{"100.101.102.103", []string{"laptop.tail1234.ts.net"}, true, "https://laptop.tail1234.ts.net:7373/dashboard/pair.html"},
		{"127.0.0.1", []string{"pb.example.net"}, false, "https://pb.example.net/dashboard/pair.html"},
		{"127.0.0.1", []string{"pb.example.net:8443"}, true, "https://pb.example.net:8443/dashboard/pair.html"},
		{"127.0.0.1", nil, false, "http://10.9.9.9:7373/dashboard/pair.html"}, // the Host the request named
	} {
		s := &Server{set: Settings{Host: tc.host, Port: 7373, AllowedHosts: tc.allowed}}
		if tc.tls {
			s.set.TLSCert = "cert.pem"
		}
		r := httptest.NewRequest("POST", "/api/pair", nil)
		r.Host = pairHost
		if got := s.pairURL(r); got != tc.want {
			t.Errorf("host %s allowed %v tls %v: %s, want %s", tc.host, tc.allowed, tc.tls, got, tc.want)
		}
	}
}

// TestSessionExpires: a session is refused once its 90 days are over, and
// no longer listed.
func TestSessionExpires(t *testing.T) {
	clk := &pairClock{t: fixedNow}
	var log logbuf.Buffer
	h := pairFixture(t, nil, clk, &log).Handler()
	p := newPairCode(t, h)
	rec := claim(t, h, p.Code)
	if rec.Code != 200 {
		t.Fatalf("claim: %d", rec.Code)
	}
	cookie := SessionCookie + "=" + rec.Result().Cookies()[0].Value
	clk.add(90*24*time.Hour - time.Second)
	if rec := req(t, h, "GET", "/api/today", "", "Cookie", cookie); rec.Code != 200 {
		t.Fatalf("a second before expiry: %d", rec.Code)
	}
	clk.add(time.Second)
	if rec := req(t, h, "GET", "/api/today", "", "Cookie", cookie); rec.Code != 401 {
		t.Errorf("at expiry: %d, want 401", rec.Code)
	}
	rec = req(t, h, "GET", "/api/sessions", "", "Authorization", "Bearer "+pairToken)
	if !strings.Contains(rec.Body.String(), `"sessions":[]`) {
		t.Errorf("expired session listed: %s", rec.Body)
	}
}
