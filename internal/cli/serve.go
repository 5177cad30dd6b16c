package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/packetbuddy/pb/internal/footprint"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/apps"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/lockfile"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/network"
	"github.com/packetbuddy/pb/internal/service"
	"github.com/packetbuddy/pb/internal/store"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
	"github.com/packetbuddy/pb/internal/version"
	"github.com/packetbuddy/pb/internal/web"
)

const serveHelp = `
Run the PacketBuddy daemon in the foreground: read every interface's byte
counters each poll_interval, write them to the database in the data directory
once per batch_write_interval (and on Ctrl-C / SIGTERM), and serve the API and
dashboard (by default at http://127.0.0.1:7373/). Logs go to stderr.

Only one daemon writes a data directory: a second pb serve on the same one
exits at once, naming the running one. The CLI's other commands read the
same database while it runs. At start the database is checked (SQLite's
quick_check); a damaged file is never written, and pb serve says how to
recover it.

With --fleet, / opens the fleet dashboard instead: every device that syncs to
the [sync] PostgreSQL database, with totals, a table of devices and the
month's days per device (for a home server that shows all the family's
machines). It needs sync configured; this machine is still counted and
synced as usual, and its own dashboard stays one link away.`

// dbFile is the database's name in the data directory. (The Python version's
// packetbuddy.db may sit beside it; pb import reads that one.)
const dbFile = "pb.db"

// serveOpts are pb serve's flags.
type serveOpts struct {
	common   commonFlags
	logLevel string
	fleet    bool
}

// serveFlags defines pb serve's flags.
func serveFlags(env Env) (*flag.FlagSet, *serveOpts) {
	o := new(serveOpts)
	fs := newFlagSet("serve", env, &o.common)
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.BoolVar(&o.fleet, "fleet", false, "open the fleet dashboard (every synced device) at /; needs [sync] database_url")
	return fs, o
}

func runServe(ctx context.Context, args []string, env Env) error {
	fs, o := serveFlags(env)
	if err := parse(fs, args, "serve"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve", "unexpected argument %q", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("serve", "--log-level %q: use debug, info, warn or error", o.logLevel)
	}
	cfg, err := o.common.load(env)
	if err != nil {
		return err
	}
	if o.fleet && !cfg.Sync.On {
		return usagef("serve", "--fleet needs fleet sync: %s", cfg.Sync.OffBecause())
	}
	if o.fleet && !cfg.Sync.Enabled() {
		where := cfg.Path
		if where == "" {
			where = "the config file (pb config path)"
		}
		return usagef("serve", "--fleet needs fleet sync: set [sync] database_url in %s, or PB_DATABASE_URL, to the PostgreSQL URL the devices sync to", where)
	}
	logOut := env.Stderr
	if service.IsWindowsService() || service.DetachConsole() {
		// Started by the Windows service manager or the logon task: there is
		// no console, so logs go to a file in the data directory.
		p := service.LogFile(cfg.DataDir)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("create log directory: %w", err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open log %s: %w", p, err)
		}
		defer f.Close()
		logOut = f
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	logLegacy(log, cfg)
	// The daemon is idle nearly all the time: one OS thread for Go code
	// halves its private memory (measured: RssAnon 5.5 → 2.8 MB) at no cost
	// to counting. GOMAXPROCS in the environment still wins.
	if env.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	stopProfiles, err := startProfiles(env.Getenv)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopProfiles(); err != nil {
			log.Warn("profile not written", "err", err)
		}
	}()
	if hint := offerImport(cfg.DataDir); hint != "" {
		fmt.Fprintln(env.Stderr, hint)
	}
	run := func(ctx context.Context) error {
		d, err := openDaemon(ctx, cfg, log)
		if err != nil {
			return err
		}
		d.fleetHome = o.fleet
		return d.run(ctx, env)
	}
	if service.IsWindowsService() {
		// The service manager gives up on a service that does not report in
		// within about 30 s, so this comes before anything slow.
		return service.RunWindowsService(service.WindowsSvc, run)
	}
	return run(ctx)
}

// lockFile is the data directory's lock, held by the running daemon.
const lockFile = "pb.lock"

// checkTimeout bounds the database check at start; a file too large to
// check in that time is used unchecked (with a warning) rather than keeping
// the daemon from counting.
var checkTimeout = 15 * time.Second

// infoRefresh overrides how often interface details are re-read (tests).
var infoRefresh time.Duration

// daemon is pb serve's parts, wired.
type daemon struct {
	lock    *lockfile.Lock
	cfg     config.Config
	log     *slog.Logger
	store   *store.Store
	monitor *monitor.Monitor
	apps    *apps.Splitter // nil: per-app counting off
	nets    *network.Source
	joins   chan heavyJoin // OnHeavyJoin's news, for runMeteredAlerts
	loc     *time.Location
	dbPath  string
	fresh   bool // the database did not exist before this start
	// appMethod is how apps are counted: "ebpf", "sock_diag" or "off".
	appMethod string
	// fleetHome: pb serve --fleet, / opens the fleet page.
	fleetHome bool
}

func openDaemon(ctx context.Context, cfg config.Config, log *slog.Logger) (*daemon, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			lock.Release()
		}
	}()
	dbPath := filepath.Join(cfg.DataDir, dbFile)
	fi, statErr := os.Stat(dbPath)
	fresh := errors.Is(statErr, os.ErrNotExist)
	if statErr == nil && fi.Size() > 0 {
		if err := checkDatabase(ctx, dbPath, log); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, dbPath, store.Options{FineRetentionDays: cfg.Storage.FineRetentionDays})
	if err != nil {
		return nil, err
	}
	policy := usage.Policy{Include: cfg.Monitoring.Include, Exclude: cfg.Monitoring.Exclude}
	if err := st.ApplyPolicy(ctx, policy.Counted); err != nil {
		st.Close()
		return nil, err
	}
	reader, err := newReader(cfg.Monitoring.ProcPath, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	boot, err := monitor.BootID()
	if err != nil {
		log.Warn("cannot tell this boot from the last one; counting as after a reboot", "err", err)
	}
	appSplit, appMethod := openApps(cfg.Apps, log)
	nets := network.NewSource(log.With("component", "network"))
	onJoin, joins := heavyJoins()
	mon := monitor.New(reader, st, monitor.SystemClock(), monitor.Config{
		PollInterval:  cfg.Monitoring.PollInterval,
		FlushInterval: cfg.Monitoring.BatchWriteInterval,
		Policy:        policy,
		BootID:        boot,
		Location:      loc,
		InfoRefresh:   infoRefresh,
		AfterFlush:    footprint.Release,
		Apps:          appSplitter(appSplit),
		Networks:      nets,
		OnHeavyJoin:   onJoin,
	}, log.With("component", "monitor"))
	ok = true
	return &daemon{lock: lock, cfg: cfg, log: log, store: st, monitor: mon, apps: appSplit, appMethod: appMethod, nets: nets, joins: joins, loc: loc, dbPath: dbPath, fresh: fresh}, nil
}

// lockDataDir takes the data directory's lock for the daemon's life. A
// second daemon on one directory would count every byte twice.
func lockDataDir(dir string) (*lockfile.Lock, error) {
	lock, err := lockfile.Acquire(filepath.Join(dir, lockFile))
	var le *lockfile.LockedError
	if errors.As(err, &le) {
		return nil, lockedError(dir, le.Holder)
	}
	return lock, err
}

// lockedError names the daemon holding dir's lock as far as its lock file
// tells: its pid (unknown, 0, while it has not written it yet; then there
// is no kill to suggest, as "kill 0" would signal this process group) and
// its API port.
func lockedError(dir string, h lockfile.Holder) error {
	var who []string
	if h.PID != 0 {
		who = append(who, fmt.Sprintf("pid %d", h.PID))
	}
	if _, port, err := net.SplitHostPort(h.Addr); err == nil {
		who = append(who, "port "+port)
	}
	named, stop := "", "pb service stop"
	if len(who) > 0 {
		named = " (" + strings.Join(who, ", ") + ")"
	}
	if h.PID != 0 {
		stop += fmt.Sprintf(", or kill %d", h.PID)
	}
	return fmt.Errorf("another pb serve%s is already counting into %s; stop it first (%s), or give this one another --data-dir", named, dir, stop)
}

// checkDatabase runs SQLite's quick_check, bounded by checkTimeout, before
// anything writes the file: a damaged database is refused, never written.
func checkDatabase(ctx context.Context, path string, log *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	start := time.Now()
	err := store.Check(cctx, path)
	switch {
	case errors.Is(err, store.ErrDamaged):
		return fmt.Errorf("the database %s is damaged, so pb will not write to it: %s (%v)", path, store.DamagedAdvice(path), err)
	case err != nil && cctx.Err() != nil && ctx.Err() == nil:
		log.Warn("database check not finished in time; starting without it", "took", time.Since(start).Round(time.Millisecond), "data", path)
		return nil
	case err != nil:
		return err
	}
	log.Debug("database check passed", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (d *daemon) run(ctx context.Context, env Env) error {
	defer d.lock.Release()
	defer d.store.Close()
	defer d.closeApps()
	defer d.nets.Close()
	id, err := d.store.DeviceID(ctx)
	if err != nil {
		return err
	}
	syncer, fleet := d.openSync(ctx)
	if d.fleetHome && fleet == nil {
		return errors.New("pb serve --fleet: fleet sync could not start (the log above says why); check [sync] database_url or PB_DATABASE_URL")
	}
	if err := d.monitor.Start(ctx); err != nil {
		return err
	}
	srv, err := d.newAPI(id, syncer, fleet)
	if err != nil {
		return err
	}
	if err := srv.Open(""); err != nil {
		return fmt.Errorf("%w (another program, or the pb serve of another data directory, listens there: set [api] port or PB_API_PORT to use another port)", err)
	}
	if err := d.lock.SetAddr(srv.Addr()); err != nil {
		d.log.Warn("the lock file cannot say which port this daemon serves", "err", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Close(sctx); err != nil {
			d.log.Warn("api shutdown", "err", err)
		}
	}()
	url := "http://" + srv.Addr() + "/"
	if d.cfg.API.TLSCert != "" {
		url = "https://" + srv.Addr() + "/"
	}
	if d.fleetHome {
		d.log.Info("fleet dashboard at /", "url", url)
	}
	if d.fresh {
		fmt.Fprintf(env.Stderr, "PacketBuddy %s is counting your traffic.\n  data:      %s\n  dashboard: %s\n  stop with Ctrl-C; history is kept in the database above.\n", version.String(), d.dbPath, url)
	}
	d.log.Info("pb serve started", "version", version.String(), "device_id", id, "data", d.dbPath, "dashboard", url,
		"poll_interval", d.cfg.Monitoring.PollInterval, "batch_write_interval", d.cfg.Monitoring.BatchWriteInterval, "timezone", d.loc.String())

	done := make(chan struct{})
	go d.prune(ctx, done)
	planDone := make(chan struct{})
	go func() {
		defer close(planDone)
		if pa := d.openPlanAlerts(); pa != nil {
			pa.run(ctx)
		}
	}()
	unusualDone := make(chan struct{})
	go func() {
		defer close(unusualDone)
		d.runUnusual(ctx)
	}()
	meteredDone := make(chan struct{})
	go func() {
		defer close(meteredDone)
		d.runMeteredAlerts(ctx, d.joins)
	}()
	syncDone := make(chan struct{})
	go func() { // its own goroutine: flushes never wait on the network
		defer close(syncDone)
		if syncer != nil {
			_ = syncer.Run(ctx) // errors are logged and kept in the sync status
		}
	}()
	err = d.monitor.Run(ctx)
	<-done
	<-syncDone
	<-planDone
	<-unusualDone
	<-meteredDone
	if err != nil {
		return fmt.Errorf("final write failed, the last %s of traffic may be lost: %w", d.cfg.Monitoring.BatchWriteInterval, err)
	}
	if syncer != nil {
		d.finalSync(ctx, syncer)
	}
	return nil
}

// finalSyncTimeout bounds the last upload at shutdown, so stopping the
// service never hangs on the network.
const finalSyncTimeout = 5 * time.Second

// finalSync sends what the final flush wrote, so a laptop shut down for a
// trip shows its last minutes in the fleet. It is skipped while the server
// is failing (the rows wait in the outbox for the next start either way).
func (d *daemon) finalSync(ctx context.Context, sy *pbsync.Syncer) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSyncTimeout)
	defer cancel()
	if st := sy.Status(sctx); st.Failures > 0 || st.Pending == 0 {
		return
	}
	if res, err := sy.SyncNow(sctx); err != nil {
		d.log.Warn("final sync failed; the rows are sent at the next start", "err", err)
	} else {
		d.log.Info("final sync", "rows", res.Rows)
	}
}

// newAPI builds the HTTP API. A bind beyond loopback needs the bearer token,
// created on first use in the data directory.
func (d *daemon) newAPI(deviceID string, sy *pbsync.Syncer, fl *pbsync.Fleet) (*api.Server, error) {
	var token string
	if !isLoopback(d.cfg.API.Host) || d.cfg.API.RequireToken {
		t, err := api.EnsureToken(d.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		token = t
		d.log.Warn("API reachable beyond this machine: every request needs the bearer token or a paired session (pb pair)", "host", d.cfg.API.Host, "token_file", filepath.Join(d.cfg.DataDir, api.TokenFile))
	}
	host, _ := os.Hostname()
	deps := api.Deps{
		Store:   d.store,
		Monitor: d.monitor,
		Settings: api.Settings{
			Host:              d.cfg.API.Host,
			Port:              d.cfg.API.Port,
			AllowedOrigins:    d.cfg.API.AllowedOrigins,
			AllowedHosts:      d.cfg.API.AllowedHosts,
			RatePerGB:         d.cfg.Cost.RatePerGB,
			Currency:          d.cfg.Cost.Currency,
			FineRetentionDays: d.cfg.Storage.FineRetentionDays,
			MaxStorageMB:      d.cfg.Storage.MaxStorageMB,
			SyncInterval:      d.cfg.Sync.Interval,
			UnitBase:          d.cfg.Display.UnitBase(),
			RequireToken:      d.cfg.API.RequireToken,
			PairCodeTTL:       d.cfg.API.PairCodeTTL,
			TLSCert:           d.cfg.API.TLSCert,
			TLSKey:            d.cfg.API.TLSKey,
			AppsMethod:        d.appMethod,
			AppsMetricsTop:    d.cfg.Apps.MetricsTop,
		},
		Location:    d.loc,
		DeviceID:    deviceID,
		Hostname:    host,
		OSType:      osType(),
		Version:     version.String(),
		ReleaseDate: version.Date,
		Token:       token,
		Dashboard:   web.FS(),
		Logger:      d.log.With("component", "api"),
		Plans:       d.cfg.Plans,
		FleetHome:   d.fleetHome,
		Sessions:    d.store,
	}
	// Only non-nil pointers: a nil *Syncer in the interface would not be nil.
	if sy != nil {
		deps.Sync = sy
	}
	if fl != nil {
		deps.Fleet = fl
	}
	return api.New(deps)
}

// openSync returns the fleet syncer and reader when sync is on. With sync
// off it returns nils and empties the sync outbox, so it does not grow.
func (d *daemon) openSync(ctx context.Context) (*pbsync.Syncer, *pbsync.Fleet) {
	if !d.cfg.Sync.Enabled() {
		if err := d.store.StopChangeTracking(ctx); err != nil {
			d.log.Warn("sync is off but its outbox cannot be cleared", "err", err)
		}
		return nil, nil
	}
	sy, err := NewSyncer(ctx, d.cfg, d.store, d.log.With("component", "sync"))
	if err != nil {
		d.log.Error("fleet sync disabled", "err", err)
		return nil, nil
	}
	fl, err := pbsync.NewFleet(d.cfg.Sync.DatabaseURL)
	if err != nil { // the error never holds the password
		d.log.Error("fleet views disabled", "err", err)
	}
	d.log.Info("fleet sync on", "database", config.RedactURL(d.cfg.Sync.DatabaseURL), "interval", d.cfg.Sync.Interval)
	return sy, fl
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// osType names the OS as the Python version's API did.
func osType() string {
	switch runtime.GOOS {
	case "linux":
		return "Linux"
	case "darwin":
		return "Darwin"
	case "windows":
		return "Windows"
	}
	return runtime.GOOS
}

// prune drops expired fine-tier rows once at start and then hourly.
func (d *daemon) prune(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := d.store.Prune(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("prune old detail", "err", err)
		} else if n > 0 {
			d.log.Debug("pruned old 1-minute detail", "rows", n)
		}
		d.pruneApps(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

const versionHelp = `
Print the version of this pb binary and its release date. --json prints
{version, release_date, go, os, arch}; version and release_date are the
same as GET /api/health's.`

// versionOpts are pb version's flags.
type versionOpts struct{ asJSON bool }

// versionFlags defines pb version's flags.
func versionFlags(env Env) (*flag.FlagSet, *versionOpts) {
	o := new(versionOpts)
	fs := newFlagSet("version", env, nil)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	return fs, o
}

func runVersion(_ context.Context, args []string, env Env) error {
	fs, o := versionFlags(env)
	if err := parse(fs, args, "version"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version", "unexpected argument %q", fs.Arg(0))
	}
	if o.asJSON {
		return writeJSON(env.Stdout, struct {
			Version     string `json:"version"`
			ReleaseDate string `json:"release_date"`
			Go          string `json:"go"`
			OS          string `json:"os"`
			Arch        string `json:"arch"`
		}{version.String(), version.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH})
	}
	v := version.String()
	if version.Date != "" {
		v += " (" + version.Date + ")"
	}
	fmt.Fprintf(env.Stdout, "pb %s\n", v)
	return nil
}

// newReader returns the counter reader: the normal one, or with proc_path
// set, a reader of <proc_path>/net/dev only (another namespace's
// interfaces, e.g. the host's from a container).
func newReader(procPath string, log *slog.Logger) (counter.Reader, error) {
	if procPath == "" {
		return counter.NewReader()
	}
	r, err := counter.NewProcReader(procPath)
	if err != nil {
		return nil, err
	}
	log.Info("reading counters from proc_path", "net_dev", filepath.Join(procPath, "net", "dev"))
	return r, nil
}
