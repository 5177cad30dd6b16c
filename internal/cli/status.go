package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/store"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/units"
)

const statusHelp = `
Tell whether the daemon is running (and since when), where the data lives,
how big the database is, when the daemon last wrote it, and the sync state.
The daemon's part comes from its /api/health; the rest from the database
file, so it works with the daemon stopped. --json prints both:
{"daemon": <GET /api/health or null>, "database": {...}}.`

// statusFlags defines pb status's flags.
func statusFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("status", env, qf), qf
}

func runStatus(ctx context.Context, args []string, env Env) error {
	fs, qf := statusFlags(env)
	_, err := parseArgs(fs, args, "status", 0)
	if err != nil {
		return err
	}
	cfg, err := qf.load(env)
	if err != nil {
		return err
	}
	c := newDaemonClient(cfg)
	var health map[string]any
	herr := c.getJSON(ctx, "/api/health", 3*time.Second, &health)
	dbPath := filepath.Join(cfg.DataDir, dbFile)
	type dbInfo struct {
		Path        string `json:"path"`
		Exists      bool   `json:"exists"`
		SizeBytes   int64  `json:"size_bytes"`
		Interfaces  int    `json:"interfaces"`
		FirstBucket string `json:"first_bucket,omitempty"`
		LastBucket  string `json:"last_bucket,omitempty"`
		Error       string `json:"error,omitempty"`
	}
	db := dbInfo{Path: dbPath}
	if _, err := os.Stat(dbPath); err == nil {
		db.Exists = true
		st, err := store.Open(ctx, dbPath, store.Options{ReadOnly: true})
		if err != nil {
			db.Error = dbError(dbPath, err).Error()
		} else {
			if s, err := st.Stats(ctx); err == nil {
				db.SizeBytes, db.Interfaces = s.SizeBytes, s.Interfaces
				if !s.OldestCoarse.IsZero() {
					db.FirstBucket = s.OldestCoarse.Format(time.RFC3339)
					db.LastBucket = s.NewestCoarse.Format(time.RFC3339)
				}
			} else {
				db.Error = err.Error()
			}
			st.Close()
		}
	}
	if qf.json {
		b, err := json.Marshal(struct {
			Daemon   map[string]any `json:"daemon"`
			Address  string         `json:"address"`
			DataDir  string         `json:"data_dir"`
			Database dbInfo         `json:"database"`
		}{health, c.addr, cfg.DataDir, db})
		if err != nil {
			return err
		}
		return writeIndented(env, b)
	}
	col := useColor(qf.color, env)
	var pairs [][2]string
	if herr != nil {
		pairs = append(pairs, [2]string{"Daemon", paint(col, ansiDim, "not running") + " (nothing answers at " + c.addr + "; start it with \"pb serve\")"})
	} else {
		up := ""
		if s, ok := health["uptime_seconds"].(float64); ok && s > 0 {
			since := env.now().Add(-time.Duration(s) * time.Second).Format("2006-01-02 15:04")
			up = fmt.Sprintf(", since %s, up %s", since, (time.Duration(s) * time.Second).String())
		}
		pairs = append(pairs, [2]string{"Daemon", paint(col, ansiGreen, "running") + fmt.Sprintf(" at http://%s/ (version %v%s)", c.addr, health["version"], up)})
		if m, ok := health["monitor"].(map[string]any); ok {
			if v, ok := m["last_poll"].(string); ok {
				pairs = append(pairs, [2]string{"Last poll", v})
			}
			if v, ok := m["last_flush"].(string); ok {
				flush := v
				if failed, _ := m["last_flush_failed"].(bool); failed {
					flush += " (the last write FAILED; see the daemon's log)"
				}
				pairs = append(pairs, [2]string{"Last flush", flush})
			}
		}
		pairs = append(pairs, syncLines(health, env)...)
		if id, ok := health["device_id"].(string); ok {
			pairs = append(pairs, [2]string{"Device", id})
		}
	}
	pairs = append(pairs, [2]string{"Data dir", cfg.DataDir})
	switch {
	case !db.Exists:
		pairs = append(pairs, [2]string{"Database", dbPath + " (none yet: pb serve creates it)"})
	case db.Error != "":
		pairs = append(pairs, [2]string{"Database", db.Error})
	default:
		pairs = append(pairs, [2]string{"Database", fmt.Sprintf("%s, %s, %s", dbPath, units.FormatBytesBase(uint64(db.SizeBytes), cfg.Display.UnitBase()), plural(db.Interfaces, "interface", "interfaces"))})
		if db.FirstBucket != "" {
			pairs = append(pairs, [2]string{"History", db.FirstBucket[:10] + " to " + db.LastBucket[:10]})
		}
	}
	return kv(env.Stdout, col, pairs...)
}

// syncLines describes the daemon's sync state (its /api/health "sync"
// object) in words: on or off, the last success, what waits, the last
// error in one line.
func syncLines(health map[string]any, env Env) [][2]string {
	if on, _ := health["sync_enabled"].(bool); !on {
		return [][2]string{{"Sync", "off"}}
	}
	var st pbsync.Status
	if raw, ok := health["sync"]; ok {
		if b, err := json.Marshal(raw); err == nil {
			_ = json.Unmarshal(b, &st) // a field of another shape stays zero
		}
	}
	line := "on, last success " + when(st.LastSuccess, env)
	if st.Pending > 0 {
		line += fmt.Sprintf(", %s waiting", plural(int(st.Pending), "bucket", "buckets"))
	}
	out := [][2]string{{"Sync", line}}
	if st.LastError != "" {
		e := strings.Join(strings.Fields(config.RedactURL(st.LastError)), " ")
		if st.Failures > 0 {
			e += fmt.Sprintf(" (%s in a row, last %s)", plural(st.Failures, "failure", "failures"), when(st.LastErrorAt, env))
		}
		out = append(out, [2]string{"Sync error", e})
	}
	return out
}

// plural is "1 day" or "2 days".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
