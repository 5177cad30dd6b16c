package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Pairing codes: pb pair (or the dashboard's "Pair a phone" on this
// machine) asks for one; the phone opens /dashboard/pair.html#CODE, which
// posts it to /api/pair/claim and receives the session cookie. A code is
// eight characters from an alphabet without look-alikes (about 2^39
// values), used once, valid PairCodeTTL; only its SHA-256 is held. Claims
// are rate limited per client address and in total, wrong codes included,
// so guessing is hopeless within a code's few minutes.

// codeAlphabet has no 0/O, 1/I/L.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	codeLen = 8
	// maxCodes is how many codes may be open at once; a new one replaces
	// the oldest.
	maxCodes = 5
)

// Claim rate limits: attempts per client address and in total per
// claimWindow (variables so tests can count them).
var (
	claimWindow    = time.Minute
	claimPerClient = 5
	claimTotal     = 20
)

type pairCode struct {
	hash    [sha256.Size]byte
	expires time.Time
}

// pairing holds the open codes and the claim rate limiter.
type pairing struct {
	mu       sync.Mutex
	codes    []pairCode
	attempts map[netip.Addr][]time.Time
	total    []time.Time
}

// normalizeCode upper-cases a typed code and drops spaces and dashes.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if c == ' ' || c == '-' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatCode shows a code as ABCD-EFGH.
func formatCode(c string) string { return c[:4] + "-" + c[4:] }

func newCode() (string, error) {
	b := make([]byte, codeLen)
	out := make([]byte, codeLen)
	for i := 0; i < codeLen; {
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		for _, x := range b {
			// Rejection sampling: no bias towards the first letters.
			if int(x) >= 256-256%len(codeAlphabet) || i == codeLen {
				continue
			}
			out[i] = codeAlphabet[int(x)%len(codeAlphabet)]
			i++
		}
	}
	return string(out), nil
}

// add opens a new code valid until expires.
func (p *pairing) add(code string, now, expires time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
	if len(p.codes) >= maxCodes {
		p.codes = p.codes[1:]
	}
	p.codes = append(p.codes, pairCode{hash: sha256.Sum256([]byte(code)), expires: expires})
}

// prune drops expired codes and old attempts; p.mu is held.
func (p *pairing) prune(now time.Time) {
	live := p.codes[:0]
	for _, c := range p.codes {
		if now.Before(c.expires) {
			live = append(live, c)
		}
	}
	p.codes = live
	cut := now.Add(-claimWindow)
	p.total = dropBefore(p.total, cut)
	for a, ts := range p.attempts {
		if ts = dropBefore(ts, cut); len(ts) == 0 {
			delete(p.attempts, a)
		} else {
			p.attempts[a] = ts
		}
	}
}

func dropBefore(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

// claim counts an attempt from client and, when within the limits, uses
// up the code if it is open. retry > 0 means the attempt was refused by
// the rate limit (and is the wait in seconds).
func (p *pairing) claim(client netip.Addr, code string, now time.Time) (ok bool, retry int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
	if p.attempts == nil {
		p.attempts = map[netip.Addr][]time.Time{}
	}
	mine := p.attempts[client]
	if len(mine) >= claimPerClient || len(p.total) >= claimTotal {
		oldest := p.total[0]
		if len(mine) >= claimPerClient {
			oldest = mine[0]
		}
		return false, max(1, int(oldest.Add(claimWindow).Sub(now).Seconds()+0.999))
	}
	p.attempts[client] = append(mine, now)
	p.total = append(p.total, now)
	h := sha256.Sum256([]byte(code))
	for i, c := range p.codes {
		if subtle.ConstantTimeCompare(h[:], c.hash[:]) == 1 {
			p.codes = append(p.codes[:i], p.codes[i+1:]...)
			return true, 0
		}
	}
	return false, 0
}

// pairJSON is POST /api/pair's answer.
type pairJSON struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	ExpiresIn int       `json:"expires_in_seconds"`
	// QR is the URL as a QR code, a PNG data: URL for the dashboard.
	QR string `json:"qr_png"`
}

// handlePair is POST /api/pair: a new pairing code and the URL to open on
// the phone. Only this machine's user makes codes (the token, or the
// dashboard on loopback), never a paired session; and only when pb demands
// authorisation at all (listening beyond loopback, or [api]
// require_token), since otherwise there is nothing to pair.
func (s *Server) handlePair(w http.ResponseWriter, r *http.Request) error {
	if sessionOf(r) != nil {
		return errorf(http.StatusForbidden, "A paired browser cannot pair others: run pb pair, or use the dashboard, on the computer running pb.")
	}
	if s.d.Token == "" || s.d.Sessions == nil {
		return errorf(http.StatusConflict, "Pairing is for a pb reachable from other devices: set [api] host to an address your phone can reach (or require_token = true behind a reverse proxy) and restart pb serve.")
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	now := s.now()
	exp := now.Add(s.set.PairCodeTTL)
	s.pair.add(code, now, exp)
	u := s.pairURL(r) + "#" + formatCode(code)
	png, err := qrcode.Encode(u, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	b, err := marshal(pairJSON{Code: formatCode(code), URL: u, ExpiresAt: exp.In(s.loc).Truncate(time.Second),
		ExpiresIn: int(s.set.PairCodeTTL / time.Second), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
	if err != nil {
		return err
	}
	s.log.Info("pairing code made", "valid_for", s.set.PairCodeTTL.String())
	h := w.Header()
	h["Content-Type"] = hContentJSON
	h["Cache-Control"] = hNoStore // the code is a secret for its few minutes
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
	return nil
}

// pairURL is the page a phone opens. On the first allowed host name when
// there is one (a private network's or a reverse proxy's name): with its
// port if it has one; without one, behind a proxy (pb on loopback) the
// proxy's https default, else pb's own port. Otherwise on the address pb
// listens on, or (listening on all addresses) this machine's first
// private address.
func (s *Server) pairURL(r *http.Request) string {
	scheme := "http"
	if s.set.TLSCert != "" {
		scheme = "https"
	}
	s.hostMu.RLock()
	port, bind := s.port, s.set.Host
	s.hostMu.RUnlock()
	if port == 0 {
		port = s.set.Port
	}
	const page = "/dashboard/pair.html"
	var host string
	switch ip := net.ParseIP(strings.Trim(bind, "[]")); {
	case len(s.set.AllowedHosts) > 0:
		host = strings.TrimSpace(s.set.AllowedHosts[0])
		if _, _, err := net.SplitHostPort(host); err == nil {
			return scheme + "://" + host + page
		}
		if isLoopbackHost(bind) {
			return "https://" + host + page
		}
	case ip != nil && !ip.IsUnspecified() && !ip.IsLoopback():
		host = ip.String()
	case firstPrivateAddr() != "" && (bind == "" || ip != nil && ip.IsUnspecified()):
		host = firstPrivateAddr()
	default:
		host = r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port)) + page
}

// firstPrivateAddr is this machine's first private IPv4 address, else its
// first global one, "" when it has none.
func firstPrivateAddr() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	other := ""
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.IsPrivate() {
			return n.IP.String()
		}
		if other == "" {
			other = n.IP.String()
		}
	}
	return other
}

// handleClaim is POST /api/pair/claim {"code": "ABCD-EFGH"}: a right,
// unexpired, unused code is exchanged for a session cookie. It needs no
// authorisation (that is its point) but is rate limited; the code is never
// logged.
func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) error {
	if s.d.Token == "" || s.d.Sessions == nil {
		return errorf(http.StatusConflict, "Pairing is off: this pb does not demand authorisation (it listens on loopback only).")
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil {
		return badRequest("Send the pairing code as JSON: {\"code\": \"ABCD-EFGH\"}.")
	}
	code := normalizeCode(in.Code)
	client := clientAddr(r)
	ok, retry := s.pair.claim(client, code, s.now())
	if retry > 0 {
		s.log.Warn("pairing attempts refused: too many", "client", client.String())
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		return errorf(http.StatusTooManyRequests, "Too many pairing attempts; wait %d seconds and try again.", retry)
	}
	if !ok {
		s.log.Warn("pairing code refused", "client", client.String())
		return errorf(http.StatusForbidden, "That code is wrong, used or expired: run pb pair again for a new one.")
	}
	ls, secret, err := s.newSession(r.Context(), deviceName(r.UserAgent()))
	if err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie(r, secret, s.set.SessionTTL))
	s.log.Info("browser paired", "session", ls.ID, "name", ls.Name, "client", client.String())
	return writeJSON(w, sessionJSON{ID: ls.ID, Name: ls.Name, Created: ls.Created.In(s.loc), LastSeen: ls.LastSeen.In(s.loc),
		Expires: ls.Expires.In(s.loc), Current: true})
}

// clientAddr is the request's peer address (the proxy's, behind one).
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
