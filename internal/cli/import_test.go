package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
)

func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// oldPacketBuddy builds a PacketBuddy 1.x database (the schema of
// api-contract.md) with per-second logs, daily and monthly aggregates.
func oldPacketBuddy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "packetbuddy.db")
	stmts := []string{
		`CREATE TABLE devices (device_id TEXT PRIMARY KEY, os_type TEXT, hostname TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`CREATE TABLE usage_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, timestamp TIMESTAMP NOT NULL, bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL, synced INTEGER DEFAULT 0)`,
		`CREATE TABLE daily_aggregates (device_id TEXT NOT NULL, date TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, peak_speed INTEGER DEFAULT 0, PRIMARY KEY (device_id, date))`,
		`CREATE TABLE monthly_aggregates (device_id TEXT NOT NULL, month TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, PRIMARY KEY (device_id, month))`,
		`CREATE TABLE system_state (key TEXT PRIMARY KEY, value_text TEXT, value_int INTEGER, updated_at TIMESTAMP)`,
		`INSERT INTO devices VALUES ('old-device-1234', 'Linux', 'oldhost', '2025-12-01 09:00:00')`,
		// 2026-03-05 10:00:00-10:00:59, one row a second: rx 60,000 tx 6,000.
		`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 59)
		 INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received) SELECT 'old-device-1234', printf('2026-03-05 10:00:%02d.123456', i), 100, 1000 FROM s`,
		`INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received) VALUES ('old-device-1234', '2026-03-06T23:59:30', 200, 2000)`,
		// A device the devices table does not name: imported beside.
		`INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received) VALUES ('other', '2026-03-06 12:00:00', 999999, 999999)`,
		`INSERT INTO daily_aggregates VALUES ('old-device-1234', '2026-03-05', 50000, 1000000, 5000)`,
		`INSERT INTO daily_aggregates VALUES ('old-device-1234', '2026-03-06', 200, 2000, 2000)`,
		`INSERT INTO daily_aggregates VALUES ('old-device-1234', '2026-02-10', 1000000000, 5000000000, 90000)`,
		`INSERT INTO monthly_aggregates VALUES ('old-device-1234', '2026-02', 1000000000, 6000000000)`,
		`INSERT INTO monthly_aggregates VALUES ('old-device-1234', '2026-01', 1000000000, 7000000000)`,
	}
	sqlExec(t, path, stmts...)
	if err := os.WriteFile(filepath.Join(dir, "device_id"), []byte("old-device-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func summaryTotal(t *testing.T, dir string) uint64 {
	t.Helper()
	code, out, errs := runAt(t, nil, "summary", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("summary: %d %s", code, errs)
	}
	var v struct {
		TotalBytes uint64 `json:"total_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	return v.TotalBytes
}

func TestImportPacketBuddy(t *testing.T) {
	old := oldPacketBuddy(t)
	dir := newDataDir(t, true)
	code, out, errs := runAt(t, nil, "import", "--from", "packetbuddy", old, "--keep-device-id", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	t.Log(strings.TrimSpace(out))
	// January 8e9 (month only), February 7e9 (6e9 on the 10th + 1e9 left
	// for the month), 2026-03-05 1.05e6 (logs + the rest of the day),
	// 2026-03-06 2,200; the other device's 1,999,998.
	const want = 8_000_000_000 + 7_000_000_000 + 1_050_000 + 2_200 + 1_999_998
	if got := summaryTotal(t, dir); got != want {
		t.Fatalf("lifetime %d after import, want %d", got, want)
	}
	if !strings.Contains(out, "imported 15.00 GB over") || !strings.Contains(out, "kept the device id old-device-1234") {
		t.Errorf("report: %q", out)
	}
	// The minute of the logs is in the fine detail: the 10:00 hour has them.
	code, hours, _ := runAt(t, nil, "hours", "2026-03-05", "--json", "--data-dir", dir)
	if code != 0 || !strings.Contains(hours, `"start": "2026-03-05T10:00:00-05:00"`) {
		t.Fatalf("hours: %s", hours)
	}
	var hv struct {
		Hours []struct {
			Hour       int    `json:"hour"`
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"hours"`
	}
	_ = json.Unmarshal([]byte(hours), &hv)
	if hv.Hours[10].TotalBytes != 66_000 || hv.Hours[0].TotalBytes != 1_050_000-66_000 {
		t.Fatalf("hour 10 has %d (want the logs' 66000), midnight %d", hv.Hours[10].TotalBytes, hv.Hours[0].TotalBytes)
	}

	// Twice: nothing more.
	code, out, errs = runAt(t, nil, "import", "--from", "packetbuddy", old, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("second import: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "\nnothing new to import") {
		t.Errorf("second import says %q", out)
	}
	if got := summaryTotal(t, dir); got != want {
		t.Fatalf("lifetime %d after the second import, want %d", got, want)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if id, _ := st.DeviceID(context.Background()); id != "old-device-1234" {
		t.Fatalf("device id %q, want the old one", id)
	}
}

// TestImportKeepsOwnData: days the daemon recorded keep the daemon's numbers.
func TestImportKeepsOwnData(t *testing.T) {
	dir := newDataDir(t, false) // has 2026-03-01..08 of its own
	before := summaryTotal(t, dir)
	old := t.TempDir() + "/packetbuddy.db"
	sqlExec(t, old,
		`CREATE TABLE usage_logs (id INTEGER PRIMARY KEY, device_id TEXT, timestamp TIMESTAMP, bytes_sent INTEGER, bytes_received INTEGER, synced INTEGER)`,
		`CREATE TABLE daily_aggregates (device_id TEXT, date TEXT, bytes_sent INTEGER, bytes_received INTEGER, peak_speed INTEGER)`,
		`INSERT INTO daily_aggregates VALUES ('x', '2026-03-03', 5, 5, 0)`, // the daemon has this day
		`INSERT INTO daily_aggregates VALUES ('x', '2026-03-04', 7, 3, 0)`, // this one it has not
	)
	if code, _, errs := runAt(t, nil, "import", "--from", "packetbuddy", old, "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	if got := summaryTotal(t, dir); got != before+10 {
		t.Fatalf("lifetime %d, want %d + 10", got, before)
	}
}

// vnstatDB creates a vnStat database with Debian's vnstat (vnstatd --initdb
// and vnstat --add with a private DatabaseDir), or, when vnstat is not
// installed, with its documented 2.x schema. CI=true requires the tool.
func vnstatDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "vnstat.db")
	if _, err := exec.LookPath("vnstatd"); err == nil {
		conf := filepath.Join(dir, "vnstat.conf")
		if err := os.WriteFile(conf, []byte("DatabaseDir \""+dir+"\"\nUseLogging 0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"vnstatd", "--config", conf, "--initdb"}, {"vnstat", "--config", conf, "--add", "-i", "eth0", "--force"}, {"vnstat", "--config", conf, "--add", "-i", "lo", "--force"}} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
	} else {
		if os.Getenv("CI") == "true" {
			t.Fatal("vnstat is not installed: apt-get install -y vnstat (CI must test the import on a real vnStat database)")
		}
		t.Log("vnstat is not installed; using vnStat 2.x's documented schema")
		var stmts []string
		stmts = append(stmts, `CREATE TABLE info(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, value TEXT NOT NULL)`,
			`CREATE TABLE interface(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, alias TEXT, active INTEGER NOT NULL, created DATE NOT NULL, updated DATE NOT NULL, rxcounter INTEGER NOT NULL, txcounter INTEGER NOT NULL, rxtotal INTEGER NOT NULL, txtotal INTEGER NOT NULL)`,
			`INSERT INTO interface VALUES (1, 'eth0', NULL, 1, '2025-01-01 00:00:00', '2026-03-08 12:00:00', 0, 0, 0, 0)`,
			`INSERT INTO interface VALUES (2, 'lo', NULL, 1, '2025-01-01 00:00:00', '2026-03-08 12:00:00', 0, 0, 0, 0)`)
		for _, tb := range []string{"fiveminute", "hour", "day", "month", "year", "top"} {
			stmts = append(stmts, `CREATE TABLE `+tb+`(id INTEGER PRIMARY KEY, interface INTEGER REFERENCES interface(id) ON DELETE CASCADE, date DATE NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL, CONSTRAINT u UNIQUE (interface, date))`)
		}
		sqlExec(t, path, stmts...)
	}
	sqlExec(t, path,
		`INSERT INTO fiveminute (interface, date, rx, tx) SELECT id, '2026-03-07 10:00:00', 1000000, 100000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO fiveminute (interface, date, rx, tx) SELECT id, '2026-03-07 10:05:00', 1000000, 100000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO hour (interface, date, rx, tx) SELECT id, '2026-03-07 10:00:00', 5000000, 500000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO hour (interface, date, rx, tx) SELECT id, '2026-03-07 11:00:00', 4000000, 0 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO day (interface, date, rx, tx) SELECT id, '2026-03-07', 20000000, 1000000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO day (interface, date, rx, tx) SELECT id, '2026-03-01', 1000000000, 100000000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO month (interface, date, rx, tx) SELECT id, '2026-03-01', 2000000000, 200000000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO month (interface, date, rx, tx) SELECT id, '2026-02-01', 3000000000, 0 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO year (interface, date, rx, tx) SELECT id, '2026-01-01', 5000000000, 200000000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO year (interface, date, rx, tx) SELECT id, '2025-01-01', 10000000000, 1000000000 FROM interface WHERE name = 'eth0'`,
		`INSERT INTO day (interface, date, rx, tx) SELECT id, '2026-03-07', 500000000, 500000000 FROM interface WHERE name = 'lo'`,
	)
	return path
}

func TestImportVnStat(t *testing.T) {
	vn := vnstatDB(t)
	dir := newDataDir(t, true)
	for i := range 2 {
		code, out, errs := runAt(t, nil, "import", "--from", "vnstat", vn, "--data-dir", dir)
		if code != 0 {
			t.Fatalf("import %d: exit %d: %s", i+1, code, errs)
		}
		t.Log(strings.TrimSpace(out))
		if i == 1 && !strings.Contains(out, "\nnothing new") {
			t.Errorf("second import: %q", out)
		}
		// eth0: 2026 5.2e9 and 2025 1.1e10; lo is loopback, not counted.
		if got := summaryTotal(t, dir); got != 16_200_000_000 {
			t.Fatalf("after import %d: lifetime %d, want 16200000000", i+1, got)
		}
	}
	// Year and month rows beyond their days are in no day: the 1st of
	// January and of February hold nothing, the years hold them.
	for _, day := range []string{"2025-01-01", "2026-01-01", "2026-02-01", "2026-03-01"} {
		out := runOK(t, "range", "--from", day, "--to", day, "--json", "--data-dir", dir)
		want := `"total_bytes": 0`
		if day == "2026-03-01" {
			want = `"total_bytes": 1100000000` // its own day row only
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: want %s:\n%s", day, want, out)
		}
	}
	years := runOK(t, "years", "--json", "--data-dir", dir)
	if !strings.Contains(years, `"year": 2025,
      "bytes_sent": 1000000000,
      "bytes_received": 10000000000,
      "total_bytes": 11000000000`) {
		t.Errorf("2025 is not vnStat's year total:\n%s", years)
	}
	code, out, _ := runAt(t, nil, "range", "--from", "2026-03-07", "--to", "2026-03-07", "--json", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `"total_bytes": 21000000`) {
		t.Fatalf("2026-03-07 is not 21,000,000 bytes on eth0:\n%s", out)
	}
	code, out, _ = runAt(t, nil, "today", "--json", "-i", "lo", "--data-dir", dir)
	if code != 0 {
		t.Fatal(out)
	}
	code, out, _ = runAt(t, nil, "interfaces", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "lo") || !strings.Contains(out, "loopback") {
		t.Fatalf("interfaces:\n%s", out)
	}
}

// TestImportBadFiles: a file that is not SQLite, a damaged one and another
// tool's database are each one line, exit 1, and write nothing.
func TestImportBadFiles(t *testing.T) {
	tmp := t.TempDir()
	text := filepath.Join(tmp, "notes.db")
	os.WriteFile(text, []byte("just some text, not a database at all, but long enough"), 0o600)
	garbage := filepath.Join(tmp, "garbage.db")
	os.WriteFile(garbage, append([]byte("SQLite format 3\x00"), []byte(strings.Repeat("\xff\x00garbage", 200))...), 0o600)
	foreign := filepath.Join(tmp, "foreign.db")
	sqlExec(t, foreign, `CREATE TABLE recipes (name TEXT)`)
	damaged := filepath.Join(tmp, "damaged.db")
	{
		good := oldPacketBuddy(t)
		b, _ := os.ReadFile(good)
		for i := 100; i < len(b) && i < 100+4096; i++ {
			b[i] ^= 0x5a
		}
		os.WriteFile(damaged, b, 0o600)
	}
	for _, tc := range []struct {
		name, src, path, want string
	}{
		{"text", "packetbuddy", text, "is not a SQLite database"},
		{"garbage", "packetbuddy", garbage, "nothing imported"},
		{"foreign", "packetbuddy", foreign, "is not a PacketBuddy 1.x database (it has no usage_logs table)"},
		{"foreign vnstat", "vnstat", foreign, "is not a vnStat 2.x database"},
		{"packetbuddy as vnstat", "vnstat", oldPacketBuddy(t), "is not a vnStat 2.x database (it has no interface table)"},
		{"damaged", "packetbuddy", damaged, "nothing imported"},
		{"missing", "vnstat", filepath.Join(tmp, "nope.db"), "no file at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, stderr := runAt(t, nil, "import", "--from", tc.src, tc.path, "--data-dir", dir)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
			}
			if !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Fatalf("stderr %q: want one line with %q", stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
				t.Fatal("a database was written")
			}
		})
	}
	code, _, stderr := runAt(t, nil, "import", "--from", "lotus", text)
	if code != 2 || !strings.Contains(stderr, `--from "lotus"`) {
		t.Fatalf("bad source: exit %d %q", code, stderr)
	}
}

func TestOfferImport(t *testing.T) {
	dir := newDataDir(t, true)
	if s := offerImport(dir); s != "" {
		t.Fatalf("offer without an old database: %q", s)
	}
	old := oldPacketBuddy(t)
	b, _ := os.ReadFile(old)
	os.WriteFile(filepath.Join(dir, "packetbuddy.db"), b, 0o600)
	if s := offerImport(dir); !strings.Contains(s, "pb import --from packetbuddy") {
		t.Fatalf("no offer: %q", s)
	}
	if code, _, errs := runAt(t, nil, "import", "--from", "packetbuddy", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	if s := offerImport(dir); s != "" {
		t.Fatalf("offer after the import: %q", s)
	}
}

func TestImportDryRun(t *testing.T) {
	old := oldPacketBuddy(t)
	dir := t.TempDir()
	code, out, errs := runAt(t, nil, "import", "--from", "packetbuddy", old, "--dry-run", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "holds 15.00 GB over 3 days (2026-01-01 to 2026-03-06)") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("dry run: exit %d, %q, %s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		t.Fatal("a dry run created the database")
	}
	if code, _, errs := runAt(t, nil, "import", "--from", "vnstat", old, "--keep-device-id", "--data-dir", dir); code != 2 {
		t.Fatalf("--keep-device-id with vnstat: exit %d %s", code, errs)
	}
}

// --units iec (or [display] units) prints import's sizes in binary units:
// the preview, the dry run's and the import's sentences are golden.
func TestImportUnits(t *testing.T) {
	old := oldPacketBuddy(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"dry_run_iec", nil, []string{"--dry-run", "--units", "iec"}},
		{"iec", map[string]string{"PB_DISPLAY_UNITS": "iec"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runAt(t, tc.env, append([]string{"import", "--from", "packetbuddy", old, "--data-dir", dir}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if strings.Contains(out, " GB") || !strings.Contains(out, "GiB") {
				t.Errorf("not in binary units:\n%s", out)
			}
			golden.Check(t, "import/"+tc.name+".txt", []byte(strings.NewReplacer(old, "OLD", dir, "DATA").Replace(out)))
		})
	}
	code, out, errs := runAt(t, nil, "import", "--from", "packetbuddy", old, "--units", "iex", "--data-dir", dir)
	if want := "pb import: --units \"iex\": use si or iec (did you mean iec?)\nsee 'pb import --help'\n"; code != 2 || out != "" || errs != want {
		t.Errorf("bad --units: exit %d, stdout %q, stderr %q, want %q", code, out, errs, want)
	}
}
