package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/golden"
)

// load1x loads a 1.x fixture from testdata/1x with the given environment,
// and returns the config and its notices as text with the path replaced.
func load1x(t *testing.T, name string, vars map[string]string) (Config, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "1x", name))
	if err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, string(data))
	cfg, err := Load(path, env(vars))
	if err != nil {
		t.Fatalf("the 1.x file %s must load: %v", name, err)
	}
	var notices []string
	for _, n := range cfg.Legacy {
		notices = append(notices, strings.ReplaceAll(n.String(), path, "{path}"))
	}
	return cfg, notices
}

func TestLegacyDefaultConfig(t *testing.T) {
	t.Parallel()
	// NEON_DB_URL is set, but 1.x's "enabled = false" keeps sync off.
	cfg, notices := load1x(t, "default.toml", map[string]string{"NEON_DB_URL": "postgres://u:pw@h/db"})
	want := Default()
	want.Monitoring.PollInterval = time.Second
	want.Monitoring.BatchWriteInterval = 30 * time.Second
	want.Sync.Interval = 60 * time.Second
	want.Sync.On = false
	want.Cost = Cost{RatePerGB: 7.5, Currency: "INR"}
	want.Legacy, want.DataDir, want.Path = cfg.Legacy, cfg.DataDir, cfg.Path
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cfg.Sync.Enabled() {
		t.Error("sync is on; the 1.x file says enabled = false")
	}
	wantNotices := []string{
		`config {path}: line 6: api.cors_enabled = true (PacketBuddy 1.x): ignored: pb never answers every web origin (any site could read your traffic); the dashboard needs no CORS, and other origins go in api.allowed_origins`,
		`config {path}: line 9: monitoring.poll_interval = 1 (PacketBuddy 1.x): a bare number is read as seconds, as 1.x did: "1s"`,
		`config {path}: line 10: monitoring.batch_write_interval = 30 (PacketBuddy 1.x): a bare number is read as seconds, as 1.x did: "30s"`,
		`config {path}: line 11: monitoring.interface = "auto" (PacketBuddy 1.x): ignored: "auto" is what pb does: every physical uplink is counted once, loopback, containers, VMs and tunnels are left out`,
		`config {path}: line 15: sync.interval = 60 (PacketBuddy 1.x): a bare number is read as seconds, as 1.x did: "1m"`,
		`config {path}: line 18: cost.cost_per_gb = 7.5 (PacketBuddy 1.x): read as cost.rate_per_gb = 7.5`,
	}
	if diff := cmp.Diff(wantNotices, notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}

func TestLegacyExampleConfig(t *testing.T) {
	t.Parallel()
	cfg, notices := load1x(t, "example.toml", nil)
	want := Default()
	want.Monitoring.PollInterval = time.Second
	want.Monitoring.BatchWriteInterval = 5 * time.Second
	want.Sync.Interval = 30 * time.Second
	want.Storage = Storage{FineRetentionDays: 30, MaxStorageMB: 400}
	want.Legacy, want.DataDir, want.Path = cfg.Legacy, cfg.DataDir, cfg.Path
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// One notice per 1.x key, none for the pb keys (host, port,
	// max_storage_mb, sync.enabled): 27 keys, 23 of them 1.x only or bare
	// seconds.
	if len(notices) != 23 {
		t.Errorf("%d notices, want 23:\n%s", len(notices), strings.Join(notices, "\n"))
	}
	for _, key := range []string{"monitoring.max_delta_bytes", "sync.retry_delay", "database.neon_url", "auto_update.auto_apply",
		"storage.log_retention_days", "storage.neon.max_storage_mb", "storage.neon.cleanup_on_sync"} {
		found := 0
		for _, n := range cfg.Legacy {
			if n.Key == key {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%d notices for %s, want 1", found, key)
		}
	}
}

func TestLegacyMappings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		vars      map[string]string
		check     func(Config) string
		notice    string
	}{
		{"neon_url becomes the sync database", "[database]\nneon_url = \"postgres://u:hunter2pw@h/db\"\n", nil,
			func(c Config) string { return c.Sync.DatabaseURL },
			`line 2: database.neon_url (PacketBuddy 1.x): used as sync.database_url (not shown: it holds a password)`},
		{"database_url wins over neon_url", "[sync]\ndatabase_url = \"postgres://new@h/db\"\n[database]\nneon_url = \"postgres://old@h/db\"\n", nil,
			func(c Config) string { return c.Sync.DatabaseURL },
			`line 4: database.neon_url (PacketBuddy 1.x): ignored: sync.database_url is set too, and wins`},
		{"an interface is included", "[monitoring]\ninterface = \"tun0\"\n", nil,
			func(c Config) string { return strings.Join(c.Monitoring.Include, ",") },
			`line 2: monitoring.interface = "tun0" (PacketBuddy 1.x): read as monitoring.include = ["tun0"]: it is counted in the total; pb counts the other physical uplinks too (list them in monitoring.exclude to leave them out)`},
		{"fractional seconds", "[monitoring]\npoll_interval = 0.5\n", nil,
			func(c Config) string { return c.Monitoring.PollInterval.String() },
			`line 2: monitoring.poll_interval = 0.5 (PacketBuddy 1.x): a bare number is read as seconds, as 1.x did: "500ms"`},
		{"fine_retention_days wins", "[storage]\nlog_retention_days = 30\nfine_retention_days = 3\n", nil,
			func(c Config) string { return time.Duration(c.Storage.FineRetentionDays).String() },
			`line 2: storage.log_retention_days = 30 (PacketBuddy 1.x): ignored: storage.fine_retention_days is set too, and wins`},
	}
	wantValue := []string{"postgres://u:hunter2pw@h/db", "postgres://new@h/db", "tun0", "500ms", "3ns"}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.doc)
			cfg, err := Load(path, env(tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.check(cfg); got != wantValue[i] {
				t.Errorf("value %q, want %q", got, wantValue[i])
			}
			if len(cfg.Legacy) != 1 {
				t.Fatalf("%d notices, want 1: %v", len(cfg.Legacy), cfg.Legacy)
			}
			got := strings.TrimPrefix(cfg.Legacy[0].String(), "config "+path+": ")
			if got != tc.notice {
				t.Errorf("notice\n got: %s\nwant: %s", got, tc.notice)
			}
			if strings.Contains(cfg.Legacy[0].String(), "hunter2pw") {
				t.Error("the notice shows the password")
			}
		})
	}
}

// Keys in neither format stay errors, also inside 1.x sections, and a 1.x
// key with a value pb cannot use is an error, not a notice.
func TestLegacyUnknownAndBadKeys(t *testing.T) {
	t.Parallel()
	tests := []struct{ doc, want string }{
		{"[auto_update]\nchannel = \"beta\"\n", `config {path}: line 2: unknown key "auto_update.channel"`},
		{"[storage.neon]\nretention = 3\n", `config {path}: line 2: unknown key "storage.neon.retention"`},
		{"[database]\npath = \"x.db\"\n", `config {path}: line 2: unknown key "database.path"`},
		{"[sync]\nenabled = \"no\"\n", `config {path}: line 2: sync.enabled = "no": is a string, expected true or false (without quotes); e.g. enabled = false`},
		{"[storage]\nlog_retention_days = 0\n", `config {path}: line 2: storage.log_retention_days = 0: must be between 1 and 3650 days (a PacketBuddy 1.x setting; see "pb config migrate")`},
		{"database = 5\n", `config {path}: line 1: database = 5: is a whole number, expected a section: write [database] on a line of its own, then its settings`},
	}
	for _, tc := range tests {
		_, got := loadDoc(t, tc.doc, nil)
		if got != tc.want {
			t.Errorf("%q\n got: %s\nwant: %s", tc.doc, got, tc.want)
		}
	}
}

// pb config migrate's output for both 1.x files, golden-tested; loading it
// gives the same settings as the 1.x file, with no notices left.
func TestMigrateGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"default", "example"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "1x", name+".toml"))
			if err != nil {
				t.Fatal(err)
			}
			got, notices, err := Migrate(data, "/home/me/.packetbuddy/config.toml")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "1x/"+name+".migrated.golden", []byte(got))
			old, _ := load1x(t, name+".toml", nil)
			migrated, _ := loadDoc(t, got, nil)
			if migrated.Is1x() {
				t.Errorf("the migrated file still has 1.x keys: %v", migrated.Legacy)
			}
			old.Legacy, old.Path, migrated.Path = nil, "", ""
			if diff := cmp.Diff(old, migrated); diff != "" {
				t.Errorf("settings changed by the migration (-1.x +migrated):\n%s", diff)
			}
			if len(notices) == 0 {
				t.Error("no notices returned")
			}
			// With a database URL in the environment, the migrated file
			// syncs exactly when the 1.x file did.
			env := map[string]string{"NEON_DB_URL": "postgres://u:pw@h/db"}
			oldEnv, _ := load1x(t, name+".toml", env)
			migEnv, _ := loadDoc(t, got, env)
			if oldEnv.Sync.Enabled() != migEnv.Sync.Enabled() {
				t.Errorf("with NEON_DB_URL set, sync is on %v for the 1.x file, %v for the migrated one", oldEnv.Sync.Enabled(), migEnv.Sync.Enabled())
			}
		})
	}
}

func TestMigrateFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "1x", "default.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, string(data))
	if _, err := MigrateFile(path); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(path + Suffix1x)
	if err != nil || string(kept) != string(data) {
		t.Fatalf("the 1.x file is not kept as %s unchanged: %v", path+Suffix1x, err)
	}
	if fi, err := os.Stat(path + Suffix1x); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept file mode %v, want 0600 (%v)", fi.Mode().Perm(), err)
	}
	now, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(now), "# PacketBuddy configuration, migrated from PacketBuddy 1.x") {
		t.Fatalf("new file not written: %v\n%s", err, now)
	}
	// A second run: the file is now pb's; nothing changes.
	if _, err := MigrateFile(path); !errors.Is(err, ErrNot1x) {
		t.Errorf("second migrate: %v, want ErrNot1x", err)
	}
	// A 1.x file again, but the .1x copy is in the way: nothing is touched.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MigrateFile(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("migrate over an existing .1x: %v", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Error("the config was changed although migrate failed")
	}
	// A broken file is reported, not migrated.
	bad := writeConfig(t, "[sync]\nenabled = true\nbogus = 1\n")
	if _, err := MigrateFile(bad); err == nil || !strings.Contains(err.Error(), `unknown key "sync.bogus"`) {
		t.Errorf("migrate of a broken file: %v", err)
	}
	if _, err := os.Stat(bad + Suffix1x); !os.IsNotExist(err) {
		t.Errorf("a broken file was moved: %v", err)
	}
}

// sync.enabled = false (1.x's spelling, and pb's key) keeps sync off
// whatever URL the file or the environment gives; true or absent syncs
// when a URL is set.
func TestSyncEnabled(t *testing.T) {
	t.Parallel()
	const u = "postgres://u:pw@h/db"
	for _, tc := range []struct {
		name, doc string
		vars      map[string]string
		on        bool
	}{
		{"false beats PB_DATABASE_URL", "[sync]\nenabled = false\n", map[string]string{"PB_DATABASE_URL": u}, false},
		{"false beats NEON_DB_URL", "[sync]\nenabled = false\n", map[string]string{"NEON_DB_URL": u}, false},
		{"false beats the file's URL", "[sync]\nenabled = false\ndatabase_url = \"" + u + "\"\n", nil, false},
		{"PB_SYNC_ENABLED=false", "[sync]\ndatabase_url = \"" + u + "\"\n", map[string]string{"PB_SYNC_ENABLED": "false"}, false},
		{"true with a URL", "[sync]\nenabled = true\n", map[string]string{"NEON_DB_URL": u}, true},
		{"absent with a URL", "", map[string]string{"PB_DATABASE_URL": u}, true},
		{"true without a URL", "[sync]\nenabled = true\n", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadDoc(t, tc.doc, tc.vars)
			if err != "" {
				t.Fatal(err)
			}
			if cfg.Sync.Enabled() != tc.on || cfg.Is1x() {
				t.Errorf("sync on %v (1.x format %v), want %v", cfg.Sync.Enabled(), cfg.Is1x(), tc.on)
			}
		})
	}
}

// A notice whose line is not known says no line, rather than "line 0".
func TestNoticeAt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n        Notice
		at, text string
	}{
		{Notice{Path: "/c.toml", Line: 3, Key: "api.cors_enabled", Value: "true", Msg: "ignored"}, "line 3: ",
			"config /c.toml: line 3: api.cors_enabled = true (PacketBuddy 1.x): ignored"},
		{Notice{Path: "/c.toml", Key: "api.cors_enabled", Msg: "ignored"}, "",
			"config /c.toml: api.cors_enabled (PacketBuddy 1.x): ignored"},
	} {
		if got := tc.n.At(); got != tc.at {
			t.Errorf("At() = %q, want %q", got, tc.at)
		}
		if got := tc.n.String(); got != tc.text {
			t.Errorf("String() = %q, want %q", got, tc.text)
		}
	}
}
