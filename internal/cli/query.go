package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/report"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
	"github.com/packetbuddy/pb/internal/version"
)

// The query commands (today, month, range, ...) read the database file
// directly, read-only, so they work while the daemon is stopped. Their
// numbers and their --json output come from the API's own handlers, run
// in-process on that read-only store: "pb month --json" is byte for byte
// what GET /api/month answers (minus the daemon's not-yet-flushed seconds),
// and the tables are laid out from the same JSON.

// ifaceList is the repeatable -i/--interface flag; each value may be a comma
// list.
type ifaceList []string

func (l *ifaceList) String() string { return strings.Join(*l, ",") }
func (l *ifaceList) Set(s string) error {
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*l = append(*l, n)
		}
	}
	return nil
}

// queryFlags are the flags every query command takes.
type queryFlags struct {
	common commonFlags
	json   bool
	ifaces ifaceList
	color  string
	units  string // --units, where the command takes it
}

func newQueryFlagSet(name string, env Env, q *queryFlags) *flag.FlagSet {
	fs := newFlagSet(name, env, &q.common)
	fs.BoolVar(&q.json, "json", false, "print the API's JSON instead of a table")
	fs.Var(&q.ifaces, "i", "only `interface` NAME (repeatable or a comma list; default: the interfaces counted in the total)")
	fs.Var(&q.ifaces, "interface", "same as -i")
	fs.StringVar(&q.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	return fs
}

// parseArgs parses flags that may come before and after positional
// arguments (pb month 2026-03 --json) and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string, cmd string, maxPos int) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args, cmd); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			if len(pos) > maxPos {
				return nil, usagef(cmd, "unexpected argument %q", pos[maxPos])
			}
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// query is an open read-only database with the API's handlers on top.
type query struct {
	cfg   config.Config
	loc   *time.Location
	st    *store.Store
	srv   *api.Server
	env   Env
	flags *queryFlags
	now   time.Time
}

// hostname names this device in exports (a variable for tests).
var hostname = os.Hostname

// errNoDatabase builds the missing-database sentence.
func errNoDatabase(path string) error {
	return fmt.Errorf("no PacketBuddy database at %s: start the daemon with \"pb serve\" (or pass --data-dir)", path)
}

func openQuery(ctx context.Context, q *queryFlags, env Env) (*query, error) {
	switch q.color {
	case "auto", "always", "never":
	default:
		return nil, usagef("", "--color %q: use auto, always or never", q.color)
	}
	cfg, err := q.load(env)
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, errNoDatabase(path)
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true, Now: env.now})
	if err != nil {
		return nil, dbError(path, err)
	}
	if err := checkIfaces(ctx, st, q.ifaces); err != nil {
		st.Close()
		return nil, err
	}
	srv, err := newLocalAPI(ctx, cfg, loc, st, q.ifaces, env)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &query{cfg: cfg, loc: loc, st: st, srv: srv, env: env, flags: q, now: env.now().In(loc)}, nil
}

// dbError turns a store open error into one sentence with what to do.
func dbError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errNoDatabase(path)
	case errors.Is(err, store.ErrNotSQLite), errors.Is(err, store.ErrNotPacketBuddy):
		return fmt.Errorf("%s is not a PacketBuddy database: pass the right --data-dir (pb import reads the old packetbuddy.db)", path)
	case errors.Is(err, store.ErrDamaged):
		return fmt.Errorf("the database %s is damaged: %s", path, store.DamagedAdvice(path))
	case errors.Is(err, store.ErrNewerSchema):
		return fmt.Errorf("the database at %s was written by a newer pb: update this pb (pb update)", path)
	}
	return err
}

// newLocalAPI builds the API server over st, in-process (never listening).
func newLocalAPI(ctx context.Context, cfg config.Config, loc *time.Location, st *store.Store, ifaces []string, env Env) (*api.Server, error) {
	id, _ := st.DeviceID(ctx) // a read-only store without an id yet: ""
	host, _ := hostname()
	return api.New(api.Deps{
		Store: filteredStore{Store: st, f: usage.Filter{Ifaces: ifaces}},
		Settings: api.Settings{
			RatePerGB:         cfg.Cost.RatePerGB,
			Currency:          cfg.Cost.Currency,
			FineRetentionDays: cfg.Storage.FineRetentionDays,
			MaxStorageMB:      cfg.Storage.MaxStorageMB,
			UnitBase:          cfg.Display.UnitBase(),
		},
		Location:    loc,
		DeviceID:    id,
		Hostname:    host,
		OSType:      osType(),
		Version:     version.String(),
		ReleaseDate: version.Date,
		Reporter:    report.Renderer{},
		Now:         env.now,
		Plans:       cfg.Plans,
	})
}

func (q *query) Close() { q.st.Close() }

// get runs GET path?params through the API handler and returns the body.
// A 400 is a usage error (the API's sentence), anything else not 200 a
// runtime error.
func (q *query) get(path string, params url.Values) ([]byte, error) {
	target := path
	if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+target, nil)
	req.Host = "127.0.0.1"
	rec := httptest.NewRecorder()
	q.srv.Handler().ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		return body, nil
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Error == "" {
		e.Error = strings.TrimSpace(string(body))
	}
	if rec.Code == http.StatusBadRequest {
		return nil, usagef("", "%s", e.Error)
	}
	return nil, fmt.Errorf("%s", e.Error)
}

// fetch gets path and decodes it into v; it also returns the raw body for
// --json.
func (q *query) fetch(path string, params url.Values, v any) ([]byte, error) {
	b, err := q.get(path, params)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return b, nil
}

// load fetches path into v, or with --json prints the body instead and
// reports printed, for the commands whose --json is the API's answer as is.
func (q *query) load(path string, params url.Values, v any) (printed bool, err error) {
	b, err := q.fetch(path, params, v)
	if err != nil || !q.flags.json {
		return false, err
	}
	return true, q.printJSON(b)
}

// printJSON writes an API body indented.
func (q *query) printJSON(b []byte) error {
	return writeIndented(q.env, b)
}

// filteredStore applies the -i filter to every query the API makes with
// the default filter, so each endpoint's numbers cover only the chosen
// interfaces.
type filteredStore struct {
	*store.Store
	f usage.Filter
}

func (s filteredStore) filter(f usage.Filter) usage.Filter {
	if len(s.f.Ifaces) > 0 && len(f.Ifaces) == 0 && !f.All {
		return s.f
	}
	return f
}

func (s filteredStore) Totals(ctx context.Context, from, to time.Time, f usage.Filter) (usage.Totals, error) {
	return s.Store.Totals(ctx, from, to, s.filter(f))
}
func (s filteredStore) Days(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	return s.Store.Days(ctx, from, to, loc, s.filter(f))
}
func (s filteredStore) Months(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.MonthTotals, error) {
	return s.Store.Months(ctx, from, to, loc, s.filter(f))
}
func (s filteredStore) Hours(ctx context.Context, day usage.Date, loc *time.Location, f usage.Filter) ([]usage.HourTotals, error) {
	return s.Store.Hours(ctx, day, loc, s.filter(f))
}
func (s filteredStore) TopDays(ctx context.Context, n int, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	return s.Store.TopDays(ctx, n, loc, s.filter(f))
}
func (s filteredStore) Periods(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.Period, error) {
	return s.Store.Periods(ctx, from, to, s.filter(f))
}
func (s filteredStore) Lifetime(ctx context.Context, f usage.Filter) (usage.Totals, error) {
	return s.Store.Lifetime(ctx, s.filter(f))
}

// parseDateArg parses a YYYY-MM-DD command-line date (or "today",
// "yesterday").
func parseDateArg(cmd, flagName, s string, today usage.Date) (usage.Date, error) {
	switch s {
	case "today":
		return today, nil
	case "yesterday":
		return today.AddDays(-1), nil
	}
	d, err := usage.ParseDate(s)
	if err != nil || len(s) != len("2006-01-02") {
		return usage.Date{}, usagef(cmd, "%s %q is not a date: use YYYY-MM-DD, e.g. %s", flagName, s, today)
	}
	return d, nil
}

// dateRangeArgs parses --from/--to (either may be empty: the defaults
// apply) and checks the order.
func dateRangeArgs(cmd, from, to string, defFrom, defTo, today usage.Date) (usage.Date, usage.Date, error) {
	f, t := defFrom, defTo
	var err error
	if from != "" {
		if f, err = parseDateArg(cmd, "--from", from, today); err != nil {
			return f, t, err
		}
	}
	if to != "" {
		if t, err = parseDateArg(cmd, "--to", to, today); err != nil {
			return f, t, err
		}
	}
	if f.After(t) {
		return f, t, usagef(cmd, "--from %s is after --to %s: give the earlier date first", f, t)
	}
	return f, t, nil
}

// checkIfaces refuses -i names the database has never seen (a typo would
// otherwise show zeros).
func checkIfaces(ctx context.Context, st *store.Store, names []string) error {
	if len(names) == 0 {
		return nil
	}
	known, err := st.InterfaceLifetimes(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var list []string
	for _, k := range known {
		if !have[k.Name] {
			list = append(list, k.Name)
		}
		have[k.Name] = true
	}
	for _, n := range names {
		if !have[n] && len(list) > 0 { // an empty database has nothing to check against
			return usagef("", "no interface named %q in the database; it knows %s (pb interfaces lists them)", n, strings.Join(list, ", "))
		}
	}
	return nil
}
