package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/importer"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

const importHelp = `
Import history from the Python PacketBuddy 1.x or from vnStat 2.x into this
pb's database:

  pb import --from packetbuddy [PATH]   default PATH <data-dir>/packetbuddy.db
  pb import --from vnstat [PATH]        default PATH /var/lib/vnstat/vnstat.db

First it shows what the source holds, per device (PacketBuddy 1.x kept
every synced device in one database) or per interface (vnStat): host, OS,
the days it spans and its total. By default every device is imported, as
the 1.x dashboard showed them together: this machine's 1.x history to the
interface packetbuddy-v1, each other device's to packetbuddy-v1@<host>.
--device ID imports one device only.

The finest data is used: PacketBuddy's per-second logs and vnStat's
five-minute and hourly rows where they exist; older days come from daily
(and monthly, yearly) totals, placed at local midnight of the day in the
configured time zone, so day totals are exact but their hours are not.
What a month's (or year's) total holds beyond its days is kept as a total
of that month (year): it counts in month, year and lifetime views and
exports, never as a day (day views, top days, the hour map, averages and
forecasts leave it out). PacketBuddy's peak speeds come along.
Running the import again adds nothing: traffic is only imported for spans
the database has no traffic in yet (neither pb's own nor an earlier
import's). The old file is only read.

Stop the daemon first (pb service stop, or Ctrl-C on pb serve): the import
writes the database, and the daemon must be its only writer while it runs.`

// importOpts are pb import's flags.
type importOpts struct {
	common             commonFlags
	src, device, units string
	keepID, dryRun     bool
}

// importFlags defines pb import's flags.
func importFlags(env Env) (*flag.FlagSet, *importOpts) {
	o := new(importOpts)
	fs := newFlagSet("import", env, &o.common)
	fs.StringVar(&o.src, "from", "", "`source`: packetbuddy (the Python version's packetbuddy.db) or vnstat")
	fs.BoolVar(&o.keepID, "keep-device-id", false, "packetbuddy: keep the old installation's device id")
	fs.BoolVar(&o.dryRun, "dry-run", false, "only read the source and tell what would be imported")
	fs.StringVar(&o.device, "device", "", "packetbuddy: import only the device with this `ID` (default: every device)")
	fs.StringVar(&o.units, "units", "", unitsUsage)
	return fs, o
}

func runImport(ctx context.Context, args []string, env Env) error {
	fs, o := importFlags(env)
	pos, err := parseArgs(fs, args, "import", 1)
	if err != nil {
		return err
	}
	if o.src != importer.PacketBuddy && o.src != importer.VnStat {
		return usagef("import", "--from %q: use packetbuddy or vnstat", o.src)
	}
	if o.device != "" && o.src != importer.PacketBuddy {
		return usagef("import", "--device only applies to --from packetbuddy (vnStat has no devices)")
	}
	if o.keepID && o.src != importer.PacketBuddy {
		return usagef("import", "--keep-device-id only applies to --from packetbuddy (vnStat has no device id)")
	}
	cfg, err := loadWithUnits(&o.common, o.units, env)
	if err != nil {
		return err
	}
	by := func(n uint64) string { return units.FormatBytesBase(n, cfg.Display.UnitBase()) }
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	} else if o.src == importer.PacketBuddy {
		path = filepath.Join(cfg.DataDir, "packetbuddy.db")
	} else {
		path = "/var/lib/vnstat/vnstat.db"
	}
	if !o.dryRun {
		if addr, running := daemonRunning(cfg); running {
			return fmt.Errorf("the PacketBuddy daemon is running (it answers at %s): stop it first (pb service stop, or Ctrl-C on pb serve), then run pb import again", addr)
		}
	}
	// Read and check everything before the database is touched, so a bad
	// file writes nothing.
	h, err := importer.Read(ctx, o.src, path, loc)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(cfg.DataDir, dbFile)
	if o.src == importer.PacketBuddy {
		hi, err := importHints(ctx, dbPath)
		if err != nil {
			return err
		}
		h.Claim(hi)
	}
	if o.device != "" {
		if err := h.Select(o.device); err != nil {
			return err
		}
	}
	if err := writePreview(env, h, loc, o.device != "", by); err != nil {
		return err
	}
	all := h.Summary(loc)
	if o.dryRun {
		fmt.Fprintf(env.Stdout, "%s holds %s over %s (%s to %s) on %s; nothing was written (--dry-run)\n",
			path, by(all.Totals.Total()), plural(all.Days, "day", "days"), all.First, all.Last, strings.Join(h.Ifaces, ", "))
		return nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	st, err := store.Open(ctx, dbPath, store.Options{FineRetentionDays: cfg.Storage.FineRetentionDays, Now: env.now})
	if err != nil {
		return dbError(dbPath, err)
	}
	defer st.Close()
	prog := newProgress(env, "importing")
	res, err := importer.Apply(ctx, st, h, usage.Policy{Include: cfg.Monitoring.Include, Exclude: cfg.Monitoring.Exclude}, loc, func(done, total int) {
		prog.set(int64(done), int64(total))
	})
	prog.done()
	if err != nil {
		return err
	}
	if o.keepID && h.DeviceID != "" {
		if err := st.SetDeviceID(ctx, h.DeviceID); err != nil {
			return err
		}
	}
	w := env.Stdout
	if res.Taken.Totals.Total() == 0 {
		fmt.Fprintf(w, "nothing new to import from %s", path)
	} else {
		fmt.Fprintf(w, "imported %s over %s (%s to %s) from %s into %s",
			by(res.Taken.Totals.Total()), plural(res.Taken.Days, "day", "days"), res.Taken.First, res.Taken.Last, path, strings.Join(res.Ifaces, ", "))
	}
	if res.Taken.Periods > 0 {
		fmt.Fprintf(w, ", of which %s as %s (in no day)", by(res.Taken.PeriodTotal.Total()), plural(res.Taken.Periods, "month or year total", "month or year totals"))
	}
	if res.Skipped.Totals.Total() > 0 {
		fmt.Fprintf(w, "; skipped %s over %s already in the database", by(res.Skipped.Totals.Total()), plural(res.Skipped.Days, "day", "days"))
	}
	fmt.Fprintln(w)
	if res.Peaks > 0 {
		fmt.Fprintf(w, "recorded %d peak speeds\n", res.Peaks)
	}
	if o.keepID && h.DeviceID != "" {
		fmt.Fprintf(w, "kept the device id %s\n", h.DeviceID)
	} else if o.keepID {
		fmt.Fprintln(w, "kept no device id: no imported device is this machine's (no device_id file beside the database, earlier import or host name names one of them); pb keeps its own")
	}
	return nil
}

// importHints reads what the store (when there is one) and this machine
// say about which 1.x device is this machine's.
func importHints(ctx context.Context, dbPath string) (importer.Hints, error) {
	var hi importer.Hints
	hi.Hostname, _ = hostname()
	if _, err := os.Stat(dbPath); err != nil {
		return hi, nil
	}
	st, err := store.Open(ctx, dbPath, store.Options{ReadOnly: true})
	if err != nil {
		return hi, dbError(dbPath, err)
	}
	defer st.Close()
	// Hints only: a store of an older schema (read-only opens do not
	// migrate) that cannot answer gives none, and the import goes on.
	hi.Imported, _ = st.ImportedDevices(ctx)
	hi.DeviceID, _ = st.DeviceID(ctx)
	ifs, _ := st.InterfaceLifetimes(ctx)
	_, recorded := hi.Imported[importer.ImportedIface]
	hi.Legacy = !recorded && slices.ContainsFunc(ifs, func(i usage.InterfaceTotals) bool { return i.Name == importer.ImportedIface })
	return hi, nil
}

// writePreview prints what the source holds, a row per device (or
// interface), before anything is written, and which devices are taken.
func writePreview(env Env, h *importer.History, loc *time.Location, picked bool, by func(uint64) string) error {
	sums := h.Summaries(loc)
	t := newTable("Device", "Host", "OS", "Span", "Days", "Total", "Imported as").alignRight(4, 5)
	for _, d := range sums {
		span := "-"
		if !d.First.IsZero() {
			span = d.First.String() + " to " + d.Last.String()
		}
		id, host, os := d.ID, d.Hostname, d.OS
		if h.Source == importer.VnStat {
			id, host, os = d.Iface, "this machine", "-"
		}
		if d.Local && h.Source == importer.PacketBuddy {
			id += " (this machine)"
		}
		t.add(orDash(id), orDash(host), orDash(os), span, strconv.Itoa(d.Days), by(d.Totals.Total()), d.Iface)
	}
	if err := t.write(env.Stdout, false); err != nil {
		return err
	}
	if n := len(h.Devices); n > 1 && !picked {
		fmt.Fprintf(env.Stdout, "all %d devices are imported, as the 1.x dashboard showed them together; --device ID takes one only\n", n)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// daemonRunning asks the configured API address for /api/health.
func daemonRunning(cfg config.Config) (string, bool) {
	addr := apiAddr(cfg)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/health", nil)
	if err != nil {
		return addr, false
	}
	if tok, err := os.ReadFile(filepath.Join(cfg.DataDir, api.TokenFile)); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return addr, false
	}
	resp.Body.Close()
	return addr, true
}

// apiAddr is where the daemon's API listens per the config (a wildcard
// host is reached on loopback).
func apiAddr(cfg config.Config) string {
	host := cfg.API.Host
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	port := cfg.API.Port
	if port == 0 {
		port = api.DefaultPort
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
}

// offerImport returns a hint for pb serve's first start when the Python
// version's database sits in the data directory and was not imported yet,
// or "".
func offerImport(dataDir string) string {
	old := filepath.Join(dataDir, "packetbuddy.db")
	if _, err := os.Stat(old); err != nil {
		return ""
	}
	if st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{ReadOnly: true}); err == nil {
		defer st.Close()
		if ifs, err := st.InterfaceLifetimes(context.Background()); err == nil {
			for _, i := range ifs {
				if strings.HasPrefix(i.Name, importer.ImportedIface) {
					return "" // imported already
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, store.ErrNotPacketBuddy) {
		return ""
	}
	return fmt.Sprintf("Found the history of PacketBuddy 1.x at %s. To bring it into pb, stop pb serve and run:\n  pb import --from packetbuddy %s --keep-device-id", old, old)
}
