package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/store"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/zone"
)

const syncHelp = `
Fleet sync to PostgreSQL ([sync] database_url, PB_DATABASE_URL or NEON_DB_URL).
The daemon syncs by itself every [sync] interval (default 60s).

status shows what the daemon saved; the URL's password is never shown. now
asks the running pb serve (POST /api/sync) and, when no daemon answers,
syncs directly from this process; the remote rows take absolute values, so
sending twice (--all) never counts twice. verify compares per interface and
month of the device's time zone: both the remote buckets and the day totals
the fleet reads must equal the local sums. Its exit status is 0 when they
agree, 1 with a table of the months that differ (pb sync now --all sends
everything again).

Examples:
  pb sync status
  pb sync now --all
  pb sync verify`

// syncOpts are pb sync's flags.
type syncOpts struct {
	common      commonFlags
	asJSON, all bool
}

// syncFlags defines pb sync's flags.
func syncFlags(env Env) (*flag.FlagSet, *syncOpts) {
	o := new(syncOpts)
	fs := newFlagSet("sync", env, &o.common)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.BoolVar(&o.all, "all", false, "with now: send every bucket again, not only the changed ones")
	return fs, o
}

func runSync(ctx context.Context, args []string, env Env) error {
	fs, o := syncFlags(env)
	// Allow flags after the subcommand too.
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if err := parse(fs, args, "sync"); err != nil {
		return err
	}
	if sub == "" && fs.NArg() > 0 {
		sub = fs.Arg(0)
	}
	if o.all && sub != "now" {
		return usagef("sync", "--all goes with pb sync now")
	}
	cfg, err := o.common.load(env)
	if err != nil {
		return err
	}
	switch sub {
	case "status", "":
		return syncStatus(ctx, cfg, env, o.asJSON)
	case "now":
		return syncNow(ctx, cfg, env, o.asJSON, o.all)
	case "verify":
		return syncVerify(ctx, cfg, env, o.asJSON)
	}
	return usagef("sync", "unknown subcommand %q: use status, now or verify%s", sub, actionHint("sync", sub))
}

// syncStatusView is pb sync status --json.
type syncStatusView struct {
	Enabled     bool          `json:"enabled"`
	DatabaseURL string        `json:"database_url,omitempty"` // redacted
	Interval    string        `json:"interval"`
	Pending     int64         `json:"pending_rows"`
	Watermark   int64         `json:"acknowledged_sequence"`
	Saved       pbsync.Status `json:"last_round"`
}

func syncStatus(ctx context.Context, cfg config.Config, env Env, asJSON bool) error {
	v := syncStatusView{Enabled: cfg.Sync.Enabled(), DatabaseURL: config.RedactURL(cfg.Sync.DatabaseURL), Interval: cfg.Sync.Interval.String()}
	st, err := store.Open(ctx, filepath.Join(cfg.DataDir, dbFile), store.Options{ReadOnly: true})
	if err == nil {
		defer st.Close()
		doc, wm, err := st.SyncState(ctx)
		if err != nil {
			return err
		}
		v.Watermark = wm
		if v.Saved, err = pbsync.LoadStatus(doc); err != nil {
			return err
		}
		if v.Pending, err = st.PendingChanges(ctx); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, v)
	}
	w := env.Stdout
	if !v.Enabled {
		fmt.Fprintln(w, "sync:           off (set [sync] database_url or PB_DATABASE_URL to turn it on)")
	} else {
		fmt.Fprintf(w, "sync:           on, every %s\n", v.Interval)
		fmt.Fprintf(w, "database:       %s\n", v.DatabaseURL)
	}
	fmt.Fprintf(w, "last success:   %s\n", when(v.Saved.LastSuccess, env))
	if v.Saved.LastError != "" {
		fmt.Fprintf(w, "last error:     %s (%s)\n", strings.Join(strings.Fields(config.RedactURL(v.Saved.LastError)), " "), when(v.Saved.LastErrorAt, env))
	} else {
		fmt.Fprintln(w, "last error:     none")
	}
	fmt.Fprintf(w, "pending:        %d buckets\n", v.Pending)
	if v.Saved.RemoteSchema > 0 {
		fmt.Fprintf(w, "remote schema:  %d (this pb: %d)\n", v.Saved.RemoteSchema, pbsync.SchemaVersion)
	} else {
		fmt.Fprintf(w, "remote schema:  unknown (this pb: %d)\n", pbsync.SchemaVersion)
	}
	return nil
}

func when(t time.Time, env Env) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.RFC3339) + " (" + env.now().Sub(t).Round(time.Second).String() + " ago)"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// syncNowResult is what POST /api/sync answers and pb sync now prints.
type syncNowResult struct {
	Via       string        `json:"via"` // "daemon" or "cli"
	Connected bool          `json:"connected"`
	Rows      int64         `json:"rows"`
	Status    pbsync.Status `json:"status"`
}

func syncNow(ctx context.Context, cfg config.Config, env Env, asJSON, all bool) error {
	if !cfg.Sync.Enabled() {
		return errors.New(cfg.Sync.OffBecause())
	}
	if all {
		n, err := resendAll(ctx, cfg)
		if err != nil {
			return err
		}
		if !asJSON {
			fmt.Fprintf(env.Stdout, "Queued all %d buckets to be sent again.\n", n)
		}
	}
	res, err := syncViaDaemon(ctx, cfg)
	if errors.Is(err, errNoDaemon) {
		res, err = syncDirect(ctx, cfg)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, res)
	}
	switch {
	case !res.Connected:
		fmt.Fprintf(env.Stdout, "Nothing to send (via %s); %d buckets pending.\n", res.Via, res.Status.Pending)
	default:
		fmt.Fprintf(env.Stdout, "Synced %d buckets (via %s); %d pending.\n", res.Rows, res.Via, res.Status.Pending)
	}
	return nil
}

var errNoDaemon = errors.New("no daemon answers")

// syncViaDaemon asks the running daemon to sync. errNoDaemon when none
// listens.
func syncViaDaemon(ctx context.Context, cfg config.Config) (syncNowResult, error) {
	var res syncNowResult
	host := cfg.API.Host
	if ip := net.ParseIP(strings.Trim(host, "[]")); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := "http://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(cfg.API.Port)) + "/api/sync"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return res, err
	}
	if tok, err := os.ReadFile(filepath.Join(cfg.DataDir, api.TokenFile)); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return res, errNoDaemon
		}
		return res, fmt.Errorf("ask the daemon to sync: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return res, errNoDaemon // an older daemon, or something else on the port
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if e.Error == "" {
			e.Error = resp.Status
		}
		return res, fmt.Errorf("the daemon's sync failed: %s", config.RedactURL(e.Error))
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return res, fmt.Errorf("the daemon's answer is unreadable: %w", err)
	}
	return res, nil
}

// syncDirect syncs from this process, with no daemon running.
func syncDirect(ctx context.Context, cfg config.Config) (syncNowResult, error) {
	res := syncNowResult{Via: "cli"}
	st, err := store.Open(ctx, filepath.Join(cfg.DataDir, dbFile), store.Options{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	sy, err := NewSyncer(ctx, cfg, st, nil)
	if err != nil {
		return res, err
	}
	if err := st.StartChangeTracking(ctx); err != nil {
		return res, err
	}
	r, err := sy.SyncNow(ctx)
	res.Connected, res.Rows, res.Status = r.Connected, r.Rows, sy.Status(ctx)
	return res, err
}

// resendAll marks every bucket of the local history pending again and
// returns how many there are; the daemon, if running, sends them at the
// next round (pb sync now asks for it at once).
func resendAll(ctx context.Context, cfg config.Config) (int64, error) {
	path := filepath.Join(cfg.DataDir, dbFile)
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return 0, dbError(path, err)
	}
	defer st.Close()
	if err := st.StartChangeTracking(ctx); err != nil {
		return 0, err
	}
	if err := st.ResendAll(ctx); err != nil {
		return 0, err
	}
	return st.PendingChanges(ctx)
}

func syncVerify(ctx context.Context, cfg config.Config, env Env, asJSON bool) error {
	if !cfg.Sync.Enabled() {
		return errors.New("sync is off: set [sync] database_url or PB_DATABASE_URL")
	}
	path := filepath.Join(cfg.DataDir, dbFile)
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return dbError(path, err)
	}
	defer st.Close()
	dev, err := thisDevice(ctx, cfg, st)
	if err != nil {
		return err
	}
	v, err := pbsync.Verify(ctx, cfg.Sync.DatabaseURL, dev, st)
	if err != nil {
		return err
	}
	var differ error
	if len(v.Diffs) > 0 {
		differ = &exitCodeError{code: 1}
	}
	if asJSON {
		if v.Diffs == nil {
			v.Diffs = []pbsync.MonthCheck{}
		}
		if err := writeJSON(env.Stdout, v); err != nil {
			return err
		}
		return differ
	}
	w := env.Stdout
	if differ == nil {
		fmt.Fprintf(w, "Local and remote agree: %d buckets in %d interface-months (months of %s).\n", v.Buckets, v.Months, v.TimeZone)
		return nil
	}
	fmt.Fprintf(w, "Local and remote differ in %d of %d interface-months (months of %s):\n\n", len(v.Diffs), v.Months, v.TimeZone)
	t := newTable("INTERFACE", "MONTH", "LOCAL RX", "LOCAL TX", "REMOTE RX", "REMOTE TX", "DAYS RX", "DAYS TX").alignRight(2, 3, 4, 5, 6, 7)
	n := func(v uint64) string { return strconv.FormatUint(v, 10) }
	for _, d := range v.Diffs {
		t.add(d.Iface, d.Month, n(d.Local.Rx), n(d.Local.Tx), n(d.Remote.Rx), n(d.Remote.Tx), n(d.Days.Rx), n(d.Days.Tx))
	}
	if err := t.write(w, false); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nBytes. REMOTE sums the remote buckets, DAYS the remote day totals the fleet reads.")
	if v.Pending > 0 {
		fmt.Fprintf(w, "%d buckets were still waiting to be sent: run \"pb sync now\", then verify again.\n", v.Pending)
	} else {
		fmt.Fprintln(w, "Run \"pb sync now --all\" to send every bucket again.")
	}
	return differ
}

// NewSyncer builds the fleet syncer of this device from the configuration:
// the daemon runs it (go sy.Run(ctx)) and pb sync now uses it directly.
// log may be nil.
func NewSyncer(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) (*pbsync.Syncer, error) {
	dev, err := thisDevice(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	return pbsync.New(st, pbsync.Options{
		URL:      cfg.Sync.DatabaseURL,
		Interval: cfg.Sync.Interval,
		Device:   dev,
		Logger:   log,
	}), nil
}

// thisDevice is this device as the sync database knows it.
func thisDevice(ctx context.Context, cfg config.Config, st *store.Store) (pbsync.Device, error) {
	id, err := st.DeviceID(ctx)
	if err != nil {
		return pbsync.Device{}, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return pbsync.Device{}, err
	}
	host, _ := os.Hostname()
	return pbsync.Device{ID: id, Hostname: host, OSType: osType(), TimeZone: zoneName(loc)}, nil
}

// zoneName is loc's IANA name; the machine's (zone.Machine) for time.Local,
// else "UTC".
func zoneName(loc *time.Location) string {
	if loc != time.Local && loc.String() != "Local" {
		return loc.String()
	}
	if n := zone.Machine(); n != "" {
		return n
	}
	return "UTC"
}
