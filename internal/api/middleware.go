package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
)

// Content-Security-Policy values. The API answers JSON and text only, so it
// allows nothing; the dashboard loads its own files only.
const (
	cspAPI       = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	cspDashboard = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// middleware wraps the mux in the security layers, outermost first:
// panic recovery, security headers, the Host check (DNS rebinding), CORS
// (before the token check, since preflights carry no credentials), the
// token, cross-site protection of state changes, and the body limit.
func (s *Server) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.set.AllowedOrigins {
		// Validated in New.
		_ = cop.AddTrustedOrigin(strings.TrimRight(o, "/"))
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusForbidden, "Cross-site request refused: state-changing requests must come from PacketBuddy's own pages or a configured allowed origin.")
	}))
	h := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "The request body is too large (more than 1 MiB).")
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	}))
	h = s.auth(h)
	h = s.cors(h)
	h = s.checkHost(h)
	h = securityHeaders(h)
	return s.recoverer(h)
}

// recoverer turns a panic into a logged 500 instead of a dropped
// connection, so one bad request cannot hide behind a generic failure.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as documented
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "err", fmt.Errorf("panic: %v", v), "stack", string(debug.Stack()))
				writeJSONError(w, http.StatusInternalServerError, "Internal error: the request could not be completed; the daemon log has the details.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Header values shared by every response. They are assigned to the header
// map directly (no per-request allocation); Header.Add on them would append
// into a new array since each has len == cap, so sharing is safe.
var (
	hNosniff     = []string{"nosniff"}
	hNoReferrer  = []string{"no-referrer"}
	hDeny        = []string{"DENY"}
	hSameOrigin  = []string{"same-origin"}
	hCSPAPI      = []string{cspAPI}
	hCSPDash     = []string{cspDashboard}
	hVaryOrigin  = []string{"Origin"}
	hNoStore     = []string{"no-store"}
	hContentJSON = []string{ctJSON}
)

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hNosniff
		h["Referrer-Policy"] = hNoReferrer
		h["X-Frame-Options"] = hDeny
		h["Cross-Origin-Resource-Policy"] = hSameOrigin
		if strings.HasPrefix(r.URL.Path, "/dashboard/") {
			h["Content-Security-Policy"] = hCSPDash
		} else {
			h["Content-Security-Policy"] = hCSPAPI
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses requests whose Host is not one of this server's own
// names. A DNS-rebinding page (evil.example resolving to 127.0.0.1) makes
// the browser send Host: evil.example, which is refused here before any data
// is read.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeJSONError(w, http.StatusForbidden, "Host "+quoteParam(r.Host)+" is not allowed: open PacketBuddy as http://127.0.0.1 or http://localhost with its port, or add the name to [api] allowed_hosts.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed decides the Host check. Accepted: localhost and loopback IP
// literals with the server's port; the listen address itself; any IP
// literal when listening on all addresses (an IP literal cannot be
// rebound); and the configured allowed hosts, with or without a port.
//
// The decision for the last accepted value is remembered: every request of
// a client carries the same Host, and parsing it (lower-casing, splitting,
// parsing the IP) was a sixth of the instructions of a cached /api/today.
func (s *Server) hostAllowed(hostport string) bool {
	gen := s.hostGen.Load()
	if d := s.hostOK.Load(); d != nil && d.host == hostport && d.gen == gen {
		return true
	}
	if !s.decideHost(hostport) {
		return false
	}
	s.hostOK.Store(&hostDecision{host: hostport, gen: gen})
	return true
}

// hostDecision is an accepted Host value and the hostGen it was decided in.
type hostDecision struct {
	host string
	gen  uint64
}

// decideHost is hostAllowed without the memory.
func (s *Server) decideHost(hostport string) bool {
	if hostport == "" {
		return false
	}
	hostport = strings.ToLower(hostport)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	for _, a := range s.set.AllowedHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == hostport || a == host || strings.Trim(a, "[]") == host {
			return true
		}
	}
	s.hostMu.RLock()
	ownPort, bind := s.port, s.set.Host
	s.hostMu.RUnlock()
	if ownPort != 0 {
		switch {
		case port == strconv.Itoa(ownPort):
		case port == "" && ownPort == 80:
		default:
			return false
		}
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	bindIP := net.ParseIP(strings.Trim(bind, "[]"))
	return bind == "" || bindIP != nil && (bindIP.IsUnspecified() || bindIP.Equal(ip))
}

// cors answers preflights and marks allowed cross-origin responses. There
// is no wildcard: only the configured origins get Access-Control-Allow-
// Origin, echoed, with Vary: Origin so caches keep them apart.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if len(h["Vary"]) == 0 {
			h["Vary"] = hVaryOrigin
		} else {
			h.Add("Vary", "Origin")
		}
		origin := r.Header.Get("Origin")
		allowed := origin != "" && s.originAllowed(origin)
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Content-Disposition")
		}
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				writeJSONError(w, http.StatusForbidden, "Origin "+quoteParam(origin)+" is not allowed; add it to [api] allowed_origins to call the API from that page.")
				return
			}
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) originAllowed(origin string) bool {
	origin = strings.TrimRight(strings.ToLower(origin), "/")
	for _, o := range s.set.AllowedOrigins {
		if strings.TrimRight(strings.ToLower(o), "/") == origin {
			return true
		}
	}
	return false
}

// checkOrigin validates a configured allowed origin: scheme://host[:port]
// and nothing else ("*" and "null" are refused: they would open the API to
// every page or to sandboxed documents).
func checkOrigin(o string) error {
	if o == "*" || strings.EqualFold(o, "null") {
		return errors.New("wildcard and null origins are not allowed; list each origin, e.g. http://localhost:3000")
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return errors.New("an origin is scheme://host[:port], e.g. http://localhost:3000")
	}
	return nil
}

// auth decides who may call a non-public route, in this order: the bearer
// token (compared in constant time over SHA-256 digests, so neither its
// bytes nor its length leak through timing); a paired session's cookie; a
// client on this machine naming a loopback Host (unless RequireToken).
// Without a token (pb listens on loopback only) every request passes. Anything else is a 401. A
// state change made with a session cookie must also come from this origin
// (sameOrigin), whatever CrossOriginProtection lets through.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.d.Token == "" {
		// Loopback only: nothing to check (and nothing to pair), and the
		// hot path pays nothing for it.
		return next
	}
	want := sha256.Sum256([]byte(s.d.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.isPublic(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		const prefix = "Bearer "
		if got := r.Header.Get("Authorization"); got != "" {
			ok := len(got) > len(prefix) && strings.EqualFold(got[:len(prefix)], prefix)
			if ok {
				sum := sha256.Sum256([]byte(strings.TrimSpace(got[len(prefix):])))
				ok = subtle.ConstantTimeCompare(sum[:], want[:]) == 1
			}
			if ok {
				next.ServeHTTP(w, r)
				return
			}
			s.unauthorized(w)
			return
		}
		if ls := s.sessionFor(r); ls != nil {
			if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && !s.sameOrigin(r) {
				writeJSONError(w, http.StatusForbidden, "Cross-site request refused: a paired browser's changes must come from PacketBuddy's own pages.")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, ls)))
			return
		}
		if !s.set.RequireToken && peerIsLoopback(r) && hostIsLoopback(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		s.unauthorized(w)
	})
}

func (s *Server) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="PacketBuddy"`)
	writeJSONError(w, http.StatusUnauthorized, "Not authorised: pair this browser (pb pair on the computer running pb, then open the address it shows), or send \"Authorization: Bearer <token>\" with the token from the api-token file in the data directory.")
}
