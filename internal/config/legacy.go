package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// PacketBuddy 1.x (the Python version) read the same ~/.packetbuddy/config.toml
// with other keys: bare numbers of seconds, [database], [auto_update],
// [storage.neon] and more. Its users upgrade in place, so a 1.x file must
// start pb: each 1.x key is mapped to its pb setting or ignored, and each
// gives one Notice naming the key and what happens to it. The keys below are
// the whole 1.x format (its config.py defaults, config.example.toml and
// configuration guide); a key in neither format is still an error.

// Notice is a PacketBuddy 1.x setting found in the file and what pb does
// with it. "pb serve" logs each once at start; "pb config migrate" lists
// them in the file it writes.
type Notice struct {
	Path  string // config file
	Line  int    // 1-based line of the key; 0 if unknown
	Key   string // dotted 1.x key: "api.cors_enabled"
	Value string // the value as written; "" when it may be secret
	Msg   string // what pb does with it
}

// String formats the notice like a FieldError, on one line.
// At is "line N: ", or "" when the line is not known (a key the file
// writes in an inline table).
func (n Notice) At() string {
	if n.Line > 0 {
		return "line " + strconv.Itoa(n.Line) + ": "
	}
	return ""
}

func (n Notice) String() string {
	var b strings.Builder
	b.WriteString("config")
	if n.Path != "" {
		b.WriteString(" " + n.Path)
	}
	b.WriteString(": " + n.At() + n.Key)
	if n.Value != "" {
		b.WriteString(" = " + n.Value)
	}
	b.WriteString(" (PacketBuddy 1.x): " + n.Msg)
	return b.String()
}

// legacyTables are the 1.x sections pb does not have; decodeFile walks into
// them so their keys are matched against legacyKeys.
var legacyTables = map[string]bool{"database": true, "auto_update": true, "storage.neon": true}

// legacySeconds are pb duration settings that 1.x wrote as a bare number of
// seconds ("poll_interval = 1"). Such a number is read as seconds.
var legacySeconds = map[string]bool{
	"monitoring.poll_interval":        true,
	"monitoring.batch_write_interval": true,
	"sync.interval":                   true,
}

// legacyAction applies a 1.x key's value to cfg. set holds the pb keys the
// file sets itself, which a 1.x key never overrides. It returns the notice's
// message, or a problem when the value cannot be used.
type legacyAction func(cfg *Config, v any, set map[string]bool) (msg, problem string)

// ignored is the action of a 1.x key pb has no use for, with the reason.
func ignored(why string) legacyAction {
	return func(*Config, any, map[string]bool) (string, string) { return "ignored: " + why, "" }
}

const (
	whyUpdate  = `pb never updates itself in the background; run "pb update" to check for and install a new version`
	whyNeon    = "the fleet database holds absolute 15-minute rows that pb never deletes, so it needs no cleanup; the warning threshold is storage.max_storage_mb"
	whyRetries = "pb retries a failed sync with exponential backoff and jitter until the server answers, and keeps everything unsent meanwhile"
)

// legacyKeys maps every 1.x key to what pb does with it.
var legacyKeys = map[string]legacyAction{
	"api.cors_enabled": ignored("pb never answers every web origin (any site could read your traffic); " +
		"the dashboard needs no CORS, and other origins go in api.allowed_origins"),
	"monitoring.interface":                    legacyInterface,
	"monitoring.max_delta_bytes":              ignored("pb discards a delta faster than the link can carry (its link speed, or a generous cap) and logs it as an event"),
	"sync.retry_delay":                        ignored(whyRetries),
	"sync.max_retries":                        ignored(whyRetries),
	"database.neon_url":                       legacyNeonURL,
	"database.pool_size":                      ignored("pb opens one connection when it syncs and lets it close when idle, so a serverless database can sleep"),
	"auto_update.enabled":                     ignored(whyUpdate),
	"auto_update.check_on_startup":            ignored(whyUpdate),
	"auto_update.check_interval_hours":        ignored(whyUpdate),
	"auto_update.auto_apply":                  ignored(whyUpdate),
	"auto_update.auto_restart":                ignored(whyUpdate),
	"storage.log_retention_days":              legacyLogRetention,
	"storage.aggregate_retention_months":      ignored("pb keeps the 15-minute history and every total for ever (about 2 MB per interface-year)"),
	"storage.cleanup_interval_hours":          ignored("pb prunes the 1-minute detail past storage.fine_retention_days by itself, once a day"),
	"storage.vacuum_after_cleanup":            ignored(`pb's database stays small without VACUUM; "pb storage cleanup" reclaims space when asked`),
	"storage.neon.log_retention_days":         ignored(whyNeon),
	"storage.neon.aggregate_retention_months": ignored(whyNeon),
	"storage.neon.max_storage_mb":             ignored(whyNeon),
	"storage.neon.warning_threshold_percent":  ignored(whyNeon),
	"storage.neon.cleanup_on_sync":            ignored(whyNeon),
	"cost.cost_per_gb":                        legacyCostPerGB,
}

func legacyInterface(cfg *Config, v any, _ map[string]bool) (string, string) {
	name, ok := v.(string)
	if !ok {
		return "", fmt.Sprintf(`is %s, expected an interface name in double quotes or "auto"`, typeName(v))
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "auto") {
		return `ignored: "auto" is what pb does: every physical uplink is counted once, loopback, containers, VMs and tunnels are left out`, ""
	}
	if msg := checkGlob(name); msg != "" {
		return "", msg
	}
	cfg.Monitoring.Include = append(cfg.Monitoring.Include, name)
	return fmt.Sprintf("read as monitoring.include = [%s]: it is counted in the total; pb counts the other physical uplinks too "+
		"(list them in monitoring.exclude to leave them out)", quote(name)), ""
}

func legacyNeonURL(cfg *Config, v any, set map[string]bool) (string, string) {
	u, ok := v.(string)
	if !ok {
		return "", fmt.Sprintf("is %s, expected a PostgreSQL URL in double quotes", typeName(v))
	}
	switch {
	case strings.TrimSpace(u) == "":
		return "ignored: empty (no sync database)", ""
	case set["sync.database_url"]:
		return "ignored: sync.database_url is set too, and wins", ""
	}
	cfg.Sync.DatabaseURL = u
	return "used as sync.database_url (not shown: it holds a password)", ""
}

func legacyLogRetention(cfg *Config, v any, set map[string]bool) (string, string) {
	n, ok := v.(int64)
	if !ok {
		return "", fmt.Sprintf("is %s, expected a whole number of days", typeName(v))
	}
	if set["storage.fine_retention_days"] {
		return "ignored: storage.fine_retention_days is set too, and wins", ""
	}
	if n < minRetention || n > maxRetention {
		return "", fmt.Sprintf("must be between %d and %d days", minRetention, maxRetention)
	}
	cfg.Storage.FineRetentionDays = int(n)
	return fmt.Sprintf("read as storage.fine_retention_days = %d: days of 1-minute detail (1.x kept per-second logs); "+
		"the 15-minute history and all totals are kept for ever", n), ""
}

func legacyCostPerGB(cfg *Config, v any, set map[string]bool) (string, string) {
	n, ok := toFloat(v)
	if !ok {
		return "", fmt.Sprintf("is %s, expected a number", typeName(v))
	}
	if set["cost.rate_per_gb"] {
		return "ignored: cost.rate_per_gb is set too, and wins", ""
	}
	cfg.Cost.RatePerGB = n
	return "read as cost.rate_per_gb = " + formatFloat(n), ""
}

// legacyDuration reads a bare number of seconds (1.x) into a duration
// setting. ok is false when v is not a number.
func legacyDuration(p *time.Duration, v any) (msg string, ok bool) {
	secs, isNum := toFloat(v)
	if !isNum || math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > 1e9 {
		return "", false
	}
	*p = time.Duration(secs * float64(time.Second))
	return fmt.Sprintf("a bare number is read as seconds, as 1.x did: %s", quote(formatDuration(*p))), true
}

// pendingLegacy is a 1.x key seen by decodeFile, applied once every pb key
// of the file is known (a pb key wins over its 1.x spelling).
type pendingLegacy struct {
	key    string
	line   int
	v      any
	action legacyAction
}

// applyLegacy applies the 1.x keys, in file order, to cfg.
func applyLegacy(cfg *Config, path string, pending []pendingLegacy, set map[string]bool) []*FieldError {
	var problems []*FieldError
	for _, p := range pending {
		msg, problem := p.action(cfg, p.v, set)
		raw := renderRaw(p.v)
		if p.key == "database.neon_url" {
			raw = ""
		}
		if problem != "" {
			problems = append(problems, &FieldError{Path: path, Line: p.line, Key: p.key, Value: raw,
				Msg: problem + " (a PacketBuddy 1.x setting; see \"pb config migrate\")"})
			continue
		}
		cfg.Legacy = append(cfg.Legacy, Notice{Path: path, Line: p.line, Key: p.key, Value: raw, Msg: msg})
	}
	return problems
}

// Is1x reports whether the file was in PacketBuddy 1.x's format (it had a
// key only 1.x knows, or a bare number of seconds).
func (c Config) Is1x() bool { return len(c.Legacy) > 0 }
