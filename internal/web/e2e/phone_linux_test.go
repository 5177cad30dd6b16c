package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/pgtest"
	pbsync "github.com/packetbuddy/pb/internal/sync"
)

// phoneCert is a self-signed certificate for ip, written to dir, and the
// base64 SHA-256 of its public key (Chromium's
// --ignore-certificate-errors-spki-list trusts exactly that key, as a phone
// trusts a real certificate).
func phoneCert(t *testing.T, dir, ip string) (certFile, keyFile, spki string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(19), Subject: pkix.Name{CommonName: "pb-e2e-19"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, base64.StdEncoding.EncodeToString(sum[:]), pool
}

// TestPhonePairing is a phone (Chromium emulating a 390x844 touch screen)
// using pb serve bound, with TLS, to the address of a veth pair the test
// creates: unpaired, every data request and the live stream are refused
// and the page sends it to pairing; wrong codes and then any code are
// refused once the attempts run out; an expired code is refused; the code
// from the QR link pairs it with a Secure, HttpOnly, SameSite=Strict
// cookie; the dashboard (its numbers equal to the API's), the live stream
// and the fleet page work; the app is installable (manifest, service
// worker controlling the page, icons of the declared sizes); revoking the
// session refuses the next request and ends the open stream at once; and
// with the daemon gone the installed shell shows the last numbers and
// their age. Neither the code nor the session's secret reaches the log.
func TestPhonePairing(t *testing.T) {
	chromium.Find(t)
	lab := netlab.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}

	// The fleet: one other device synced to PostgreSQL.
	pgURL, _ := pgtest.Schema(t)
	_, _ = seedDevice(ctx, t, pgURL, "sofa-laptop-19", "Linux", "Europe/Berlin", time.Now().Truncate(15*time.Minute), map[int]uint64{30: 4_000_000_000})
	fl, err := pbsync.NewFleet(pgURL)
	if err != nil {
		t.Fatal(err)
	}

	st := tempStore(ctx, t)
	fillStore(ctx, t, st, loc, time.Now())
	live := newFakeLive()
	t.Cleanup(live.close)
	live.set(2_500_000, 400_000)

	certFile, keyFile, spki, pool := phoneCert(t, t.TempDir(), lab.HostIP)
	const token = "e2e-19-token-0123456789abcdef"
	var offset atomic.Int64 // the server's clock runs ahead by this much
	var logs logbuf.Buffer
	srv := openServer(t, st, live, loc, lab.HostIP+":0", func(d *api.Deps) {
		d.Token = token
		d.Sessions = st
		d.Fleet = fl
		d.Settings.Host = lab.HostIP
		d.Settings.TLSCert, d.Settings.TLSKey = certFile, keyFile
		d.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	base := "https://" + srv.Addr()
	if !strings.HasPrefix(srv.Addr(), lab.HostIP+":") {
		t.Fatalf("listening on %s, not the veth address %s", srv.Addr(), lab.HostIP)
	}
	// pb pair: the token, over TLS to the veth address.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	call := func(method, path string) (int, []byte) {
		t.Helper()
		r, _ := http.NewRequestWithContext(ctx, method, base+path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	newCode := func() (code, link string) {
		t.Helper()
		st, b := call("POST", "/api/pair")
		var p struct{ Code, URL string }
		if err := json.Unmarshal(b, &p); st != 201 || err != nil {
			t.Fatalf("POST /api/pair: %d %s", st, b)
		}
		if want := base + "/dashboard/pair.html#" + p.Code; p.URL != want {
			t.Fatalf("pairing URL %q, want %q", p.URL, want)
		}
		return p.Code, p.URL
	}

	p, _ := newTab(ctx, t, "--ignore-certificate-errors-spki-list="+spki)
	p.must(ctx, "Emulation.setUserAgentOverride", map[string]any{"userAgent": phoneUA, "platform": "Linux armv8l"}, nil)
	p.viewport(ctx, 390, 844, true, "light")
	p.must(ctx, "Emulation.setTouchEmulationEnabled", map[string]any{"enabled": true, "maxTouchPoints": 5}, nil)
	p.must(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true,
		"screenOrientation": map[string]any{"type": "portraitPrimary", "angle": 0}}, nil)

	// ---- unpaired -----------------------------------------------------------
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the unpaired phone sent to pairing", `location.pathname === '/dashboard/pair.html' && document.getElementById('pair-form') !== null`)
	var refused map[string]int
	p.mustEval(ctx, `(async () => {
		const out = {};
		for (const path of ['today', 'dashboard', 'fleet', 'sessions']) out[path] = (await fetch('../api/' + path)).status;
		out.pair = (await fetch('../api/pair', { method: 'POST' })).status;
		out.stream = await new Promise((resolve) => {
			const es = new EventSource('../api/live/stream');
			es.onmessage = () => { es.close(); resolve(200); };
			es.addEventListener('live', () => { es.close(); resolve(200); });
			es.onerror = () => { const s = es.readyState; es.close(); resolve(s === EventSource.CLOSED ? 401 : -1); };
		});
		return out;
	})()`, &refused)
	for k, v := range refused {
		if v != 401 {
			t.Errorf("unpaired %s: %d, want 401 (refused)", k, v)
		}
	}
	if len(refused) != 6 {
		t.Errorf("unpaired checks: %v", refused)
	}

	// ---- rate limit: five attempts a minute from one client, wrong codes
	// included; the sixth is refused even with the right code ---------------
	code, _ := newCode()
	var statuses []int
	p.mustEval(ctx, fmt.Sprintf(`(async () => {
		const out = [];
		for (const c of ['2222-2222', '3333-3333', '4444-4444', '5555-5555', '6666-6666', %q]) {
			const r = await fetch('../api/pair/claim', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: c }) });
			out.push(r.status);
			if (r.status === 429) out.push(Number(r.headers.get('Retry-After')));
		}
		return out;
	})()`, code), &statuses)
	if fmt.Sprint(statuses) != "[403 403 403 403 403 429 60]" {
		t.Errorf("claims: %v, want five 403, then 429 with Retry-After 60", statuses)
	}
	offset.Add(int64(61 * time.Second)) // the minute passes

	// ---- a wrong code typed into the form -------------------------------------
	p.mustEval(ctx, `(() => { document.getElementById('pair-code').value = 'zzzz-zzzz'; document.getElementById('pair-submit').click(); })()`, nil)
	p.waitTrue(ctx, "the wrong code refused", `document.getElementById('pair-status').classList.contains('is-error') && /wrong, used or expired/.test(document.getElementById('pair-status').textContent)`)

	// ---- an expired code -------------------------------------------------------
	_, expiredLink := newCode()
	offset.Add(int64(5*time.Minute + time.Second))
	openLink(ctx, p, expiredLink)
	p.waitTrue(ctx, "the expired code refused", `/wrong, used or expired/.test(document.getElementById('pair-status').textContent) && location.hash === ''`)
	if c, _ := p.cookies(ctx); len(c) != 0 {
		t.Fatalf("cookies after refused codes: %+v", c)
	}

	// ---- pairing with the QR code's link ------------------------------------------
	okCode, link := newCode()
	openLink(ctx, p, link)
	p.waitTrue(ctx, "the paired phone on the dashboard", `location.pathname === '/dashboard/' && !document.body.classList.contains('is-loading')`)
	cookies, raw := p.cookies(ctx)
	if len(cookies) != 1 {
		t.Fatalf("cookies after pairing: %s", raw)
	}
	ck := cookies[0]
	if ck.Name != api.SessionCookie || !ck.HTTPOnly || !ck.Secure || ck.SameSite != "Strict" || ck.Path != "/" || ck.Domain != lab.HostIP {
		t.Errorf("session cookie: %s", raw)
	}
	if exp := time.Unix(int64(ck.Expires), 0); exp.Before(time.Now().Add(89*24*time.Hour)) || exp.After(time.Now().Add(91*24*time.Hour)) {
		t.Errorf("cookie expires %v, want in 90 days", exp)
	}
	var visible string
	p.mustEval(ctx, `document.cookie`, &visible)
	if strings.Contains(visible, api.SessionCookie) {
		t.Errorf("the session cookie is readable by scripts: %q", visible)
	}

	// The dashboard's numbers are the API's (read with the token).
	_, tb := call("GET", "/api/today")
	var today struct {
		Total uint64 `json:"total_bytes"`
	}
	if err := json.Unmarshal(tb, &today); err != nil || today.Total == 0 {
		t.Fatalf("/api/today: %s", tb)
	}
	p.waitTrue(ctx, "today's total on the phone", fmt.Sprintf(`document.querySelector('[data-field="today-total"]').dataset.value === '%d'`, today.Total))
	// The live stream: the header goes live and shows the fake speed.
	p.waitTrue(ctx, "the live stream on the phone", `document.getElementById('conn').classList.contains('is-live') && document.querySelector('[data-field="live-rx"]').dataset.value === '2500000'`)
	// No Pair button off loopback.
	var pairBtn bool
	p.mustEval(ctx, `document.getElementById('pair-open') !== null`, &pairBtn)
	if pairBtn {
		t.Error("the Pair a phone button shows on the phone")
	}
	// The page fits the phone: nothing wider than the screen.
	var scrollW int
	p.mustEval(ctx, `document.documentElement.scrollWidth`, &scrollW)
	if scrollW > 390 {
		t.Errorf("the dashboard is %d px wide on a 390 px phone", scrollW)
	}

	// The session is listed, named after the phone.
	_, sb := call("GET", "/api/sessions")
	var sl struct {
		Sessions []struct {
			ID, Name string
		} `json:"sessions"`
	}
	if err := json.Unmarshal(sb, &sl); err != nil || len(sl.Sessions) != 1 || sl.Sessions[0].Name != "Android · Chrome" {
		t.Fatalf("/api/sessions: %s", sb)
	}

	// ---- installable -------------------------------------------------------------
	checkInstallable(ctx, t, p, base)

	// A 390 px picture for the README.
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the dashboard again", `!document.body.classList.contains('is-loading') && document.getElementById('conn').classList.contains('is-live')`)
	settle(ctx, p)
	p.must(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}, nil)
	time.Sleep(3 * time.Second) // a few seconds of the live chart
	p.waitTrue(ctx, "live before the picture", `document.getElementById('conn').classList.contains('is-live')`)
	shot := filepath.Join(chromium.ArtifactDir(t), "phone-390.png")
	p.viewportShot(ctx, shot)
	if os.Getenv("PB_UPDATE_SCREENSHOT") == "1" {
		b, err := os.ReadFile(shot)
		if err != nil || len(b) > 300<<10 {
			t.Fatalf("phone screenshot: %v, %d bytes (keep it under 300 KB)", err, len(b))
		}
		if err := os.WriteFile(filepath.Join(repoRoot(t), "docs", "screenshot-phone.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := os.Open(shot); err == nil {
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 390 {
			t.Errorf("phone screenshot is %d px wide (%v), want 390", cfg.Width, err)
		}
	}

	// ---- the fleet page with the session --------------------------------------------
	p.navigate(ctx, base+"/dashboard/fleet.html")
	p.waitTrue(ctx, "the fleet page on the phone", `document.body.dataset.ready === 'true' && [...document.querySelectorAll('#device-rows th')].some((th) => th.textContent === 'sofa-laptop-19')`)

	// ---- revocation: at once, the open stream included ----------------------------
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the dashboard before revoking", `document.getElementById('conn').classList.contains('is-live')`)
	p.mustEval(ctx, `(() => {
		window.__closed = null;
		window.__es = new EventSource('../api/live/stream');
		window.__es.addEventListener('close', (e) => { window.__closed = e.data; window.__es.close(); });
		window.__live = 0;
		window.__es.addEventListener('live', () => { window.__live++; });
	})()`, nil)
	p.waitTrue(ctx, "the test's own stream running", `window.__live > 0`)
	if st, b := call("POST", "/api/sessions/revoke?id="+sl.Sessions[0].ID); st != 200 {
		t.Fatalf("revoke: %d %s", st, b)
	}
	var after int
	p.mustEval(ctx, `fetch('../api/today').then((r) => r.status)`, &after)
	if after != 401 {
		t.Errorf("the first request after revoking: %d, want 401", after)
	}
	p.waitTrue(ctx, "the open stream ended by the revocation", `window.__closed === '{"reason":"session revoked"}'`)
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the revoked phone sent to pairing", `location.pathname === '/dashboard/pair.html'`)
	// The used code does not pair it again.
	openLink(ctx, p, base+"/dashboard/pair.html#"+okCode)
	p.waitTrue(ctx, "the used code refused", `/wrong, used or expired/.test(document.getElementById('pair-status').textContent)`)

	// ---- offline: the installed shell shows the last numbers and their age -----------
	_, link = newCode()
	openLink(ctx, p, link)
	p.waitTrue(ctx, "paired again", `location.pathname === '/dashboard/' && document.querySelector('[data-field="today-total"]').dataset.value !== undefined && navigator.serviceWorker.controller !== null`)
	var todayText string
	p.mustEval(ctx, `document.querySelector('[data-field="today-total"]').textContent`, &todayText)
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	if err := srv.stop(sctx); err != nil {
		t.Fatal(err)
	}
	scancel()
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the offline shell with the last numbers", `!document.getElementById('offline').hidden && document.getElementById('offline-last') !== null`)
	var offlineText string
	p.mustEval(ctx, `document.getElementById('offline-last').textContent`, &offlineText)
	if !strings.Contains(offlineText, todayText+" in all") || !strings.Contains(offlineText, "e2e-host") || !strings.Contains(offlineText, "just now") {
		t.Errorf("offline banner %q: want today's %q, the host and the age", offlineText, todayText)
	}
	p.viewportShot(ctx, filepath.Join(chromium.ArtifactDir(t), "phone-390-offline.png"))

	// ---- nothing secret in the log -------------------------------------------------------
	lg := logs.String()
	if !strings.Contains(lg, "browser paired") || !strings.Contains(lg, "sessions revoked") {
		t.Errorf("the log misses pairing lines:\n%s", lg)
	}
	for _, secret := range []string{ck.Value, code, okCode, strings.ReplaceAll(okCode, "-", ""), token} {
		if strings.Contains(lg, secret) {
			t.Errorf("the log holds a secret (%d chars)", len(secret))
		}
	}
}

// openLink opens a pairing link as a scanned QR code does: a new page
// load, even when the tab already shows pair.html (navigating there would
// only change the fragment).
func openLink(ctx context.Context, p *page, link string) {
	p.t.Helper()
	p.navigate(ctx, "about:blank")
	p.navigate(ctx, link)
}

// cdpCookie is one of Network.getCookies' cookies.
type cdpCookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"`
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite"`
}

// cookies are the browser's cookies, and their JSON for messages (values
// left out).
func (p *page) cookies(ctx context.Context) ([]cdpCookie, string) {
	p.t.Helper()
	var res struct {
		Cookies []cdpCookie `json:"cookies"`
	}
	p.must(ctx, "Network.getCookies", nil, &res)
	var shown []cdpCookie
	for _, c := range res.Cookies {
		c.Value = fmt.Sprintf("(%d chars)", len(c.Value))
		shown = append(shown, c)
	}
	b, _ := json.Marshal(shown)
	return res.Cookies, string(b)
}

// checkInstallable is what Lighthouse's installability audit checks, asked
// of Chromium itself: no installability errors; the manifest's fields; a
// service worker that controls the page; every icon fetchable with its
// declared type and size.
func checkInstallable(ctx context.Context, t *testing.T, p *page, base string) {
	t.Helper()
	p.waitTrue(ctx, "a service worker controlling the page", `navigator.serviceWorker.controller !== null`)
	var errs struct {
		InstallabilityErrors []struct {
			ErrorID string `json:"errorId"`
		} `json:"installabilityErrors"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.must(ctx, "Page.getInstallabilityErrors", nil, &errs)
		if len(errs.InstallabilityErrors) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(errs.InstallabilityErrors) != 0 {
		t.Errorf("installability errors: %+v", errs.InstallabilityErrors)
	}
	var am struct {
		URL    string `json:"url"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Data string `json:"data"`
	}
	p.must(ctx, "Page.getAppManifest", nil, &am)
	if am.URL != base+"/dashboard/manifest.webmanifest" || len(am.Errors) != 0 {
		t.Errorf("manifest %s: %+v", am.URL, am.Errors)
	}
	var mf struct {
		Name, ShortName, StartURL, Scope, Display string
		Icons                                     []struct{ Src, Sizes, Type, Purpose string }
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(strings.NewReplacer(`"short_name"`, `"ShortName"`, `"start_url"`, `"StartURL"`).Replace(am.Data))))
	if err := dec.Decode(&mf); err != nil {
		t.Fatal(err)
	}
	if mf.Name != "PacketBuddy" || mf.ShortName != "PacketBuddy" || mf.StartURL != "./" || mf.Display != "standalone" || len(mf.Icons) < 3 {
		t.Errorf("manifest fields: %+v", mf)
	}
	var sw struct {
		Scope, Script string
		Controlled    bool
	}
	p.mustEval(ctx, `navigator.serviceWorker.getRegistration().then((r) => ({ Scope: r.scope, Script: r.active && r.active.scriptURL, Controlled: navigator.serviceWorker.controller !== null }))`, &sw)
	if sw.Scope != base+"/dashboard/" || sw.Script != base+"/dashboard/sw.js" || !sw.Controlled {
		t.Errorf("service worker: %+v", sw)
	}
	pngs := 0
	for _, ic := range mf.Icons {
		var got struct {
			Status        int
			Type          string
			Width, Height int
		}
		p.mustEval(ctx, fmt.Sprintf(`(async () => {
			const r = await fetch(new URL(%q, %q));
			const b = await r.blob();
			const type = r.headers.get('Content-Type');
			if (type.startsWith('image/svg+xml')) {
				// Drawn at any size: decoded as an image, not a bitmap.
				const img = new Image();
				img.src = r.url; // the page's CSP allows images from itself, not blob:
				await img.decode();
				return { Status: r.status, Type: type, Width: img.naturalWidth > 0 ? -1 : 0, Height: 0 };
			}
			const bm = await createImageBitmap(b);
			return { Status: r.status, Type: type, Width: bm.width, Height: bm.height };
		})()`, ic.Src, base+"/dashboard/"), &got)
		if got.Status != 200 || !strings.HasPrefix(got.Type, ic.Type) {
			t.Errorf("icon %s: %d %s, want %s", ic.Src, got.Status, got.Type, ic.Type)
		}
		if ic.Sizes == "any" && got.Width != -1 {
			t.Errorf("icon %s does not decode as an image", ic.Src)
		}
		if ic.Sizes != "any" {
			pngs++
			if want := fmt.Sprintf("%dx%d", got.Width, got.Height); want != ic.Sizes {
				t.Errorf("icon %s is %s, the manifest says %s", ic.Src, want, ic.Sizes)
			}
		}
	}
	if pngs < 2 {
		t.Errorf("only %d sized icons in the manifest", pngs)
	}
}
