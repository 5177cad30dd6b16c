package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// The query commands (today, month, range, ...) read the database file
// directly, read-only, so they work while the daemon is stopped, through the
// query layer (internal/query) that the API uses too. When a daemon of the
// same data directory answers, they add the traffic it has counted and not
// yet written (GET /api/pending), so they agree with the dashboard to the
// byte; otherwise they answer from the database alone. --json prints the
// API's own encoding of the same values (api.Encoder): "pb month --json" is
// GET /api/month's body, indented.

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

// session is an open read-only database with the query layer on top.
type session struct {
	cfg   config.Config
	loc   *time.Location
	st    *store.Store
	eng   *query.Engine
	enc   *api.Encoder
	env   Env
	flags *queryFlags
	now   time.Time
	// daemon says whether the running daemon's unwritten traffic is
	// included.
	daemon bool
	// live is what the daemon sees now, each interface with its speed
	// (none without a daemon).
	live []query.LiveRate
}

// hostname names this device in exports (a variable for tests).
var hostname = os.Hostname

// errNoDatabase builds the missing-database sentence.
func errNoDatabase(path string) error {
	return fmt.Errorf("no PacketBuddy database at %s: start the daemon with \"pb serve\" (or pass --data-dir)", path)
}

func openQuery(ctx context.Context, q *queryFlags, env Env) (*session, error) {
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
	price, err := query.NewPrice(cfg.Cost.RatePerGB, cfg.Cost.Currency, cfg.Display.UnitBase())
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
	s := &session{cfg: cfg, loc: loc, st: st, env: env, flags: q, now: env.now().In(loc), enc: api.NewEncoder(loc, price)}
	d := query.Deps{Store: st, Location: loc, Scope: usage.Filter{Ifaces: q.ifaces}, Plans: cfg.Plans, Price: price,
		Files: st, MaxStorageMB: cfg.Storage.MaxStorageMB, FineRetentionDays: cfg.Storage.FineRetentionDays}
	if ps, ok := daemonPending(ctx, cfg, st, path); ok {
		s.daemon, s.live = true, ps.Live
		d.Pending = &ps.Unwritten
		d.LivePeak = func() (time.Time, uint64) { return ps.PeakTime, ps.PeakToday }
	}
	s.eng = query.New(d)
	return s, nil
}

// pendingTimeout bounds the question to the daemon: a table must not wait
// for a daemon that does not answer.
var pendingTimeout = 300 * time.Millisecond

// daemonPending asks the daemon on the configured address for its
// unwritten traffic. It answers ok only when a daemon answers and it is the
// daemon of this database (the same file, the same device id): a daemon of
// another data directory must not be mixed in. Any failure means "no
// daemon": the database alone answers, silently.
func daemonPending(ctx context.Context, cfg config.Config, st *store.Store, path string) (api.PendingSet, bool) {
	ps, err := newDaemonClient(cfg).pending(ctx, pendingTimeout)
	if err != nil {
		return ps, false
	}
	mine, err1 := os.Stat(path)
	theirs, err2 := os.Stat(ps.Database)
	if err1 != nil || err2 != nil || !os.SameFile(mine, theirs) {
		return ps, false
	}
	if id, _ := st.DeviceID(ctx); id != "" && ps.DeviceID != "" && id != ps.DeviceID {
		return ps, false
	}
	return ps, true
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

func (q *session) Close() { q.st.Close() }

// emit prints an encoded document (the API's JSON) indented.
func (q *session) emit(b []byte, err error) error {
	if err != nil {
		return err
	}
	return writeIndented(q.env, b)
}

// device describes this device in exports.
func (q *session) device(ctx context.Context) query.Device {
	id, _ := q.st.DeviceID(ctx) // a read-only store without an id yet: ""
	host, _ := hostname()
	return query.Device{Hostname: host, OSType: osType(), DeviceID: id}
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
