// Package config reads PacketBuddy's settings: a TOML file
// (~/.packetbuddy/config.toml by default), then PB_* environment variables on
// top, then validation of the result.
//
// Every problem a user can make is reported with where it is (file and line,
// or the environment variable), which setting, the value, why it is wrong and
// what is allowed, and all problems are reported at once so a broken file is
// fixed in one edit. The sync database URL carries a password, so it is never
// printed: errors leave it out and String, Redacted and TOML mask it.
//
// One table (fields in schema.go) drives decoding, environment overrides, the
// unknown-key suggestions, the commented template and "pb config show", so a
// new setting is added in one place.
package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // IANA zones on Windows and minimal containers, which have no zoneinfo files

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/zone"
)

// FileName is the config file's name inside the data directory.
const FileName = "config.toml"

// Config is PacketBuddy's configuration. The zero value is not useful; start
// from Default or Load.
type Config struct {
	// Timezone is the IANA zone that local days, months and billing cycles
	// are counted in; "" (or "Local") is the operating system's zone.
	Timezone   string     `toml:"timezone"`
	API        API        `toml:"api"`
	Monitoring Monitoring `toml:"monitoring"`
	Storage    Storage    `toml:"storage"`
	Apps       Apps       `toml:"apps"`
	Sync       Sync       `toml:"sync"`
	Cost       Cost       `toml:"cost"`
	Alerts     Alerts     `toml:"alerts"`
	Display    Display    `toml:"display"`

	// Plans are the data plans of the file's [[plan]] tables, validated, in
	// file order. Plans are read from the file only: no environment
	// variable sets them.
	Plans []plan.Spec `toml:"-"`
	// RawPlans are the same [[plan]] tables as written, which TOML and
	// "pb config show" print (a Spec cannot be written back: it no longer
	// knows how the user spelled "1TB").
	RawPlans []plan.RawSpec `toml:"plan"`

	// Legacy are the PacketBuddy 1.x keys the file had and what pb did
	// with each, in file order; empty for a file in pb's format.
	Legacy []Notice `toml:"-"`

	// DataDir is where the database and other state live. It is not in the
	// file: it decides where the file is.
	DataDir string `toml:"-"`
	// Path is the config file that was read, "" if none was (defaults).
	Path string `toml:"-"`
}

// API configures the local HTTP server (REST API, dashboard, metrics).
type API struct {
	// Host is the address to listen on. Loopback by default; anything else
	// exposes usage data to the network, so the server then demands a token.
	Host string `toml:"host"`
	// Port is the TCP port.
	Port int `toml:"port"`
	// AllowedOrigins are browser origins ("http://localhost:3000") allowed to
	// call the API cross-origin. There is no wildcard: a wildcard would let
	// any web page read the user's traffic history.
	AllowedOrigins []string `toml:"allowed_origins"`
	// AllowedHosts are Host header names accepted besides the loopback names
	// and addresses. Checking Host is what defeats DNS rebinding, so only
	// names the user actually uses belong here.
	AllowedHosts []string `toml:"allowed_hosts"`
	// RequireToken demands the bearer token or a paired session from
	// clients on this machine too (behind a reverse proxy or tailscale serve
	// on the same machine, every request comes from loopback).
	RequireToken bool `toml:"require_token"`
	// PairCodeTTL is how long a pairing code (pb pair) is valid.
	PairCodeTTL time.Duration `toml:"pair_code_ttl"`
	// TLSCert and TLSKey are PEM files; both set serves HTTPS.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// Monitoring configures how counters are sampled and written.
type Monitoring struct {
	// PollInterval is how often interface counters are read; it is the
	// resolution of live speeds and peaks.
	PollInterval time.Duration `toml:"poll_interval"`
	// BatchWriteInterval is how often accumulated deltas are written, in one
	// transaction. Longer means fewer disk writes and more to lose on a
	// power cut.
	BatchWriteInterval time.Duration `toml:"batch_write_interval"`
	// Include are interface-name globs (path.Match syntax) counted in the
	// total even when the built-in rules leave them out.
	Include []string `toml:"include"`
	// Exclude are interface-name globs never counted in the total; Exclude
	// wins over Include. Excluded interfaces are still recorded.
	Exclude []string `toml:"exclude"`
	// ProcPath, when set, is the directory whose net/dev lists the
	// interfaces to count (e.g. /host/proc/1 for a host /proc mounted in a
	// container). Empty means the normal reader. Linux only.
	ProcPath string `toml:"proc_path"`
}

// Storage configures retention.
type Storage struct {
	// FineRetentionDays is how many days of the 1-minute tier are kept. The
	// 15-minute tier is kept for ever, so lifetime totals never shrink.
	FineRetentionDays int `toml:"fine_retention_days"`
	// MaxStorageMB is the database size (MB of 2^20 bytes, as 1.x and
	// db_size_mb count it) above which /api/health and pb storage warn.
	// 1.x's setting of the same name.
	MaxStorageMB int `toml:"max_storage_mb"`
}

// Apps configures per-application usage (Linux: eBPF, or TCP only from
// socket diagnostics).
type Apps struct {
	// Enabled switches per-app counting on: pb serve then loads eBPF
	// programs (root or CAP_BPF + CAP_NET_ADMIN). Off by default.
	Enabled bool `toml:"enabled"`
	// Method is how: "auto" (eBPF, else the TCP-only fallback), "ebpf"
	// or "sock_diag" (the fallback only).
	Method string `toml:"method"`
	// RetentionDays is how many days of per-app traffic are kept; interface
	// totals are not affected.
	RetentionDays int `toml:"retention_days"`
	// MetricsTop is how many of today's largest apps /metrics shows (the
	// rest as one "other" series); 0 shows none.
	MetricsTop int `toml:"metrics_top"`
}

// Sync configures the optional PostgreSQL fleet sync.
type Sync struct {
	// DatabaseURL is a PostgreSQL connection URL (or key=value string); ""
	// turns sync off. It holds a password: never print it, use Redacted.
	DatabaseURL string `toml:"database_url"`
	// Interval is how often changes are sent.
	Interval time.Duration `toml:"interval"`
	// On false keeps sync off whatever database URL the file or the
	// environment gives (PacketBuddy 1.x's "[sync] enabled = false").
	On bool `toml:"enabled"`
}

// Cost configures the cost estimate.
type Cost struct {
	// RatePerGB is the price of one GB, in the same unit base as the
	// human-readable byte counts (decimal GB by default).
	RatePerGB float64 `toml:"rate_per_gb"`
	// Currency is the ISO 4217 code of RatePerGB, upper case.
	Currency string `toml:"currency"`
}

// Display configures how figures are shown to people.
type Display struct {
	// Units is the byte-unit family of the CLI, the dashboard, the API's
	// human_readable strings and the reports: "si" (1 KB = 1000 B, the
	// default, as PacketBuddy 1.x) or "iec" (1 KiB = 1024 B).
	Units string `toml:"units"`
}

// UnitBase is the parsed Display.Units; SI for anything Validate refuses.
func (d Display) UnitBase() units.Base {
	b, _ := units.ParseBase(d.Units)
	return b
}

// Alerts configures where data-plan alerts are delivered. They always go to
// the log and the alert history.
type Alerts struct {
	// WebhookURL receives a POST per alert; "". It may embed a token
	// (Slack, Discord): never print it.
	WebhookURL string `toml:"webhook_url"`
	// WebhookFormat is "json" (default), "ntfy" or "slack".
	WebhookFormat string `toml:"webhook_format"`
	// WebhookToken, if set, is sent as a bearer token. A secret.
	WebhookToken string `toml:"webhook_token"`
	// Desktop shows alerts as desktop notifications, best effort.
	Desktop bool `toml:"desktop"`
	// Unusual also delivers unusual-usage events as alerts.
	Unusual bool `toml:"unusual"`
}

// Redacted masks the webhook's secrets: the token, and the URL's path and
// query (Slack, Discord and ntfy put their tokens there), keeping the
// scheme and host so the user still sees where alerts go.
func (a Alerts) Redacted() Alerts {
	if a.WebhookToken != "" {
		a.WebhookToken = mask
	}
	if a.WebhookURL != "" {
		a.WebhookURL = redactWebhook(a.WebhookURL)
	}
	return a
}

// Default returns the built-in configuration: what a missing file means.
func Default() Config {
	return Config{
		Timezone: "",
		API: API{
			Host:           "127.0.0.1",
			Port:           7373,
			AllowedOrigins: []string{},
			AllowedHosts:   []string{},
			PairCodeTTL:    5 * time.Minute,
		},
		Monitoring: Monitoring{
			PollInterval:       time.Second,
			BatchWriteInterval: 2 * time.Minute,
			Include:            []string{},
			Exclude:            []string{},
		},
		Storage: Storage{FineRetentionDays: 7, MaxStorageMB: 400},
		Apps:    Apps{Method: "auto", RetentionDays: 90, MetricsTop: 10},
		Sync:    Sync{Interval: 60 * time.Second, On: true},
		Cost:    Cost{RatePerGB: 7.50, Currency: "INR"},
		Alerts:  Alerts{WebhookFormat: "json"},
		Display: Display{Units: "si"},
	}
}

// DefaultDataDir returns $HOME/.packetbuddy (%USERPROFILE%\.packetbuddy on
// Windows).
func DefaultDataDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory for the default data directory (%w); pass --data-dir or set PB_DATA_DIR", err)
	}
	return filepath.Join(home, ".packetbuddy"), nil
}

// Addr returns the API's listen address, "127.0.0.1:7373" by default, with
// IPv6 hosts bracketed ("[::1]:7373").
func (c Config) Addr() string {
	return net.JoinHostPort(c.API.Host, strconv.Itoa(c.API.Port))
}

// tzExamples ends the unknown-zone message, so the user sees the format.
const tzExamples = "unknown IANA time zone; examples: Asia/Kolkata, Europe/Berlin, America/New_York"

// Location returns the time zone local days are counted in: when Timezone
// is "" or "Local", the operating system's zone loaded by its IANA name
// (zone.Local), so that it is named "Europe/Berlin" wherever it is shown,
// never "Local"; else the named IANA zone. The zone database is embedded
// (time/tzdata), so this works without zoneinfo files.
func (c Config) Location() (*time.Location, error) {
	if c.Timezone == "" || c.Timezone == "Local" {
		return zone.Local(), nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, &FieldError{Key: "timezone", Value: quote(c.Timezone), Msg: tzExamples}
	}
	return loc, nil
}

// Enabled reports whether fleet sync is configured.
func (s Sync) Enabled() bool { return s.DatabaseURL != "" }

// OffBecause says why sync is off and what turns it on (call it when
// Enabled is false).
func (s Sync) OffBecause() string {
	if !s.On {
		return "sync is off: [sync] enabled = false (or PB_SYNC_ENABLED=false) keeps it off; set it to true"
	}
	return "sync is off: set [sync] database_url or PB_DATABASE_URL"
}

// Redacted returns a copy of c that is safe to print or log: the database
// URL's password and the webhook's token and path are replaced by "****". Slices are copied too, so changing
// the copy never changes c.
func (c Config) Redacted() Config {
	r := c
	r.Sync = c.Sync.Redacted()
	r.Alerts = c.Alerts.Redacted()
	r.API.AllowedOrigins = slices.Clone(c.API.AllowedOrigins)
	r.API.AllowedHosts = slices.Clone(c.API.AllowedHosts)
	r.Monitoring.Include = slices.Clone(c.Monitoring.Include)
	r.Monitoring.Exclude = slices.Clone(c.Monitoring.Exclude)
	r.RawPlans, r.Plans = clonePlans(c.RawPlans, c.Plans)
	r.Legacy = slices.Clone(c.Legacy)
	return r
}

// String returns the effective configuration as TOML with secrets masked, so
// printing a Config by accident never leaks the database password.
func (c Config) String() string {
	s, _ := c.TOML()
	return s
}

// GoString masks secrets for %#v too.
func (c Config) GoString() string {
	type plain Config // no methods: avoids recursing into GoString
	return fmt.Sprintf("%#v", plain(c.Redacted()))
}

// LogValue makes slog print a redacted summary instead of the raw struct
// (the JSON handler would otherwise print the database URL).
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("path", c.Path),
		slog.String("data_dir", c.DataDir),
		slog.String("timezone", c.Timezone),
		slog.String("api", c.Addr()),
		slog.Duration("poll_interval", c.Monitoring.PollInterval),
		slog.Duration("batch_write_interval", c.Monitoring.BatchWriteInterval),
		slog.String("proc_path", c.Monitoring.ProcPath),
		slog.Int("fine_retention_days", c.Storage.FineRetentionDays),
		slog.Bool("apps", c.Apps.Enabled),
		slog.Any("sync", c.Sync),
		slog.Float64("rate_per_gb", c.Cost.RatePerGB),
		slog.String("currency", c.Cost.Currency),
		slog.Int("plans", len(c.Plans)),
	)
}

// Redacted returns s with the database URL's password masked.
func (s Sync) Redacted() Sync {
	s.DatabaseURL = RedactURL(s.DatabaseURL)
	return s
}

// String prints s with the password masked.
func (s Sync) String() string {
	return fmt.Sprintf("{database_url: %q, interval: %s}", RedactURL(s.DatabaseURL), formatDuration(s.Interval))
}

// GoString masks the password for %#v too.
func (s Sync) GoString() string {
	type plain Sync
	return fmt.Sprintf("%#v", plain(s.Redacted()))
}

// MarshalJSON masks the password in JSON too, so a Sync (or a Config) sent
// through an API or a JSON log never carries it.
func (s Sync) MarshalJSON() ([]byte, error) {
	type plain Sync
	return json.Marshal(plain(s.Redacted()))
}

// LogValue makes slog print s with the password masked.
func (s Sync) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", s.Enabled()),
		slog.String("database_url", RedactURL(s.DatabaseURL)),
		slog.Duration("interval", s.Interval),
	)
}
