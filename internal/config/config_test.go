package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/zone"
)

// env returns a getenv that reads only m, so tests never see the machine's
// PB_* variables.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeConfig writes doc to a config.toml in a new temporary directory and
// returns its path.
func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadDoc loads doc from a real file with the given environment and returns
// the error text with the file's path replaced by "{path}", so expected
// messages can be written out in full.
func loadDoc(t *testing.T, doc string, vars map[string]string) (Config, string) {
	t.Helper()
	path := writeConfig(t, doc)
	cfg, err := Load(path, env(vars))
	if err == nil {
		return cfg, ""
	}
	return cfg, strings.ReplaceAll(err.Error(), path, "{path}")
}

func TestDefaultsWhenDefaultFileMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := LoadWith(Options{DataDir: dir, Getenv: env(nil)})
	if err != nil {
		t.Fatalf("LoadWith: %v", err)
	}
	want := Default()
	want.DataDir = dir
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config without a file differs from Default() (-want +got):\n%s", diff)
	}
	if cfg.Path != "" {
		t.Errorf("Path = %q, want \"\" when no file was read", cfg.Path)
	}
}

func TestDefaultFileIsRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[api]\nport = 8080\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadWith(Options{Getenv: env(map[string]string{"PB_DATA_DIR": dir})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.Port != 8080 || cfg.Path != filepath.Join(dir, "config.toml") || cfg.DataDir != dir {
		t.Errorf("got port %d, path %q, data dir %q", cfg.API.Port, cfg.Path, cfg.DataDir)
	}
}

func TestExplicitMissingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"flag", Options{DataDir: dir, ConfigPath: missing, Getenv: env(nil)},
			`config ` + missing + `: file not found (given by --config); check the path, or create the file with "pb config init"`},
		{"env", Options{DataDir: dir, Getenv: env(map[string]string{"PB_CONFIG": missing})},
			`config ` + missing + `: file not found (given by PB_CONFIG); check the path, or create the file with "pb config init"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadWith(tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
	if _, err := Load(missing, env(nil)); err == nil {
		t.Error("Load with a missing explicit path: no error")
	}
}

func TestUnreadableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory where the file should be
	_, err := Load(dir, env(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "config "+dir+": cannot read the file: ") {
		t.Errorf("error = %v", err)
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	base := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want Paths
	}{
		{"defaults", Options{Getenv: env(nil)},
			Paths{DataDir: filepath.Join(home, ".packetbuddy"), Config: filepath.Join(home, ".packetbuddy", "config.toml")}},
		{"PB_DATA_DIR", Options{Getenv: env(map[string]string{"PB_DATA_DIR": base})},
			Paths{DataDir: base, Config: filepath.Join(base, "config.toml")}},
		{"flag beats env", Options{DataDir: filepath.Join(base, "flag"), Getenv: env(map[string]string{"PB_DATA_DIR": base})},
			Paths{DataDir: filepath.Join(base, "flag"), Config: filepath.Join(base, "flag", "config.toml")}},
		{"PB_CONFIG", Options{DataDir: base, Getenv: env(map[string]string{"PB_CONFIG": filepath.Join(base, "x.toml")})},
			Paths{DataDir: base, Config: filepath.Join(base, "x.toml"), Explicit: true, From: "PB_CONFIG"}},
		{"--config beats PB_CONFIG", Options{DataDir: base, ConfigPath: filepath.Join(base, "y.toml"), Getenv: env(map[string]string{"PB_CONFIG": "x"})},
			Paths{DataDir: base, Config: filepath.Join(base, "y.toml"), Explicit: true, From: "--config"}},
		{"relative and ~", Options{DataDir: "rel", ConfigPath: "~/pb.toml", Getenv: env(nil)},
			Paths{DataDir: abs("rel"), Config: filepath.Join(home, "pb.toml"), Explicit: true, From: "--config"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.Paths()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	doc := `
timezone = "Asia/Kolkata"
[api]
host = "::1"
port = 8080
allowed_origins = ["http://localhost:3000", "https://pb.example"]
allowed_hosts = ["pb.home.arpa", "pb.local:7373"]
[monitoring]
poll_interval = "500ms"
batch_write_interval = "2m"
include = ["tun0"]
exclude = ["usb*", "eth[0-3]"]
[storage]
fine_retention_days = 30
max_storage_mb = 250
[sync]
database_url = "postgres://pb:pw@db.example/pb?sslmode=require"
interval = "5m"
[cost]
rate_per_gb = 10 # an integer is a fine price
currency = " usd "
[alerts]
webhook_url = "https://hooks.example/T0/B0/xyz"
webhook_format = " Slack "
webhook_token = "tk_123"
desktop = true
[display]
units = " IEC "
`
	cfg, errText := loadDoc(t, doc, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	want := Config{
		Timezone: "Asia/Kolkata",
		API: API{Host: "::1", Port: 8080,
			AllowedOrigins: []string{"http://localhost:3000", "https://pb.example"},
			AllowedHosts:   []string{"pb.home.arpa", "pb.local:7373"}, PairCodeTTL: 5 * time.Minute},
		Monitoring: Monitoring{PollInterval: 500 * time.Millisecond, BatchWriteInterval: 2 * time.Minute,
			Include: []string{"tun0"}, Exclude: []string{"usb*", "eth[0-3]"}},
		Storage: Storage{FineRetentionDays: 30, MaxStorageMB: 250},
		Apps:    Apps{Method: "auto", RetentionDays: 90, MetricsTop: 10},
		Sync:    Sync{DatabaseURL: "postgres://pb:pw@db.example/pb?sslmode=require", Interval: 5 * time.Minute, On: true},
		Cost:    Cost{RatePerGB: 10, Currency: "USD"},
		Alerts:  Alerts{WebhookURL: "https://hooks.example/T0/B0/xyz", WebhookFormat: "slack", WebhookToken: "tk_123", Desktop: true},
		Display: Display{Units: "iec"},
		DataDir: cfg.DataDir,
		Path:    cfg.Path,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := cfg.Addr(); got != "[::1]:8080" {
		t.Errorf("Addr() = %q", got)
	}
	if !cfg.Sync.Enabled() {
		t.Error("Sync.Enabled() = false with a database URL")
	}
}

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"unquoted text", "[api]\nport = abc\n",
			`config {path}: line 2, column 8: api.port: expected a value but found abc; put text in double quotes ("like this"), or write a number, true/false or a [list]`},
		{"column counts characters", "timezone = \"Asia/Kolkata\"\n[cost]\ncurrency = €\n",
			`config {path}: line 3, column 12: cost.currency: expected a value but found '€'; put text in double quotes ("like this"), or write a number, true/false or a [list]`},
		{"unclosed string", "[api]\nhost = \"127.0.0.1\n",
			`config {path}: line 2, column 18: api.host: a string is missing its closing quote; "..." strings must end on the same line (use """...""" for several lines)`},
		{"unclosed section", "[api\nport = 1\n",
			`config {path}: line 1, column 5: a section name must end with "]", e.g. [monitoring]`},
		{"duplicate key", "[api]\nport = 1\nport = 2\n",
			`config {path}: line 3, column 1: "api.port" is set twice; keep only one`},
		{"duplicate section", "[api]\n[api]\n",
			`config {path}: line 2, column 2: "api" is set twice; keep only one`},
		{"two values", "[api]\nport = 7373 7374\n",
			`config {path}: line 2, column 12: unexpected text after the value; put each setting on a line of its own and start comments with #`},
		{"key without value", "[api]\nport\n",
			`config {path}: line 2, column 5: expected "=" after the key; write settings as key = value`},
		{"huge number", "[api]\nport = 99999999999999999999\n",
			`config {path}: line 2, column 8: api.port: the number 99999999999999999999 is out of range`},
		{"unclosed list", "[monitoring]\ninclude = [\"a\"\n",
			`config {path}: line 2, column 15: monitoring.include: a list is not closed: expected "," or "]" but got end of file`},
		{"other", "x = 1_\n",
			`config {path}: line 1, column 5: invalid TOML: x: Invalid integer "1_": underscores must be surrounded by digits`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := loadDoc(t, tc.doc, nil)
			if got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestDeepNesting: the TOML decoder is quadratic in nesting depth, so deep
// documents are refused before decoding (otherwise Load hangs for minutes).
func TestDeepNesting(t *testing.T) {
	t.Parallel()
	const want = `config {path}: line 2: keys or values nested more than 16 levels deep; PacketBuddy's settings have two levels (section.key)`
	for name, doc := range map[string]string{
		"dotted key":    "# x\n" + strings.Repeat("a.", 5000) + "b = 1\n",
		"table header":  "\n[" + strings.Repeat("a.", 5000) + "b]\n",
		"inline tables": "\na = " + strings.Repeat("{a=", 5000) + "1" + strings.Repeat("}", 5000) + "\n",
		"arrays":        "\na = " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
		"quoted parts":  "\n" + strings.Repeat(`"a".`, 5000) + "b = 1\n",
	} {
		if _, got := loadDoc(t, doc, nil); got != want {
			t.Errorf("%s:\n got: %s\nwant: %s", name, got, want)
		}
	}
	// Dots in strings, comments and numbers are not nesting.
	doc := "[api] # " + strings.Repeat(".", 100) + "\nallowed_hosts = [\"" + strings.Repeat("a.", 100) + "b\"]\n" +
		"[cost]\nrate_per_gb = 1.5\n"
	if _, got := loadDoc(t, doc, nil); got != "" {
		t.Errorf("dots outside keys counted as nesting: %s", got)
	}
	big := strings.Repeat("#", maxFileSize+1)
	if _, got := loadDoc(t, big, nil); got != fmt.Sprintf("config {path}: the file is %d bytes, more than the %d allowed; a PacketBuddy config is a few kilobytes, so is this the right file?", maxFileSize+1, maxFileSize) {
		t.Errorf("big file: %s", got)
	}
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"typo", "[monitoring]\npoll_interval = \"1s\"\npol_interval = \"1s\"\n",
			`config {path}: line 3: unknown key "monitoring.pol_interval"; did you mean "monitoring.poll_interval"?`},
		{"section typo", "# comment\n[monitring]\npoll_interval = \"1s\"\n",
			`config {path}: line 2: unknown section "monitring"; did you mean "monitoring"?`},
		{"wrong section", "port = 7373\n",
			`config {path}: line 1: unknown key "port"; did you mean "api.port" (under [api])?`},
		{"wrong section, typo", "[api]\nfine_retention_day = 3\n",
			`config {path}: line 2: unknown key "api.fine_retention_day"; did you mean "storage.fine_retention_days" (under [storage])?`},
		{"dotted key", "monitoring.batch_write_intervall = \"1m\"\n",
			`config {path}: line 1: unknown key "monitoring.batch_write_intervall"; did you mean "monitoring.batch_write_interval"?`},
		{"nothing close", "[api]\ncolour = \"blue\"\n",
			`config {path}: line 2: unknown key "api.colour"`},
		{"sub-section", "[api]\nport = 1\n\n[api.tls]\ncert = \"x\"\n",
			`config {path}: line 4: unknown section "api.tls"`},
		{"inline table", "api = { port = 7373, hots = \"::1\" }\n",
			`config {path}: line 1: unknown key "api.hots"; did you mean "api.host"?`},
		{"secret value not shown", "[sync]\ndatabse_url = \"postgres://u:hunter2SECRET@h/db\"\n",
			`config {path}: line 2: unknown key "sync.databse_url"; did you mean "sync.database_url"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := loadDoc(t, tc.doc, nil)
			if got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestWrongTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"port as string", "[api]\nport = \"abc\"\n",
			`config {path}: line 2: api.port = "abc": is a string, expected a whole number; e.g. port = 7373`},
		{"port as float", "[api]\nport = 7373.5\n",
			`config {path}: line 2: api.port = 7373.5: is a decimal number, expected a whole number; e.g. port = 7373`},
		{"host as number", "[api]\nhost = 127\n",
			`config {path}: line 2: api.host = 127: is a whole number, expected a string in double quotes; e.g. host = "127.0.0.1"`},
		{"duration as bool", "[sync]\ninterval = true\n",
			`config {path}: line 2: sync.interval = true: is true/false, expected a duration in double quotes with a unit ("500ms", "30s", "5m", "1h"); e.g. interval = "60s"`},
		{"bad duration", "[monitoring]\npoll_interval = \"1 second\"\n",
			`config {path}: line 2: monitoring.poll_interval = "1 second": not a duration; write a number with a unit and no spaces (units: ms, s, m, h), e.g. poll_interval = "1s"`},
		{"list as string", "[monitoring]\ninclude = \"eth0\"\n",
			`config {path}: line 2: monitoring.include = "eth0": is a string, expected a list of strings; e.g. include = ["tun0", "wwan*"]`},
		{"list item", "[monitoring]\nexclude = [\"a\", 2]\n",
			`config {path}: line 2: monitoring.exclude = ["a", 2]: item 2 is a whole number, expected a list of strings; e.g. exclude = ["usb*"]`},
		{"bool as string", "[alerts]\ndesktop = \"yes\"\n",
			`config {path}: line 2: alerts.desktop = "yes": is a string, expected true or false (without quotes); e.g. desktop = true`},
		{"apps metrics top", "[apps]\nmetrics_top = 500\n",
			`config {path}: line 2: apps.metrics_top = 500: must be between 0 and 50`},
		{"apps method", "[apps]\nmethod = \"pcap\"\n",
			`config {path}: line 2: apps.method = "pcap": must be "auto", "ebpf" or "sock_diag"`},
		{"webhook format", "[alerts]\nwebhook_format = \"teams\"\n",
			`config {path}: line 2: alerts.webhook_format = "teams": must be "json", "ntfy" or "slack"`},
		{"rate as string", "[cost]\nrate_per_gb = \"7.5\"\n",
			`config {path}: line 2: cost.rate_per_gb = "7.5": is a string, expected a number; e.g. rate_per_gb = 7.5`},
		{"date", "timezone = 2024-01-01\n",
			`config {path}: line 1: timezone = 2024-01-01T00:00:00Z: is a date/time, expected a string in double quotes; e.g. timezone = "Asia/Kolkata"`},
		{"section as value", "api = 5\n",
			`config {path}: line 1: api = 5: is a whole number, expected a section: write [api] on a line of its own, then its settings`},
		{"array of tables", "[[api]]\nport = 1\n",
			`config {path}: line 1: api = [[...]]: is a list, expected a section: write [api] on a line of its own, then its settings`},
		{"setting as table", "[api.port]\nx = 1\n",
			`config {path}: line 1: api.port = {...}: is a section (table), expected a whole number; e.g. port = 7373`},
		{"secret of wrong type", "[sync]\ndatabase_url = [\"postgres://u:hunter2SECRET@h/db\"]\n",
			`config {path}: line 2: sync.database_url: is a list, expected a string in double quotes; e.g. database_url = "postgres://user:password@host/db?sslmode=require"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := loadDoc(t, tc.doc, nil)
			if got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"timezone", "timezone = \"Mars/Base\"\n",
			`config {path}: line 1: timezone = "Mars/Base": unknown IANA time zone; examples: Asia/Kolkata, Europe/Berlin, America/New_York`},
		{"empty host", "[api]\nhost = \"\"\n",
			`config {path}: line 2: api.host = "": must not be empty; use "127.0.0.1" to serve this computer only`},
		{"host with scheme", "[api]\nhost = \"http://127.0.0.1\"\n",
			`config {path}: line 2: api.host = "http://127.0.0.1": write only the address, without a scheme, e.g. host = "127.0.0.1"`},
		{"host with port", "[api]\nhost = \"localhost:80\"\n",
			`config {path}: line 2: api.host = "localhost:80": put the port in api.port, not in the host`},
		{"bracketed IPv6", "[api]\nhost = \"[::1]\"\n",
			`config {path}: line 2: api.host = "[::1]": write an IPv6 address without brackets, e.g. host = "::1"`},
		{"bad host", "[api]\nhost = \"my host\"\n",
			`config {path}: line 2: api.host = "my host": not an IP address or host name; e.g. "127.0.0.1", "::1" or "localhost"`},
		{"port 0", "[api]\nport = 0\n",
			`config {path}: line 2: api.port = 0: must be between 1 and 65535; the default is 7373`},
		{"port too big", "[api]\nport = 70000\n",
			`config {path}: line 2: api.port = 70000: must be between 1 and 65535; the default is 7373`},
		{"origin wildcard", "[api]\nallowed_origins = [\"*\"]\n",
			`config {path}: line 2: api.allowed_origins: "*": wildcards are not allowed, they would let any website read your usage; list each origin, e.g. "http://localhost:3000"`},
		{"origin form", "[api]\nallowed_origins = [\"http://localhost:3000\", \"HTTP://Localhost:3000/\"]\n",
			`config {path}: line 2: api.allowed_origins: origin "HTTP://Localhost:3000/": write it as the browser sends it, "http://localhost:3000" (lower case, no path or trailing slash)`},
		{"origin without scheme", "[api]\nallowed_origins = [\"localhost:3000\"]\n",
			`config {path}: line 2: api.allowed_origins: origin "localhost:3000" is not of the form scheme://host[:port], e.g. "http://localhost:3000"`},
		{"allowed host wildcard", "[api]\nallowed_hosts = [\"*.example\"]\n",
			`config {path}: line 2: api.allowed_hosts: "*.example": wildcards are not allowed, they would undo the protection against DNS rebinding; list each name, e.g. "pb.home.arpa"`},
		{"allowed host url", "[api]\nallowed_hosts = [\"http://pb\"]\n",
			`config {path}: line 2: api.allowed_hosts: "http://pb": write only the host name, without a scheme or path, e.g. "pb.home.arpa"`},
		{"poll zero", "[monitoring]\npoll_interval = \"0s\"\n",
			`config {path}: line 2: monitoring.poll_interval = "0s": must be between 100ms and 1m`},
		{"poll too slow", "[monitoring]\npoll_interval = \"2m\"\nbatch_write_interval = \"5m\"\n",
			`config {path}: line 2: monitoring.poll_interval = "2m": must be between 100ms and 1m`},
		{"batch below poll", "[monitoring]\npoll_interval = \"10s\"\nbatch_write_interval = \"5s\"\n",
			`config {path}: line 3: monitoring.batch_write_interval = "5s": must be at least monitoring.poll_interval (10s) and at most 1h`},
		{"batch above 1h", "[monitoring]\nbatch_write_interval = \"90m\"\n",
			`config {path}: line 2: monitoring.batch_write_interval = "90m": must be at least monitoring.poll_interval (1s) and at most 1h`},
		{"bad glob", "[monitoring]\ninclude = [\"eth[\"]\n",
			`config {path}: line 2: monitoring.include: pattern "eth[" is not a valid glob (unclosed "[" or a trailing "\"); use * ? and [a-z], e.g. "wlan*"`},
		{"empty glob", "[monitoring]\nexclude = [\"docker*\", \" \"]\n",
			`config {path}: line 2: monitoring.exclude: has an empty pattern; remove it`},
		{"units typo", "[display]\nunits = \"SIi\"\n",
			`config {path}: line 2: display.units = "SIi": must be "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B); did you mean "si"?`},
		{"units empty", "[display]\nunits = \"\"\n",
			`config {path}: line 2: display.units = "": must be "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B)`},
		{"units number", "[display]\nunits = 1024\n",
			`config {path}: line 2: display.units = 1024: is a whole number, expected a string in double quotes; e.g. units = "iec"`},
		{"units key typo", "[display]\nunit = \"iec\"\n",
			`config {path}: line 2: unknown key "display.unit"; did you mean "display.units"?`},
		{"retention 0", "[storage]\nfine_retention_days = 0\n",
			`config {path}: line 2: storage.fine_retention_days = 0: must be between 1 and 3650 days`},
		{"retention huge", "[storage]\nfine_retention_days = 3651\n",
			`config {path}: line 2: storage.fine_retention_days = 3651: must be between 1 and 3650 days`},
		{"database scheme", "[sync]\ndatabase_url = \"mysql://u:hunter2SECRET@h/db\"\n",
			`config {path}: line 2: sync.database_url: must start with postgres:// or postgresql://; e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
		{"database not a url", "[sync]\ndatabase_url = \"hunter2SECRET\"\n",
			`config {path}: line 2: sync.database_url: must be a PostgreSQL URL; e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
		{"database unparsable", "[sync]\ndatabase_url = \"postgres://u:hunter2SECRET@h%zz/db\"\n",
			`config {path}: line 2: sync.database_url: is not a valid URL; percent-encode special characters in the password (@ as %40, / as %2F, # as %23), e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
		{"database no host", "[sync]\ndatabase_url = \"postgres:///db\"\n",
			`config {path}: line 2: sync.database_url: has no host name; e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
		{"sync interval", "[sync]\ninterval = \"1s\"\n",
			`config {path}: line 2: sync.interval = "1s": must be at least 5s`},
		{"negative rate", "[cost]\nrate_per_gb = -1\n",
			`config {path}: line 2: cost.rate_per_gb = -1: must be a finite number of 0 or more (the price of one GB), e.g. 7.5`},
		{"infinite rate", "[cost]\nrate_per_gb = inf\n",
			`config {path}: line 2: cost.rate_per_gb = inf: must be a finite number of 0 or more (the price of one GB), e.g. 7.5`},
		{"nan rate", "[cost]\nrate_per_gb = nan\n",
			`config {path}: line 2: cost.rate_per_gb = nan: must be a finite number of 0 or more (the price of one GB), e.g. 7.5`},
		{"currency", "[cost]\ncurrency = \"RUPEE\"\n",
			`config {path}: line 2: cost.currency = "RUPEE": not an ISO 4217 currency code; examples: INR, USD, EUR, GBP, JPY`},
		{"currency symbol", "[cost]\ncurrency = \"€\"\n",
			`config {path}: line 2: cost.currency = "€": not an ISO 4217 currency code; examples: INR, USD, EUR, GBP, JPY ("€" is the symbol; the code is "EUR")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := loadDoc(t, tc.doc, nil)
			if got != tc.want {
				t.Errorf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestGoodValuesAccepted(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		"timezone = \"Local\"\n",
		"timezone = \"UTC\"\n",
		"timezone = \"Asia/Kathmandu\"\n", // UTC+5:45
		"[api]\nhost = \"0.0.0.0\"\n",
		"[api]\nhost = \"fe80::1%eth0\"\n",
		"[api]\nhost = \"pb.local\"\n",
		"[sync]\ndatabase_url = \"postgresql://u:p@host:5432/db?sslmode=require\"\n",
		"[sync]\ndatabase_url = \"postgres:///db?host=/var/run/postgresql\"\n",
		"[sync]\ndatabase_url = \"host=db user=pb password=secret dbname=pb\"\n",
		"[cost]\nrate_per_gb = 0\ncurrency = \"jpy\"\n",
		"[monitoring]\npoll_interval = \"100ms\"\nbatch_write_interval = \"100ms\"\n",
		"[monitoring]\npoll_interval = \"1m\"\nbatch_write_interval = \"1h\"\n",
	} {
		if _, got := loadDoc(t, doc, nil); got != "" {
			t.Errorf("%q: %s", doc, got)
		}
	}
}

func TestAllErrorsReported(t *testing.T) {
	t.Parallel()
	doc := `timezone = "Mars/Base"
[api]
port = "x"
colour = "blue"
[monitoring]
poll_interval = "0s"
[cost]
currency = "XYZ"
`
	_, got := loadDoc(t, doc, map[string]string{"PB_SYNC_INTERVAL": "1s"})
	want := strings.Join([]string{
		`config {path}: line 1: timezone = "Mars/Base": unknown IANA time zone; examples: Asia/Kolkata, Europe/Berlin, America/New_York`,
		`config {path}: line 3: api.port = "x": is a string, expected a whole number; e.g. port = 7373`,
		`config {path}: line 4: unknown key "api.colour"`,
		`config {path}: line 6: monitoring.poll_interval = "0s": must be between 100ms and 1m`,
		`config {path}: line 8: cost.currency = "XYZ": not an ISO 4217 currency code; examples: INR, USD, EUR, GBP, JPY`,
		`config: PB_SYNC_INTERVAL="1s" (sync.interval): must be at least 5s`,
	}, "\n")
	if got != want {
		t.Errorf("\n got:\n%s\nwant:\n%s", got, want)
	}

	path := writeConfig(t, doc)
	_, err := Load(path, env(nil))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "timezone" || fe.Line != 1 || fe.Path != path {
		t.Errorf("errors.As(*FieldError) = %+v", fe)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"PB_TIMEZONE":              "Europe/Berlin",
		"PB_API_HOST":              "::1",
		"PB_API_PORT":              " 9000 ",
		"PB_API_ALLOWED_ORIGINS":   "http://localhost:3000, https://a.example ,",
		"PB_API_ALLOWED_HOSTS":     "pb.home.arpa",
		"PB_POLL_INTERVAL":         "2s",
		"PB_BATCH_WRITE_INTERVAL":  "1m",
		"PB_MONITORING_INCLUDE":    "tun0",
		"PB_MONITORING_EXCLUDE":    "usb*,wwan0",
		"PB_FINE_RETENTION_DAYS":   "14",
		"PB_MAX_STORAGE_MB":        "900",
		"PB_DATABASE_URL":          "postgres://u:p@h/db",
		"NEON_DB_URL":              "postgres://old:p@h/db", // ignored: PB_DATABASE_URL wins
		"PB_SYNC_INTERVAL":         "30s",
		"PB_COST_RATE_PER_GB":      "0.5",
		"PB_COST_CURRENCY":         "eur",
		"PB_ALERTS_WEBHOOK_URL":    "https://ntfy.sh/pb-test",
		"PB_ALERTS_WEBHOOK_FORMAT": "ntfy",
		"PB_ALERTS_DESKTOP":        "true",
		"PB_DISPLAY_UNITS":         "iec",
	}
	// The file says otherwise; the environment wins.
	cfg, errText := loadDoc(t, "[api]\nport = 1234\n[cost]\ncurrency = \"GBP\"\n", vars)
	if errText != "" {
		t.Fatal(errText)
	}
	want := Config{
		Timezone: "Europe/Berlin",
		API: API{Host: "::1", Port: 9000, AllowedOrigins: []string{"http://localhost:3000", "https://a.example"},
			AllowedHosts: []string{"pb.home.arpa"}, PairCodeTTL: 5 * time.Minute},
		Monitoring: Monitoring{PollInterval: 2 * time.Second, BatchWriteInterval: time.Minute,
			Include: []string{"tun0"}, Exclude: []string{"usb*", "wwan0"}},
		Storage: Storage{FineRetentionDays: 14, MaxStorageMB: 900},
		Apps:    Apps{Method: "auto", RetentionDays: 90, MetricsTop: 10},
		Sync:    Sync{DatabaseURL: "postgres://u:p@h/db", Interval: 30 * time.Second, On: true},
		Cost:    Cost{RatePerGB: 0.5, Currency: "EUR"},
		Alerts:  Alerts{WebhookURL: "https://ntfy.sh/pb-test", WebhookFormat: "ntfy", Desktop: true},
		Display: Display{Units: "iec"},
		DataDir: cfg.DataDir, Path: cfg.Path,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	cfg, err := LoadWith(Options{DataDir: t.TempDir(), Getenv: env(map[string]string{"NEON_DB_URL": "postgres://old:p@h/db"})})
	if err != nil || cfg.Sync.DatabaseURL != "postgres://old:p@h/db" {
		t.Errorf("NEON_DB_URL fallback: %q, %v", cfg.Sync.DatabaseURL, err)
	}
}

func TestBadEnvValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, want string
	}{
		{"PB_API_PORT", "abc", `config: PB_API_PORT="abc" (api.port): not a whole number; e.g. PB_API_PORT=7373`},
		{"PB_ALERTS_DESKTOP", "yes please", `config: PB_ALERTS_DESKTOP="yes please" (alerts.desktop): not true or false; e.g. PB_ALERTS_DESKTOP=true`},
		{"PB_ALERTS_WEBHOOK_FORMAT", "xml", `config: PB_ALERTS_WEBHOOK_FORMAT="xml" (alerts.webhook_format): must be "json", "ntfy" or "slack"`},
		{"PB_DISPLAY_UNITS", "binary", `config: PB_DISPLAY_UNITS="binary" (display.units): must be "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B)`},
		{"PB_DISPLAY_UNITS", "iex", `config: PB_DISPLAY_UNITS="iex" (display.units): must be "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B); did you mean "iec"?`},
		{"PB_ALERTS_WEBHOOK_URL", "ftp://x/y", `config: PB_ALERTS_WEBHOOK_URL (alerts.webhook_url): must be an http:// or https:// URL, e.g. "https://ntfy.sh/my-topic"`},
		{"PB_API_PORT", "99999", `config: PB_API_PORT="99999" (api.port): must be between 1 and 65535; the default is 7373`},
		{"PB_FINE_RETENTION_DAYS", "7d", `config: PB_FINE_RETENTION_DAYS="7d" (storage.fine_retention_days): not a whole number; e.g. PB_FINE_RETENTION_DAYS=7`},
		{"PB_POLL_INTERVAL", "1", `config: PB_POLL_INTERVAL="1" (monitoring.poll_interval): not a duration; write a number with a unit and no spaces (units: ms, s, m, h), e.g. PB_POLL_INTERVAL=1s`},
		{"PB_POLL_INTERVAL", "10ms", `config: PB_POLL_INTERVAL="10ms" (monitoring.poll_interval): must be between 100ms and 1m`},
		{"PB_BATCH_WRITE_INTERVAL", "soon", `config: PB_BATCH_WRITE_INTERVAL="soon" (monitoring.batch_write_interval): not a duration; write a number with a unit and no spaces (units: ms, s, m, h), e.g. PB_BATCH_WRITE_INTERVAL=30s`},
		{"PB_SYNC_INTERVAL", "2s", `config: PB_SYNC_INTERVAL="2s" (sync.interval): must be at least 5s`},
		{"PB_COST_RATE_PER_GB", "seven", `config: PB_COST_RATE_PER_GB="seven" (cost.rate_per_gb): not a number; e.g. PB_COST_RATE_PER_GB=7.5`},
		{"PB_COST_RATE_PER_GB", "-1", `config: PB_COST_RATE_PER_GB="-1" (cost.rate_per_gb): must be a finite number of 0 or more (the price of one GB), e.g. 7.5`},
		{"PB_COST_RATE_PER_GB", "Inf", `config: PB_COST_RATE_PER_GB="Inf" (cost.rate_per_gb): must be a finite number of 0 or more (the price of one GB), e.g. 7.5`},
		{"PB_COST_CURRENCY", "Rs", `config: PB_COST_CURRENCY="Rs" (cost.currency): not an ISO 4217 currency code; examples: INR, USD, EUR, GBP, JPY`},
		{"PB_TIMEZONE", "IST", `config: PB_TIMEZONE="IST" (timezone): unknown IANA time zone; examples: Asia/Kolkata, Europe/Berlin, America/New_York`},
		{"PB_API_HOST", "http://x", `config: PB_API_HOST="http://x" (api.host): write only the address, without a scheme, e.g. host = "127.0.0.1"`},
		{"PB_MONITORING_EXCLUDE", "a,[b", `config: PB_MONITORING_EXCLUDE (monitoring.exclude): pattern "[b" is not a valid glob (unclosed "[" or a trailing "\"); use * ? and [a-z], e.g. "wlan*"`},
		{"PB_API_ALLOWED_ORIGINS", "*", `config: PB_API_ALLOWED_ORIGINS (api.allowed_origins): "*": wildcards are not allowed, they would let any website read your usage; list each origin, e.g. "http://localhost:3000"`},
		{"PB_DATABASE_URL", "mysql://u:hunter2SECRET@h/db", `config: PB_DATABASE_URL (sync.database_url): must start with postgres:// or postgresql://; e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
		{"NEON_DB_URL", "hunter2SECRET", `config: NEON_DB_URL (sync.database_url): must be a PostgreSQL URL; e.g. "postgres://user:password@host/db?sslmode=require" (the value is not shown: it may contain a password)`},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			_, err := LoadWith(Options{DataDir: t.TempDir(), Getenv: env(map[string]string{tc.name: tc.value})})
			if err == nil || err.Error() != tc.want {
				t.Errorf("\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// secret is a password that must never appear in an error message.
const secret = "hunter2SECRET"

func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	urls := []string{
		"postgres://pb:" + secret + "@db.example/pb",
		"postgresql://pb:" + secret + "@db.example:5432/pb?sslmode=require",
		"postgres://pb:" + secret + "@bad%zz/pb",
		"postgres://pb:hun/ter2SECRET@db/pb",
		"mysql://pb:" + secret + "@db/pb",
		"postgres://db/pb?password=" + secret,
		"host=db password=" + secret,
		secret,
	}
	var docs []string
	for _, u := range urls {
		docs = append(docs,
			"[sync]\ndatabase_url = \""+u+"\"\ninterval = \"1s\"\n",    // bad neighbour value
			"[sync]\ndatabase_url = "+u+"\n",                           // unquoted
			"[sync]\ndatabase_url = \""+u+"\n",                         // unclosed quote
			"[sync]\ndatabase_url = '"+u+"\"\n",                        // mismatched quotes
			"[sync]\ndatabase_url = \"\"\""+u+"\n",                     // unclosed multi-line string
			"[sync]\ndatabase_url = [\""+u+"\"]\n",                     // wrong type
			"[sync]\ndatabase_url = { url = \""+u+"\" }\n",             // wrong type
			"[sync]\ndatabse_url = \""+u+"\"\n",                        // unknown key
			"[sync]\ndatabase_url = \""+u+"\" \""+u+"\"\n",             // trailing garbage
			"[sync]\ndatabase_url = \""+u+"\"\ndatabase_url = \"x\"\n", // duplicate
			"[sync]\ndatabase_url = \""+u+"\"\n[api\n",                 // syntax error later
			"[sync]\nurl = \""+u+"\" # "+u+"\nx = 2024-13-45\n",        // in a comment
			"[sync]\ndatabase_url = \""+u+"\"\n[cost]\nrate_per_gb = -1\n",
		)
		if u != secret { // a bare word used as a key cannot be known to be a password
			docs = append(docs, "[sync]\n\""+u+"\" = 1\n")
		}
	}
	for _, doc := range docs {
		for _, vars := range []map[string]string{nil, {"PB_DATABASE_URL": urls[0]}} {
			_, errText := loadDoc(t, doc, vars)
			if errText == "" {
				continue
			}
			for _, leak := range []string{secret, "hunter", "SECRET", "ter2SE"} {
				if strings.Contains(errText, leak) {
					t.Errorf("error for %q leaks %q:\n%s", doc, leak, errText)
				}
			}
		}
	}
	for _, u := range urls {
		_, err := LoadWith(Options{DataDir: t.TempDir(), Getenv: env(map[string]string{"PB_DATABASE_URL": u, "PB_API_PORT": "x"})})
		if err != nil && strings.Contains(err.Error(), "hunter") {
			t.Errorf("PB_DATABASE_URL=%q leaks: %v", u, err)
		}
	}
}

func TestConfigPrintingMasksPassword(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Sync.DatabaseURL = "postgres://pb:" + secret + "@db.example/pb"
	c.API.AllowedOrigins = []string{"http://a"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", c, "sync", c.Sync)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", c, "sync", c.Sync)
	toml, err := c.TOML()
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":      c.String(),
		"%v":          fmt.Sprintf("%v", c),
		"%+v":         fmt.Sprintf("%+v", c),
		"%#v":         fmt.Sprintf("%#v", c),
		"Sync %v":     fmt.Sprintf("%v", c.Sync),
		"Sync %+v":    fmt.Sprintf("%+v", c.Sync),
		"Sync %#v":    fmt.Sprintf("%#v", c.Sync),
		"Redacted":    c.Redacted().Sync.DatabaseURL,
		"TOML":        toml,
		"slog":        logged.String(),
		"Redacted %v": fmt.Sprintf("%v", c.Redacted()),
		"JSON":        string(js),
	}
	for name, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s leaks the password:\n%s", name, out)
		}
		if name != "slog" && !strings.Contains(out, "postgres://pb:****@db.example/pb") {
			t.Errorf("%s does not show the redacted URL:\n%s", name, out)
		}
	}
	if c.Sync.DatabaseURL != "postgres://pb:"+secret+"@db.example/pb" {
		t.Error("Redacted changed the original")
	}
	r := c.Redacted()
	r.API.AllowedOrigins[0] = "changed"
	if c.API.AllowedOrigins[0] != "http://a" {
		t.Error("Redacted shares slices with the original")
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, Template())
	cfg, err := Load(path, env(nil))
	if err != nil {
		t.Fatalf("the template does not load: %v", err)
	}
	want := Default()
	want.Path, want.DataDir = path, cfg.DataDir
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("template differs from Default() (-want +got):\n%s", diff)
	}
	// Every setting is in the template, with its environment variable.
	for _, f := range fields {
		if !strings.Contains(Template(), "\n"+leaf(f.key)+" = ") || !strings.Contains(Template(), f.env) {
			t.Errorf("template lacks %s or %s", f.key, f.env)
		}
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Timezone = "America/New_York"
	c.API = API{Host: "::1", Port: 8080, AllowedOrigins: []string{"http://localhost:3000"}, AllowedHosts: []string{"pb \"quoted\" \\ name"}}
	c.Monitoring = Monitoring{PollInterval: 1500 * time.Millisecond, BatchWriteInterval: 90 * time.Second, Include: []string{"tun0"}, Exclude: []string{"usb*", "é\t"}}
	c.Storage.FineRetentionDays = 100
	c.Sync = Sync{DatabaseURL: "postgres://u:pw@h/db", Interval: 2 * time.Hour, On: true}
	c.Cost = Cost{RatePerGB: 0.1, Currency: "KWD"}
	c.Path, c.DataDir = "/x/config.toml", "/x"

	s, err := c.TOML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "# File: \"/x/config.toml\"\n# Data directory: \"/x\"\n") {
		t.Errorf("TOML header:\n%s", s)
	}
	got := Default()
	if problems, fatal := decodeFile(&got, s, "show", map[string]source{}); fatal != nil || len(problems) > 0 {
		t.Fatalf("TOML() output does not decode: %v %v\n%s", fatal, problems, s)
	}
	want := c
	want.Sync.DatabaseURL = "postgres://u:****@h/db"
	want.Path, want.DataDir = "", ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TOML round trip (-want +got):\n%s", diff)
	}
}

func TestWriteTemplate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", ".packetbuddy")
	path := filepath.Join(dir, "config.toml")
	if err := WriteTemplate(path, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != Template() {
		t.Fatalf("file content differs from Template(): %v", err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
	}

	if err := os.WriteFile(path, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteTemplate(path, false)
	want := "config " + path + " already exists; pass --force to overwrite it"
	if err == nil || err.Error() != want {
		t.Errorf("overwrite without force:\n got: %v\nwant: %s", err, want)
	}
	if data, _ := os.ReadFile(path); string(data) != "# mine\n" {
		t.Error("the existing file was changed without --force")
	}

	if err := WriteTemplate(path, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != Template() {
		t.Error("--force did not replace the file")
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode after --force %v, want 0600", fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left-over files in %s: %v", dir, entries)
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"", "Local"} {
		loc, err := Config{Timezone: tz}.Location()
		if err != nil || loc.String() != zone.Local().String() {
			t.Errorf("Location(%q) = %v, %v; want the machine's zone by its IANA name (%s)", tz, loc, err, zone.Local())
		}
	}
	loc, err := Config{Timezone: "Asia/Kolkata"}.Location()
	if err != nil || loc.String() != "Asia/Kolkata" {
		t.Fatalf("Location(Asia/Kolkata) = %v, %v", loc, err)
	}
	if _, off := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Zone(); off != 5*3600+1800 {
		t.Errorf("Asia/Kolkata offset %d, want +5:30", off)
	}
	_, err = Config{Timezone: "Mars/Base"}.Location()
	want := `config: timezone = "Mars/Base": unknown IANA time zone; examples: Asia/Kolkata, Europe/Berlin, America/New_York`
	if err == nil || err.Error() != want {
		t.Errorf("Location(Mars/Base) error\n got: %v\nwant: %s", err, want)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	c := Default()
	c.API.Port = -1
	c.Storage.FineRetentionDays = 0
	want := "config: api.port = -1: must be between 1 and 65535; the default is 7373\n" +
		"config: storage.fine_retention_days = 0: must be between 1 and 3650 days"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate()\n got: %v\nwant: %s", err, want)
	}
}

func TestAddr(t *testing.T) {
	t.Parallel()
	if got := Default().Addr(); got != "127.0.0.1:7373" {
		t.Errorf("Default().Addr() = %q", got)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	got, err := DefaultDataDir()
	if err != nil || got != filepath.Join(home, ".packetbuddy") {
		t.Errorf("DefaultDataDir() = %q, %v", got, err)
	}
}

func TestKeyLines(t *testing.T) {
	t.Parallel()
	doc := "timezone = \"UTC\" # [not a table]\n" +
		"[api]\r\n" +
		"  port = 1\n" +
		"allowed_origins = [\n" +
		"  \"x = 1\",\n" +
		"]\n" +
		"notes = \"\"\"\n" +
		"fake = 1\n" +
		"\"\"\"\n" +
		"[ \"monitoring\" ]\n" +
		"\"poll_interval\" = \"1s\"\n" +
		"sync.interval = \"5s\"\n" +
		"cost = { rate_per_gb = 1, currency = \"USD\" }\n"
	got := keyLines(doc)
	want := map[string]int{
		"timezone": 1, "api": 2, "api.port": 3, "api.allowed_origins": 4, "api.notes": 7,
		"monitoring": 10, "monitoring.poll_interval": 11,
		"monitoring.sync": 12, "monitoring.sync.interval": 12,
		"monitoring.cost": 13, "monitoring.cost.rate_per_gb": 13, "monitoring.cost.currency": 13,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keyLines (-want +got):\n%s", diff)
	}
	if n := lineOf(got, "api.port.deeper"); n != 3 {
		t.Errorf("lineOf falls back to the parent: got %d, want 3", n)
	}
	if n := lineOf(got, "nowhere"); n != 0 {
		t.Errorf("lineOf(unknown) = %d", n)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"monitoring.pol_interval": "monitoring.poll_interval",
		"monitring":               "monitoring",
		"port":                    "api.port",
		"api.Port":                "api.port",
		"cost.currency_code":      "",
		"timezon":                 "timezone",
		"time_zone":               "timezone",
		"zzz":                     "",
		"sync.databaseurl":        "sync.database_url",
	}
	for in, want := range tests {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	tests := map[time.Duration]string{
		0: "0s", time.Second: "1s", 60 * time.Second: "1m", 90 * time.Second: "90s", time.Hour: "1h",
		100 * time.Millisecond: "100ms", 1500 * time.Microsecond: "1.5ms", -time.Second: "-1s",
	}
	for d, want := range tests {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("formatDuration(%v) does not parse back: %v %v", d, back, err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(Template()))
	f.Add([]byte("[api]\nport = abc\n"))
	f.Add([]byte("[monitring]\npol_interval = 1\n"))
	f.Add([]byte("api = { port = 7373, hots = \"::1\" }\n[sync]\ndatabase_url = \"postgres://u:" + secret + "@h/db\"\n"))
	f.Add([]byte("notes = \"\"\"\nx = [\n\"\"\"\n[[api]]\n"))
	f.Add([]byte("\"a.b\".'c' = 1\n[x.\"y\"]\nz = [1, [2], {a=1}]\n"))
	f.Add([]byte(plansDoc))
	f.Add([]byte("[[plan]]\nname = \"A\"\ncap = \"-5GB\"\nrest_day = 3\n[[plan]]\nname = \"a\"\ntiers = [{ upto = 1 }]\n"))
	f.Add([]byte("[plan]\nname = \"A\"\n"))
	f.Add([]byte("plan = [{ name = \"A\", reset_day = 32 }, 1]\n[[plan.tiers]]\nper_gb = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := load(data, "fuzz.toml", env(nil))
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FieldError: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("load accepted an invalid config: %v", err)
		}
		if _, err := cfg.Location(); err != nil {
			t.Fatalf("load accepted a bad zone: %v", err)
		}
		// Accepted plans print as [[plan]] tables that read back the same.
		if len(cfg.RawPlans) > 0 {
			var b strings.Builder
			writePlans(&b, cfg.RawPlans)
			back := Default()
			if problems, fatal := decodeFile(&back, b.String(), "show", map[string]source{}); fatal != nil || len(problems) > 0 {
				t.Fatalf("printed plans do not decode: %v %v\n%s", fatal, problems, b.String())
			}
			if diff := cmp.Diff(cfg.Plans, back.Plans); diff != "" {
				t.Fatalf("printed plans read back differently (-want +got):\n%s\n%s", diff, b.String())
			}
		}
	})
}

func TestProcPath(t *testing.T) {
	t.Parallel()
	good := t.TempDir()
	if err := os.MkdirAll(filepath.Join(good, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(good, "net", "dev"), []byte("Inter-|\n face |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir() // a directory without net/dev
	const relMsg = `must be an absolute path to a directory containing net/dev, e.g. "/host/proc/1"; leave it empty to read this system's interfaces`
	const missingMsg = `no net/dev file there; mount the host's /proc (e.g. -v /proc:/host/proc:ro) and point this at its process 1: "/host/proc/1"`
	tests := []struct {
		name, doc string
		env       map[string]string
		want      string // the value read, or the error
		wantErr   bool
	}{
		{name: "unset", doc: "", want: ""},
		{name: "valid", doc: "[monitoring]\nproc_path = \"" + good + "\"\n", want: good},
		{name: "valid env", env: map[string]string{"PB_PROC_PATH": good}, want: good},
		{name: "relative", doc: "[monitoring]\nproc_path = \"host/proc/1\"\n", wantErr: true,
			want: `config {path}: line 2: monitoring.proc_path = "host/proc/1": ` + relMsg},
		{name: "missing net/dev", doc: "[monitoring]\nproc_path = \"" + empty + "\"\n", wantErr: true,
			want: `config {path}: line 2: monitoring.proc_path = "` + empty + `": ` + missingMsg},
		{name: "missing net/dev env", env: map[string]string{"PB_PROC_PATH": empty}, wantErr: true,
			want: `config: PB_PROC_PATH="` + empty + `" (monitoring.proc_path): ` + missingMsg},
		{name: "net/dev is a directory", doc: "[monitoring]\nproc_path = \"" + filepath.Dir(good) + "\"\n", wantErr: true,
			want: `config {path}: line 2: monitoring.proc_path = "` + filepath.Dir(good) + `": ` + missingMsg},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, errText := loadDoc(t, tc.doc, tc.env)
			if tc.wantErr {
				if errText != tc.want {
					t.Errorf("\n got: %s\nwant: %s", errText, tc.want)
				}
				return
			}
			if errText != "" {
				t.Fatal(errText)
			}
			if cfg.Monitoring.ProcPath != tc.want {
				t.Errorf("ProcPath = %q, want %q", cfg.Monitoring.ProcPath, tc.want)
			}
		})
	}
}
