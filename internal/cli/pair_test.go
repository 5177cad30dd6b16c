package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/store"
)

// pairDaemon serves the API of dataDir's store on 127.0.0.1 with the
// token in dataDir (as pb serve does with require_token), optionally over
// TLS; it returns the port.
func pairDaemon(t *testing.T, dataDir, certFile, keyFile string) string {
	t.Helper()
	tok, err := api.EnsureToken(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := api.New(api.Deps{Store: st, Sessions: st, Token: tok,
		Settings: api.Settings{Host: "127.0.0.1", RequireToken: true, TLSCert: certFile, TLSKey: keyFile}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	_, port, _ := net.SplitHostPort(srv.Addr())
	return port
}

// TestPairAndSessions: pb pair makes a code through the running daemon;
// the code pairs a browser; pb sessions lists it and revokes it (by id and
// all), after which the browser is refused.
func TestPairAndSessions(t *testing.T) {
	dir := newDataDir(t, true)
	port := pairDaemon(t, dir, "", "")
	env := map[string]string{"PB_API_PORT": port}

	code, out, errs := runAt(t, env, "pair", "--json", "--data-dir", dir)
	var p pairAnswer
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("pb pair --json: exit %d, %q %q", code, out, errs)
	}
	if !regexp.MustCompile(`^[2-9A-Z]{4}-[2-9A-Z]{4}$`).MatchString(p.Code) || !strings.HasSuffix(p.URL, "/dashboard/pair.html#"+p.Code) || p.ExpiresIn != 300 {
		t.Errorf("pb pair --json: %+v", p)
	}
	// The terminal form: a QR code, the address and the code.
	code, out, _ = runAt(t, env, "pair", "--url", "https://pb.example/", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "█") || !regexp.MustCompile(`Open on the phone:  https://pb\.example/dashboard/pair\.html#[2-9A-Z]{4}-[2-9A-Z]{4}\n`).MatchString(out) ||
		!strings.Contains(out, "or type the code:") {
		t.Fatalf("pb pair: exit %d\n%s", code, out)
	}

	claim := func(c string) (int, string) {
		resp, err := http.Post("http://127.0.0.1:"+port+"/api/pair/claim", "application/json", strings.NewReader(`{"code":"`+c+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Cookies()) == 1 {
			return resp.StatusCode, resp.Cookies()[0].Value
		}
		return resp.StatusCode, ""
	}
	status, secret := claim(p.Code)
	if status != 200 || secret == "" {
		t.Fatalf("claim: %d", status)
	}
	get := func() int {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/api/today", nil)
		r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: secret})
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get() != 200 {
		t.Fatal("the paired browser is refused")
	}

	code, out, errs = runAt(t, env, "sessions", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST USED") || !strings.Contains(lines[1], "Go-http-client") && !strings.Contains(lines[1], "browser") {
		t.Fatalf("pb sessions: exit %d\n%s%s", code, out, errs)
	}
	id := strings.Fields(lines[1])[0]
	if len(id) != 12 {
		t.Fatalf("session id %q", id)
	}
	if code, _, errs := runAt(t, env, "sessions", "revoke", "000000000000", "--data-dir", dir); code != 1 || !strings.Contains(errs, "There is no session") {
		t.Errorf("revoke unknown: exit %d %q", code, errs)
	}
	if code, _, errs := runAt(t, env, "sessions", "revoke", "--data-dir", dir); code != 2 || !strings.Contains(errs, "name one session") {
		t.Errorf("revoke without id: exit %d %q", code, errs)
	}
	code, out, _ = runAt(t, env, "sessions", "revoke", id, "--data-dir", dir)
	if code != 0 || out != "Revoked session "+id+".\n" {
		t.Errorf("revoke: exit %d %q", code, out)
	}
	if get() != 401 {
		t.Error("the revoked browser is still served")
	}
	if code, out, _ = runAt(t, env, "sessions", "--data-dir", dir); code != 0 || out != "No paired browsers; pb pair pairs one.\n" {
		t.Errorf("pb sessions after revoking: %q", out)
	}
	// revoke --all
	_, out, _ = runAt(t, env, "pair", "--json", "--data-dir", dir)
	json.Unmarshal([]byte(out), &p)
	if status, _ := claim(p.Code); status != 200 {
		t.Fatal("second claim")
	}
	if code, out, _ = runAt(t, env, "sessions", "revoke", "--all", "--json", "--data-dir", dir); code != 0 || !regexp.MustCompile(`"revoked": \[\s*"[0-9a-f]{12}"\s*\]`).MatchString(out) {
		t.Errorf("revoke --all: exit %d %q", code, out)
	}
}

// TestPairOverTLS: with [api] tls_cert the CLI talks HTTPS to the daemon
// and accepts exactly that certificate, whatever address it dials.
func TestPairOverTLS(t *testing.T) {
	dir := newDataDir(t, true)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "pb.home.arpa"}, DNSNames: []string{"pb.home.arpa"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	port := pairDaemon(t, dir, cert, keyFile)
	env := map[string]string{"PB_API_PORT": port, "PB_API_TLS_CERT": cert, "PB_API_TLS_KEY": keyFile}
	code, out, errs := runAt(t, env, "pair", "--json", "--data-dir", dir)
	var p pairAnswer
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("pb pair over TLS: exit %d %q %q", code, out, errs)
	}
	// Another certificate in the config: refused.
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der2, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &otherKey.PublicKey, otherKey)
	other := filepath.Join(dir, "other.pem")
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der2}), 0o600)
	env["PB_API_TLS_CERT"] = other
	if code, _, errs := runAt(t, env, "pair", "--json", "--data-dir", dir); code == 0 || !strings.Contains(errs, "not running") && !strings.Contains(errs, "certificate") {
		t.Errorf("pb pair with the wrong pinned certificate: exit %d %q", code, errs)
	}
}
