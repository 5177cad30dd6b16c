package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/store"
)

const storageHelp = `
The database's size against storage.max_storage_mb and its rows, with
PacketBuddy 1.x's storage numbers (the same as /api/storage). cleanup
removes 1-minute detail older than storage.fine_retention_days and old
events; with --dry-run it only counts them.

1.x's names, and what they count here: usage logs are the 1-minute detail;
daily aggregates the daily rollup rows (one per interface and UTC day);
monthly aggregates the month and year totals known only as a whole
(imported). The 15-minute history and the lifetime totals are never
removed. With the daemon running, cleanup asks it (it is the database's
only writer).`

// storageOpts are pb storage's flags.
type storageOpts struct {
	queryFlags
	dryRun bool
}

// storageFlags defines pb storage's flags.
func storageFlags(env Env) (*flag.FlagSet, *storageOpts) {
	o := new(storageOpts)
	fs := newFigureFlagSet("storage", env, &o.queryFlags)
	fs.BoolVar(&o.dryRun, "dry-run", false, "with cleanup: count what would be removed, remove nothing")
	return fs, o
}

func runStorage(ctx context.Context, args []string, env Env) error {
	fs, o := storageFlags(env)
	pos, err := parseArgs(fs, args, "storage", 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 && pos[0] != "cleanup" {
		return usagef("storage", "unknown subcommand %q: use cleanup, or nothing for the numbers%s", pos[0], actionHint("storage", pos[0]))
	}
	if len(pos) == 0 {
		if o.dryRun {
			return usagef("storage", "--dry-run goes with cleanup: pb storage cleanup --dry-run")
		}
		return storageStats(ctx, &o.queryFlags, env)
	}
	cfg, err := o.common.load(env)
	if err != nil {
		return err
	}
	res, err := cleanupViaDaemon(ctx, cfg, o.dryRun)
	if errors.Is(err, errNoDaemon) {
		res, err = cleanupDirect(ctx, cfg, env, o.dryRun)
	}
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Stdout, res)
	}
	if o.dryRun {
		fmt.Fprintf(env.Stdout, "would remove %s of 1-minute detail older than %s and %s; nothing was removed (--dry-run)\n",
			plural(int(res.Local.LogsDeleted), "row", "rows"), plural(cfg.Storage.FineRetentionDays, "day", "days"), plural(int(res.Local.EventsDeleted), "old event", "old events"))
		return nil
	}
	fmt.Fprintf(env.Stdout, "removed %s of 1-minute detail older than %s and %s; the 15-minute history and lifetime totals are kept\n",
		plural(int(res.Local.LogsDeleted), "row", "rows"), plural(cfg.Storage.FineRetentionDays, "day", "days"), plural(int(res.Local.EventsDeleted), "old event", "old events"))
	return nil
}

func storageStats(ctx context.Context, qf *queryFlags, env Env) error {
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	v, err := q.eng.Storage(ctx)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Storage(v))
	}
	st, use := v.Stats, v.Use
	span := "none"
	if !st.OldestFine.IsZero() {
		span = st.OldestFine.In(q.loc).Format(time.RFC3339) + " to " + st.NewestFine.In(q.loc).Format(time.RFC3339)
	}
	pairs := [][2]string{
		{"Database", fmt.Sprintf("%s: %s of %s (%.2f %%)", st.Path, q.bytes(uint64(use.SizeBytes)), q.bytes(uint64(use.LimitBytes())), use.Percent)},
		{"1-minute detail (1.x usage logs)", fmt.Sprintf("%s, kept %s: %s", plural(int(v.Counts.Fine), "row", "rows"), plural(v.FineRetentionDays, "day", "days"), span)},
		{"15-minute history", fmt.Sprintf("%d rows, kept for ever", st.CoarseRows)},
		{"Daily rollups (1.x daily aggregates)", strconv.FormatInt(v.Counts.Daily, 10)},
		{"Month/year totals (1.x monthly aggregates)", strconv.FormatInt(v.Counts.Periods, 10)},
	}
	if q.cfg.Sync.Enabled() {
		pairs = append(pairs, [2]string{"Sync", "pb sync status shows what is waiting to be sent"})
	}
	if use.Over() {
		pairs = append(pairs, [2]string{"Warning", "over storage.max_storage_mb: pb storage cleanup removes 1-minute detail past its retention"})
	}
	return kv(env.Stdout, useColor(qf.color, env), pairs...)
}

// cleanupResult is POST /api/storage/cleanup's answer.
type cleanupResult struct {
	Status      string `json:"status"`
	DryRun      *bool  `json:"dry_run"` // nil from a daemon that predates dry_run
	DeletedRows int64  `json:"deleted_rows"`
	Message     string `json:"message"`
	Local       struct {
		LogsDeleted       int64            `json:"logs_deleted"`
		EventsDeleted     int64            `json:"events_deleted"`
		AggregatesDeleted map[string]int64 `json:"aggregates_deleted"`
	} `json:"local"`
	Via string `json:"via"` // "daemon" or "cli"
}

// cleanupViaDaemon asks the running daemon; errNoDaemon when none listens.
func cleanupViaDaemon(ctx context.Context, cfg config.Config, dryRun bool) (cleanupResult, error) {
	var res cleanupResult
	c := newDaemonClient(cfg)
	if dryRun {
		// A daemon older than dry_run ignores it and really cleans up:
		// ask what it is first. Its /api/storage has no max_storage_mb.
		var probe struct {
			Local map[string]json.RawMessage `json:"local"`
		}
		if err := c.getJSON(ctx, "/api/storage", 10*time.Second, &probe); err == nil {
			if _, ok := probe.Local["max_storage_mb"]; !ok {
				return res, errOldDaemon
			}
		}
	}
	resp, err := c.post(ctx, "/api/storage/cleanup?dry_run="+strconv.FormatBool(dryRun), time.Minute)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, apiError(resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return res, fmt.Errorf("the daemon's answer is unreadable: %w", err)
	}
	if dryRun && (res.DryRun == nil || !*res.DryRun) {
		return res, fmt.Errorf("the running daemon ignored --dry-run (an older pb): it removed %d rows of 1-minute detail and %d old events; "+
			"update it (pb update) and restart it before the next dry run", res.Local.LogsDeleted, res.Local.EventsDeleted)
	}
	res.DryRun, res.Via = &dryRun, "daemon"
	return res, nil
}

var errOldDaemon = errors.New("the running daemon is an older pb that does not know --dry-run (it would really clean up): nothing was removed; " +
	"update it (pb update) and restart it, or stop it and run pb storage cleanup --dry-run again")

// cleanupDirect prunes from this process, with no daemon running.
func cleanupDirect(ctx context.Context, cfg config.Config, env Env, dryRun bool) (cleanupResult, error) {
	res := cleanupResult{Status: "ok", DryRun: &dryRun, Via: "cli"}
	path := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(path); err != nil {
		return res, errNoDatabase(path)
	}
	st, err := store.Open(ctx, path, store.Options{FineRetentionDays: cfg.Storage.FineRetentionDays, Now: env.now})
	if err != nil {
		return res, dbError(path, err)
	}
	defer st.Close()
	p, err := st.PruneWith(ctx, dryRun)
	if err != nil {
		return res, err
	}
	res.Local.LogsDeleted, res.Local.EventsDeleted, res.Local.AggregatesDeleted = p.FineRows, p.EventRows, map[string]int64{}
	if !dryRun {
		res.DeletedRows = p.Total()
	}
	return res, nil
}
