package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/store"
)

// Paired sessions (pb pair): a phone that entered a pairing code holds a
// session cookie that authorises it like the bearer token, except that it
// cannot make pairing codes. Only the SHA-256 of the cookie's secret is
// stored (SessionStore), so the sessions survive a restart and a copy of
// the database signs nobody in. The server keeps the live sessions in
// memory, so a request costs one hash and a map look-up, and a revocation
// takes effect at the next request (and ends an open live stream).

// SessionCookie is the name of the session cookie.
const SessionCookie = "pb_session"

// Defaults of the pairing settings.
const (
	DefaultPairCodeTTL = 5 * time.Minute
	DefaultSessionTTL  = 90 * 24 * time.Hour
)

// SessionStore keeps paired sessions; *store.Store satisfies it.
type SessionStore interface {
	AddSession(ctx context.Context, s store.Session) error
	Sessions(ctx context.Context, now time.Time) ([]store.Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSessions(ctx context.Context, ids ...string) (int64, error)
}

var _ SessionStore = (*store.Store)(nil)

// touchEvery is how often a session's last use is written to the store.
const touchEvery = 5 * time.Minute

// liveSession is a session the server accepts; done is closed when it is
// revoked.
type liveSession struct {
	store.Session
	touched time.Time
	done    chan struct{}
}

// sessionSet is the server's sessions by hash of their secret.
type sessionSet struct {
	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*liveSession
}

// loadSessions reads the stored sessions (expired ones are dropped).
func (s *Server) loadSessions(ctx context.Context) error {
	s.sessions.byHash = map[[sha256.Size]byte]*liveSession{}
	if s.d.Sessions == nil {
		return nil
	}
	list, err := s.d.Sessions.Sessions(ctx, s.now())
	if err != nil {
		return fmt.Errorf("api: load sessions: %w", err)
	}
	for _, ss := range list {
		if len(ss.Hash) != sha256.Size {
			continue
		}
		s.sessions.byHash[[sha256.Size]byte(ss.Hash)] = &liveSession{Session: ss, touched: ss.LastSeen, done: make(chan struct{})}
	}
	return nil
}

// sessionFor returns the live session whose secret the request's cookie
// holds, nil when there is none (no cookie, unknown, revoked or expired).
func (s *Server) sessionFor(r *http.Request) *liveSession {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	h := sha256.Sum256([]byte(c.Value))
	now := s.now()
	s.sessions.mu.Lock()
	ls := s.sessions.byHash[h]
	if ls == nil {
		s.sessions.mu.Unlock()
		return nil
	}
	if !now.Before(ls.Expires) {
		delete(s.sessions.byHash, h)
		close(ls.done)
		s.sessions.mu.Unlock()
		return nil
	}
	touch := now.Sub(ls.touched) >= touchEvery
	if touch {
		ls.touched = now
		ls.LastSeen = now
	}
	s.sessions.mu.Unlock()
	if touch && s.d.Sessions != nil {
		if err := s.d.Sessions.TouchSession(r.Context(), ls.ID, now); err != nil && r.Context().Err() == nil {
			s.log.Warn("session last use not saved", "session", ls.ID, "err", err)
		}
	}
	return ls
}

// newSession creates, stores and admits a session; it returns the secret
// for the cookie.
func (s *Server) newSession(ctx context.Context, name string) (*liveSession, string, error) {
	if s.d.Sessions == nil {
		return nil, "", errors.New("no session store")
	}
	secret := make([]byte, 32)
	id := make([]byte, 6)
	if _, err := rand.Read(secret); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(id); err != nil {
		return nil, "", err
	}
	val := base64.RawURLEncoding.EncodeToString(secret)
	h := sha256.Sum256([]byte(val))
	now := s.now().Truncate(time.Second)
	ss := store.Session{ID: hex.EncodeToString(id), Hash: h[:], Name: name, Created: now, LastSeen: now, Expires: now.Add(s.set.SessionTTL)}
	if err := s.d.Sessions.AddSession(ctx, ss); err != nil {
		return nil, "", err
	}
	ls := &liveSession{Session: ss, touched: now, done: make(chan struct{})}
	s.sessions.mu.Lock()
	s.sessions.byHash[h] = ls
	s.sessions.mu.Unlock()
	return ls, val, nil
}

// revokeSessions ends the sessions with the given ids (all when all is
// set): they are refused from now on and their live streams end. It
// returns the ids revoked.
func (s *Server) revokeSessions(ctx context.Context, all bool, ids ...string) ([]string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var done []string
	s.sessions.mu.Lock()
	for h, ls := range s.sessions.byHash {
		if all || want[ls.ID] {
			delete(s.sessions.byHash, h)
			close(ls.done)
			done = append(done, ls.ID)
		}
	}
	s.sessions.mu.Unlock()
	if s.d.Sessions != nil && len(done) > 0 {
		var err error
		if all {
			_, err = s.d.Sessions.DeleteSessions(ctx)
		} else {
			_, err = s.d.Sessions.DeleteSessions(ctx, done...)
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// sessionCookie is the Set-Cookie for a session secret ("" with maxAge < 0
// clears it). Secure when the request came over TLS, or through a proxy on
// this machine that says so.
func sessionCookie(r *http.Request, val string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     SessionCookie,
		Value:    val,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   requestIsTLS(r),
		MaxAge:   int(maxAge / time.Second),
	}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	return c
}

// requestIsTLS reports whether the browser talks to pb over TLS: directly,
// or through a reverse proxy on this machine (a loopback peer) that sends
// X-Forwarded-Proto: https.
func requestIsTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return peerIsLoopback(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// peerIsLoopback reports whether the request's connection comes from this
// machine's loopback.
func peerIsLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostIsLoopback reports whether the request's Host names loopback.
func hostIsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return isLoopbackHost(strings.TrimSuffix(host, "."))
}

// sameOrigin is the CSRF check for state changes made with a session
// cookie: the browser must say the request comes from this origin
// (Sec-Fetch-Site: same-origin, or an Origin naming this host or a
// configured allowed origin). A request that says neither is refused:
// every browser that can hold the cookie sends one of them on a POST.
func (s *Server) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	if s.originAllowed(o) {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// sessionKey is the context key of the request's session.
type sessionKey struct{}

// sessionOf is the session a request was authorised by, nil for the token
// or loopback.
func sessionOf(r *http.Request) *liveSession {
	ls, _ := r.Context().Value(sessionKey{}).(*liveSession)
	return ls
}

// sessionJSON is one session in GET /api/sessions.
type sessionJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created_at"`
	LastSeen time.Time `json:"last_seen_at"`
	Expires  time.Time `json:"expires_at"`
	Current  bool      `json:"current"`
}

// handleSessions is GET /api/sessions: the paired sessions, oldest first.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) error {
	cur := sessionOf(r)
	now := s.now()
	out := struct {
		Sessions []sessionJSON `json:"sessions"`
	}{Sessions: []sessionJSON{}}
	s.sessions.mu.Lock()
	for _, ls := range s.sessions.byHash {
		if !now.Before(ls.Expires) {
			continue
		}
		out.Sessions = append(out.Sessions, sessionJSON{ID: ls.ID, Name: ls.Name, Created: ls.Created.In(s.loc),
			LastSeen: ls.LastSeen.In(s.loc), Expires: ls.Expires.In(s.loc), Current: cur == ls})
	}
	s.sessions.mu.Unlock()
	sortSessions(out.Sessions)
	return writeJSON(w, out)
}

func sortSessions(l []sessionJSON) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && (l[j].Created.Before(l[j-1].Created) || l[j].Created.Equal(l[j-1].Created) && l[j].ID < l[j-1].ID); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

// handleRevoke is POST /api/sessions/revoke?id=ID (or all=true): the
// sessions are refused from this moment, their live streams end.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id, allS := q.Get("id"), q.Get("all")
	all := false
	switch allS {
	case "", "false", "0":
	case "true", "1":
		all = true
	default:
		return badRequest("all must be true or false, not %s.", quoteParam(allS))
	}
	if all == (id != "") {
		return badRequest("Name one session with id=ID (pb sessions lists them), or revoke every one with all=true.")
	}
	cur := sessionOf(r)
	done, err := s.revokeSessions(r.Context(), all, id)
	if err != nil {
		return err
	}
	if !all && len(done) == 0 {
		return errorf(http.StatusNotFound, "There is no session %s; pb sessions lists them.", quoteParam(id))
	}
	if cur != nil {
		for _, d := range done {
			if d == cur.ID {
				http.SetCookie(w, sessionCookie(r, "", -1))
			}
		}
	}
	s.log.Info("sessions revoked", "count", len(done), "ids", strings.Join(done, ","))
	if done == nil {
		done = []string{}
	}
	return writeJSON(w, struct {
		Revoked []string `json:"revoked"`
	}{done})
}

// deviceName is a short name for a paired browser, from its User-Agent:
// "Android · Chrome". It is only a label in the session list.
func deviceName(ua string) string {
	os := ""
	for _, c := range []struct{ in, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, c.in) {
			os = c.name
			break
		}
	}
	br := ""
	for _, c := range []struct{ in, name string }{
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"Edg", "Edge"}, {"SamsungBrowser/", "Samsung Internet"},
		{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, c.in) {
			br = c.name
			break
		}
	}
	switch {
	case os != "" && br != "":
		return os + " · " + br
	case os != "" || br != "":
		return os + br
	}
	return "browser"
}
