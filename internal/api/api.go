// Package api is PacketBuddy's localhost HTTP server: the JSON API that the
// dashboard, the CLI and existing v1 clients read (see api-contract.md), the
// OpenAPI document, Server-Sent Events for live speeds, Prometheus metrics,
// exports, and the embedded dashboard.
//
// Numbers come from the query layer (internal/query) over the store
// (history) plus the monitor's not-yet-flushed traffic (Monitor.Pending),
// so "today" is exact to the last poll; this package only renders them
// (Encoder, shared with the CLI's --json) and reports (internal/report).
// The query layer caches stored parts per flush, and the hot parameterless
// responses are rendered once per poll, which is what keeps /api/today far
// below a millisecond.
//
// Security (DESIGN.md, "Serving"): the server binds loopback by default,
// checks the Host header against its own names to defeat DNS rebinding, has
// no wildcard CORS, refuses cross-site state changes, and demands a bearer
// token when bound to anything but loopback. A phone paired with a one-time
// code (pairing.go) holds a session cookie that stands in for the token
// (sessions.go); optional TLS comes from Settings.TLSCert and TLSKey.
package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Store is what the API reads from the database: what the query layer
// reads, and the storage figures and pruning; *store.Store satisfies it.
type Store interface {
	query.Store
	Stats(ctx context.Context) (usage.StoreStats, error)
	Prune(ctx context.Context) (int64, error)
	// PruneWith is Prune reporting per kind; with dryRun it only counts.
	PruneWith(ctx context.Context, dryRun bool) (store.Pruned, error)
	// MaintainedCounts are the row counts kept by triggers (cheap).
	MaintainedCounts(ctx context.Context) (usage.RowCounts, error)
	// Path is the database file; its size is read with os.Stat for
	// /api/health, which needs no more than that.
	Path() string
	// NetworkLifetimes is each known network's traffic ever (/metrics).
	NetworkLifetimes(ctx context.Context) ([]usage.NetworkTotals, error)
	// The network edits of POST /api/networks/{action}.
	RenameNetwork(ctx context.Context, old, new string) error
	MergeNetworks(ctx context.Context, from, into string) error
	SetNetworkMetered(ctx context.Context, name string, metered bool) error
}

// Monitor is what the API reads from the running daemon's monitor;
// *monitor.Monitor satisfies it.
type Monitor interface {
	Live() monitor.Live
	Subscribe() (<-chan monitor.Live, func())
	Status() monitor.Status
	Pending(from, to time.Time, f usage.Filter) usage.Totals
	PendingPeak(from, to time.Time) uint64
	// Unwritten is the pending set itself, for GET /api/pending.
	Unwritten(from, to time.Time) usage.Unwritten
}

var (
	_ Store   = (*store.Store)(nil)
	_ Monitor = (*monitor.Monitor)(nil)
)

// Defaults of Settings.
const (
	DefaultHost      = "127.0.0.1"
	DefaultPort      = 7373
	DefaultRatePerGB = 7.50
	DefaultCurrency  = "INR"
)

// Settings are the parts of the configuration the server uses
// (config.Config's [api], [cost] and [storage] sections).
type Settings struct {
	// Host and Port are where Open listens; "" and 0 mean 127.0.0.1:7373.
	// Port 0 after Open means "any free port" only when passed to Open as
	// an address ("127.0.0.1:0").
	Host string
	Port int
	// AllowedOrigins are browser origins allowed cross-origin (exact
	// "scheme://host[:port]" strings; never a wildcard).
	AllowedOrigins []string
	// AllowedHosts are Host header values accepted besides the loopback
	// names: "name" (any port) or "name:port".
	AllowedHosts []string
	// RatePerGB and Currency price the traffic. A zero rate with an empty
	// currency means the defaults, ₹7.50 per GB.
	RatePerGB float64
	Currency  string
	// FineRetentionDays is reported by /api/storage (0: not reported).
	FineRetentionDays int
	// MaxStorageMB is the database size (MB of 2^20 bytes, as db_size_mb)
	// above which /api/health and /api/storage warn; 0 means 400, 1.x's
	// default.
	MaxStorageMB int
	// SyncInterval is [sync] interval: a device silent for three of them
	// (at least an hour) is marked stale in /api/fleet.
	SyncInterval time.Duration
	// UnitBase is the unit family of human_readable and gb_used
	// (units.SI by default, as the v1 API).
	UnitBase units.Base
	// RequireToken demands the token or a paired session from loopback
	// clients too. Without it, a client on this machine that names a
	// loopback Host needs neither (as when pb listens on loopback only);
	// set it when a reverse proxy on this machine forwards other devices'
	// requests.
	RequireToken bool
	// PairCodeTTL is how long a pairing code is valid (0: 5 minutes);
	// SessionTTL how long a paired session lasts (0: 90 days).
	PairCodeTTL time.Duration
	SessionTTL  time.Duration
	// TLSCert and TLSKey are PEM files; both set makes Open serve HTTPS.
	TLSCert string
	TLSKey  string
	// AppsMethod is how the daemon counts per-app traffic, reported by
	// /api/apps: "ebpf", "sock_diag" (TCP only) or "off"; "" unknown.
	AppsMethod string
	// AppsMetricsTop is how many of today's largest apps /metrics shows
	// ([apps] metrics_top); 0 none.
	AppsMetricsTop int
}

// Deps is everything New needs. Store is required; the rest is optional.
type Deps struct {
	Store Store
	// Monitor is the running daemon's monitor. nil serves stored data
	// only (no live speeds, no unflushed traffic).
	Monitor  Monitor
	Settings Settings
	// Location is the zone local days are counted in; nil means time.Local.
	Location *time.Location
	// DeviceID, Hostname and OSType ("Linux", "Darwin", "Windows") describe
	// this device in /api/health and exports.
	DeviceID string
	Hostname string
	OSType   string
	// Version and ReleaseDate of the build (version.String(), version.Date).
	Version     string
	ReleaseDate string
	// Dashboard is served under /dashboard/; nil serves a placeholder page.
	Dashboard fs.FS
	// Token, when set, is demanded as "Authorization: Bearer <token>" on
	// every data route. It is required when Host is not loopback.
	Token string
	// Logger receives errors (under "err") and start-up lines; the caller
	// names the component. Tokens and request bodies are never logged.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fleet, with sync on, reads all devices for /api/devices and the
	// "global" blocks; nil: sync is off.
	Fleet Fleet
	// FleetHome makes / open the fleet page (pb serve --fleet) instead of
	// this device's dashboard.
	FleetHome bool
	// Sync is the daemon's syncer, for POST /api/sync and the sync fields
	// of /api/health; nil: sync is off.
	Sync Syncer
	// Plans are the configured data plans, for /api/plans and /metrics.
	Plans []plan.Spec
	// Sessions keeps paired browsers' sessions (pb pair); nil: pairing is
	// off.
	Sessions SessionStore
}

// Server serves the API. Create it with New; either mount Handler yourself
// or call Open and, at the end, Close.
type Server struct {
	store    Store
	mon      Monitor
	loc      *time.Location
	set      Settings
	currency units.Currency
	rate     float64
	d        Deps
	log      *slog.Logger
	now      func() time.Time
	q        *query.Engine
	enc      *Encoder
	handler  http.Handler
	routes   []route
	static   *staticFiles // the dashboard's files; nil without Deps.Dashboard

	// port is the port the server listens on, for the Host check; 0 until
	// Open (any port is then accepted: the handler is mounted elsewhere).
	port   int
	hostMu sync.RWMutex
	// hostOK remembers the last Host value hostAllowed accepted, under the
	// hostGen it was decided in; Open moves hostGen when it changes the
	// port and address the decision depends on.
	hostOK  atomic.Pointer[hostDecision]
	hostGen atomic.Uint64

	cache caches

	sessions sessionSet
	pair     pairing
	tlsConf  *tls.Config // from TLSCert and TLSKey; nil: plain HTTP

	streamsMu sync.Mutex
	streams   int
	done      chan struct{} // closed by Close: ends SSE streams
	closeOnce sync.Once

	srv          *http.Server
	ln           net.Listener
	conns        *limitListener // ln, nil before Open
	served       chan error
	shutdownOnce sync.Once
	closeErr     error
	// counters remembers the last /metrics values so counters never go
	// backwards (see metrics.go).
	counters monotonic
}

// New checks the dependencies and builds the server. It refuses a
// non-loopback Host without a Token.
func New(d Deps) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("api: no store")
	}
	set := d.Settings
	if set.Host == "" {
		set.Host = DefaultHost
	}
	if set.Port == 0 {
		set.Port = DefaultPort
	}
	if set.Port < 0 || set.Port > 65535 {
		return nil, fmt.Errorf("api: port %d is out of range 0-65535", set.Port)
	}
	if err := checkBind(set.Host, d.Token); err != nil {
		return nil, err
	}
	if set.RequireToken && d.Token == "" {
		return nil, errors.New("api: require_token is set but there is no token")
	}
	if set.PairCodeTTL == 0 {
		set.PairCodeTTL = DefaultPairCodeTTL
	}
	if set.SessionTTL == 0 {
		set.SessionTTL = DefaultSessionTTL
	}
	if set.PairCodeTTL < 0 || set.SessionTTL < 0 {
		return nil, errors.New("api: pairing code and session lifetimes must be positive")
	}
	tlsConf, err := loadTLS(set.TLSCert, set.TLSKey)
	if err != nil {
		return nil, err
	}
	if set.Currency == "" && set.RatePerGB == 0 {
		set.Currency, set.RatePerGB = DefaultCurrency, DefaultRatePerGB
	}
	if set.Currency == "" {
		set.Currency = DefaultCurrency
	}
	cur, ok := units.LookupCurrency(set.Currency)
	if !ok {
		return nil, fmt.Errorf("api: unknown currency %q: use an ISO 4217 code such as INR, USD or EUR", set.Currency)
	}
	if set.RatePerGB < 0 || set.RatePerGB != set.RatePerGB || set.RatePerGB > maxRate {
		return nil, fmt.Errorf("api: cost per GB %v is not a number between 0 and %g", set.RatePerGB, float64(maxRate))
	}
	for _, o := range set.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("api: allowed origin %q: %w", o, err)
		}
	}
	s := &Server{
		store:    d.Store,
		mon:      d.Monitor,
		loc:      d.Location,
		set:      set,
		currency: cur,
		rate:     set.RatePerGB,
		d:        d,
		log:      d.Logger,
		now:      d.Now,
		done:     make(chan struct{}),
		tlsConf:  tlsConf,
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	price := query.Price{Rate: set.RatePerGB, Currency: cur, Base: set.UnitBase}
	qd := query.Deps{Store: s.store, Location: s.loc, Plans: d.Plans, Price: price,
		Files: s.store, MaxStorageMB: set.MaxStorageMB, FineRetentionDays: set.FineRetentionDays}
	if s.mon == nil {
		s.mon = noMonitor{}
	} else {
		mon := s.mon
		qd.Pending = mon
		qd.Generation = func() query.Generation {
			st := mon.Status()
			return query.Generation{Started: st.Started, LastFlush: st.LastFlush}
		}
		qd.LivePeak = func() (time.Time, uint64) {
			l := mon.Live()
			return l.Time, l.PeakToday
		}
	}
	if d.Dashboard != nil {
		st, err := newStaticFiles(d.Dashboard)
		if err != nil {
			return nil, err
		}
		s.static = st
	}
	lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = s.loadSessions(lctx)
	cancel()
	if err != nil {
		return nil, err
	}
	s.q = query.New(qd)
	s.enc = NewEncoder(s.loc, price)
	s.counters.init()
	s.routes = s.routeTable()
	s.handler = s.middleware(s.mux())
	return s, nil
}

// Handler returns the server's handler with all middleware, for tests or
// to mount elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Timeouts and the connection limit of the HTTP server (variables so tests
// can shorten them). The SSE route lifts the write and read deadlines per
// connection with http.ResponseController. A keep-alive connection left
// idle is closed after idleTimeout: the dashboard asks every few seconds,
// and a new loopback connection costs far less than holding thousands.
// maxConns bounds the connections held at once (see limitListener): 32 SSE
// streams, the dashboard's and the CLI's requests and a scraper fit many
// times; a flood of 10,000 keep-alive connections through 256 places
// raised RssAnon by about 10 MB (scripts/measure-flood.sh).
var (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 60 * time.Second // a 10-year export is well under this
	idleTimeout       = 30 * time.Second
	maxConns          = 256
)

// burstConns is how many connections held at once make a burst whose
// memory is handed back to the OS when the last of them closes (see
// limitListener.drained); the dashboard and the CLI use a handful.
const burstConns = 64

// freeOSMemory returns freed memory to the OS, at most once per 10 s: it
// runs a full GC (a few milliseconds on the daemon's small heap). A call
// inside the 10 s is not dropped but done when they are over, once however
// many calls came: what a burst left is then handed back within seconds,
// not at the next periodic write.
var freeOSMemory = rateLimited(10*time.Second, debug.FreeOSMemory)

// rateLimited runs f at most once per every, trailing: a call inside the
// window schedules one run at its end.
func rateLimited(every time.Duration, f func()) func() {
	var (
		mu      sync.Mutex
		last    time.Time
		pending bool
	)
	var run func()
	run = func() {
		mu.Lock()
		if wait := every - time.Since(last); !last.IsZero() && wait > 0 {
			if !pending {
				pending = true
				time.AfterFunc(wait, func() {
					mu.Lock()
					pending = false
					mu.Unlock()
					run()
				})
			}
			mu.Unlock()
			return
		}
		last = time.Now()
		mu.Unlock()
		f()
	}
	return run
}

// afterBurst runs when a burst of connections has drained: at once, and
// again a little later, when the goroutines of the last connections have
// ended and a collection can free their stacks (measured: the first release
// alone left RssAnon at 8.1 MB after a 10,000-connection flood, 2.5 MB more
// than the next one).
func afterBurst() {
	freeOSMemory()
	time.AfterFunc(2*time.Second, freeOSMemory)
}

// Size limits: no endpoint takes more than a tiny body, and no honest
// request has 64 KiB of headers.
const (
	maxHeaderBytes = 64 << 10
	maxBodyBytes   = 1 << 20
)

// Open listens on addr ("" means the Settings' Host:Port) and serves in the
// background. Listening happens before Open returns, so a taken port is an
// error here; port 0 picks a free port, which Addr reports.
func (s *Server) Open(addr string) error {
	if addr == "" {
		addr = net.JoinHostPort(s.set.Host, strconv.Itoa(s.set.Port))
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("api: listen address %q: %w", addr, err)
	}
	if err := checkBind(host, s.d.Token); err != nil {
		return err
	}
	ln, err := listen(addr, s.log)
	if err != nil {
		return err
	}
	lim := newLimitListener(ln, maxConns)
	lim.drained, lim.drainAt = afterBurst, burstConns
	s.ln, s.conns = lim, lim
	s.hostMu.Lock()
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.set.Host = host
	s.hostGen.Add(1)
	s.hostMu.Unlock()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         lim.connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.served = make(chan error, 1)
	scheme := "http"
	var served net.Listener = lim
	if s.tlsConf != nil {
		scheme = "https"
		s.srv.TLSConfig = s.tlsConf
		s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no HTTP/2 (see loadTLS)
		served = tls.NewListener(lim, s.tlsConf)
	}
	go func() { s.served <- s.srv.Serve(served) }()
	s.log.Info("serving", "addr", scheme+"://"+ln.Addr().String(), "token", s.d.Token != "")
	return nil
}

// Addr is the address the server listens on ("127.0.0.1:43817"), "" before
// Open.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops the server: it stops accepting, ends the SSE streams, lets
// in-flight requests finish until ctx is done, then closes what is left.
// Calling it again returns the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.done) })
	if s.srv == nil {
		return nil
	}
	s.shutdownOnce.Do(func() {
		err := s.srv.Shutdown(ctx)
		if err != nil {
			// Deadline passed: cut the remaining connections.
			_ = s.srv.Close()
		}
		if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			s.closeErr = fmt.Errorf("api: serve: %w", serr)
			return
		}
		if err != nil {
			s.closeErr = fmt.Errorf("api: shutdown: %w", err)
		}
	})
	return s.closeErr
}

// checkBind refuses to expose the API beyond loopback without a token.
func checkBind(host, token string) error {
	if isLoopbackHost(host) || token != "" {
		return nil
	}
	return fmt.Errorf("api: refusing to listen on %q without an API token: anyone on the network could read your usage; "+
		"keep host = \"127.0.0.1\" in [api], or create a token (pb serve creates one in the data directory, file api-token, with api.EnsureToken) "+
		"and send it as \"Authorization: Bearer <token>\"", host)
}

// isLoopbackHost reports whether a listen host is loopback only. "" and the
// unspecified addresses listen on every interface.
func isLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// noMonitor stands in when there is no running monitor: no live speeds and
// nothing pending.
type noMonitor struct{}

func (noMonitor) Live() monitor.Live { return monitor.Live{} }
func (noMonitor) Subscribe() (<-chan monitor.Live, func()) {
	return nil, func() {}
}
func (noMonitor) Status() monitor.Status                                  { return monitor.Status{} }
func (noMonitor) Pending(from, to time.Time, f usage.Filter) usage.Totals { return usage.Totals{} }
func (noMonitor) PendingPeak(from, to time.Time) uint64                   { return 0 }
func (noMonitor) Unwritten(from, to time.Time) usage.Unwritten            { return usage.Unwritten{} }
