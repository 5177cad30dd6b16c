package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/store"
)

// twoDevice1x builds a PacketBuddy 1.x database with the 1.x schema and two
// devices: dev-a (this machine, named in the device_id file) and dev-b.
// Month rows hold more than their days (Feb and Mar of dev-a) or have no
// days at all (Dec 2025 of dev-a, Nov 2025 of dev-b); days carry peak
// speeds. withMonths false leaves monthly_aggregates empty.
func twoDevice1x(t *testing.T, withMonths bool) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "packetbuddy.db")
	stmts := []string{
		`CREATE TABLE devices (device_id TEXT PRIMARY KEY, os_type TEXT NOT NULL, hostname TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`CREATE TABLE usage_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, timestamp TIMESTAMP NOT NULL, bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL, synced INTEGER DEFAULT 0)`,
		`CREATE INDEX idx_usage_timestamp ON usage_logs(timestamp)`,
		`CREATE TABLE daily_aggregates (device_id TEXT NOT NULL, date TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, peak_speed INTEGER DEFAULT 0, PRIMARY KEY (device_id, date))`,
		`CREATE TABLE monthly_aggregates (device_id TEXT NOT NULL, month TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, PRIMARY KEY (device_id, month))`,
		`CREATE TABLE system_state (key TEXT PRIMARY KEY, value_text TEXT, value_int INTEGER, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
		`INSERT INTO system_state (key, value_int) VALUES ('last_bytes_sent', 123456), ('last_bytes_received', 654321)`,
		`INSERT INTO devices VALUES ('dev-a', 'Darwin', 'laptop', '2025-10-01 09:00:00')`,
		`INSERT INTO devices VALUES ('dev-b', 'Windows', 'desktop', '2025-10-02 09:00:00')`,
		// dev-a, 2026-03-05 10:00:00-10:00:59: 59 seconds of rx 1000 tx 100
		// and one of rx 50,000 tx 5,000: 55,000 B/s, the day's peak.
		`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 59)
		 INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received)
		 SELECT 'dev-a', printf('2026-03-05 10:00:%02d', i), CASE i WHEN 30 THEN 5000 ELSE 100 END, CASE i WHEN 30 THEN 50000 ELSE 1000 END FROM s`,
		`INSERT INTO daily_aggregates VALUES ('dev-a', '2026-03-05', 50000, 1000000, 55000)`,
		`INSERT INTO daily_aggregates VALUES ('dev-a', '2026-02-10', 1000000000, 5000000000, 12400000)`,
		`INSERT INTO daily_aggregates VALUES ('dev-a', '2026-02-11', 100000000, 2000000000, 8000000)`,
		`INSERT INTO daily_aggregates VALUES ('dev-b', '2026-03-05', 300000000, 3000000000, 20000000)`,
		`INSERT INTO daily_aggregates VALUES ('dev-b', '2026-02-10', 100000000, 1000000000, 0)`,
	}
	if withMonths {
		stmts = append(stmts,
			`INSERT INTO monthly_aggregates VALUES ('dev-a', '2026-03', 0, 50000000000)`,
			`INSERT INTO monthly_aggregates VALUES ('dev-a', '2026-02', 2000000000, 9000000000)`,
			`INSERT INTO monthly_aggregates VALUES ('dev-a', '2025-12', 20000000000, 280000000000)`,
			`INSERT INTO monthly_aggregates VALUES ('dev-b', '2026-02', 100000000, 1000000000)`,
			`INSERT INTO monthly_aggregates VALUES ('dev-b', '2025-11', 1000000000, 40000000000)`,
		)
	}
	sqlExec(t, path, stmts...)
	if err := os.WriteFile(filepath.Join(dir, "device_id"), []byte("dev-a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each device's lifetime in twoDevice1x(t, true): its month totals where it
// has them (they hold the month's days), its days elsewhere.
const (
	devA = 300_000_000_000 + 11_000_000_000 + 50_000_050_000
	devB = 41_000_000_000 + 1_100_000_000 + 3_300_000_000
)

// lifetimes returns each interface's lifetime total.
func lifetimes(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ifs, err := st.InterfaceLifetimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, i := range ifs {
		out[i.Name] += i.Total()
	}
	return out
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runAt(t, nil, args...)
	if code != 0 {
		t.Fatalf("pb %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestImport1xTwoDevices(t *testing.T) {
	src := twoDevice1x(t, true)
	dir := newDataDir(t, true)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("timezone = \"America/New_York\"\n"+planConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runOK(t, "import", "--from", "packetbuddy", src, "--data-dir", dir)

	// The preview comes first: a row per device, then the default said.
	wantPreview := `Device                Host     OS       Span                      Days      Total  Imported as
dev-a (this machine)  laptop   Darwin   2025-12-01 to 2026-03-31     3  361.00 GB  packetbuddy-v1
dev-b                 desktop  Windows  2025-11-01 to 2026-03-05     2   45.40 GB  packetbuddy-v1@desktop
all 2 devices are imported, as the 1.x dashboard showed them together; --device ID takes one only
`
	if !strings.HasPrefix(out, wantPreview) {
		t.Errorf("preview:\n%s\nwant it to start with:\n%s", out, wantPreview)
	}
	if !strings.Contains(out, "of which 393.90 GB as 4 month or year totals (in no day)") || !strings.Contains(out, "\nrecorded 3 peak speeds\n") {
		t.Errorf("the month totals are not reported:\n%s", out)
	}

	// Totals per device equal the source's: its month totals where it has
	// them (they hold the month's days), its days elsewhere.
	got := lifetimes(t, dir)
	if got["packetbuddy-v1"] != devA || got["packetbuddy-v1@desktop"] != devB || len(got) != 2 {
		t.Fatalf("lifetimes %v, want packetbuddy-v1 %d and packetbuddy-v1@desktop %d", got, devA, devB)
	}
	if s := summaryTotal(t, dir); s != devA+devB {
		t.Fatalf("summary %d, want %d", s, devA+devB)
	}

	// No month lands on a day: the days hold only the days' traffic.
	var rng struct {
		Days []struct {
			Date       string `json:"date"`
			TotalBytes uint64 `json:"total_bytes"`
			PeakSpeed  uint64 `json:"peak_speed"`
		} `json:"days"`
		Summary struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(runOK(t, "range", "--from", "2025-11-01", "--to", "2026-03-31", "--json", "--data-dir", dir)), &rng); err != nil {
		t.Fatal(err)
	}
	const byDay = 1_050_000 + 6_000_000_000 + 2_100_000_000 + 3_300_000_000 + 1_100_000_000
	if rng.Summary.TotalBytes != byDay {
		t.Errorf("days sum to %d, want %d (the days alone)", rng.Summary.TotalBytes, byDay)
	}
	peaks := map[string]uint64{}
	for _, d := range rng.Days {
		switch d.Date {
		case "2025-11-01", "2025-12-01", "2026-02-01", "2026-03-01":
			if d.TotalBytes != 0 {
				t.Errorf("%s holds %d bytes: a month landed on its first day", d.Date, d.TotalBytes)
			}
		}
		peaks[d.Date] = d.PeakSpeed
	}
	// Peak speeds came along, this machine's only: dev-b's 20,000,000 on
	// 2026-03-05 was another machine's link.
	if peaks["2026-02-10"] != 12_400_000 || peaks["2026-02-11"] != 8_000_000 || peaks["2026-03-05"] != 55_000 {
		t.Errorf("peaks %v", peaks)
	}
	hours := runOK(t, "hours", "2025-12-01", "--json", "--data-dir", dir)
	if !strings.Contains(hours, `"total_bytes": 0`) || strings.Contains(hours, "300000000000") {
		t.Errorf("the hour map of 2025-12-01 shows the month:\n%s", hours)
	}

	// Month, year and lifetime views have them.
	var month struct {
		Summary struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"summary"`
		NotByDay struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"not_by_day"`
	}
	if err := json.Unmarshal([]byte(runOK(t, "month", "2025-12", "--json", "--data-dir", dir)), &month); err != nil {
		t.Fatal(err)
	}
	if month.Summary.TotalBytes != 300_000_000_000 || month.NotByDay.TotalBytes != 300_000_000_000 {
		t.Errorf("month 2025-12: %+v", month)
	}
	var years struct {
		Years []struct {
			Year       int    `json:"year"`
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"years"`
		Summary struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(runOK(t, "years", "--json", "--data-dir", dir)), &years); err != nil {
		t.Fatal(err)
	}
	if len(years.Years) != 2 || years.Years[0].TotalBytes != 341_000_000_000 || years.Years[1].TotalBytes != devA+devB-341_000_000_000 ||
		years.Summary.TotalBytes != devA+devB {
		t.Errorf("years: %+v", years)
	}

	// The export has them in its totals and months, not in its days or
	// its daily average.
	var exp struct {
		Summary struct {
			Totals struct {
				TotalBytes uint64 `json:"total_bytes"`
			} `json:"totals"`
			Averages struct {
				DailyBytes uint64 `json:"daily_bytes"`
			} `json:"averages"`
			PeakDay struct {
				Date string `json:"date"`
			} `json:"peak_day"`
		} `json:"summary"`
		MonthlyData []struct {
			Month      string `json:"month"`
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"monthly_data"`
		DailyData []struct {
			Date       string `json:"date"`
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"daily_data"`
	}
	if err := json.Unmarshal([]byte(runOK(t, "export", "--format", "json", "--data-dir", dir)), &exp); err != nil {
		t.Fatal(err)
	}
	months := map[string]uint64{}
	for _, m := range exp.MonthlyData {
		months[m.Month] = m.TotalBytes
	}
	var daySum uint64
	for _, d := range exp.DailyData {
		daySum += d.TotalBytes
	}
	// Tracked days: 2026-02-10 to 2026-03-05, 24 days.
	if exp.Summary.Totals.TotalBytes != devA+devB || daySum != byDay || exp.Summary.PeakDay.Date != "2026-02-10" ||
		exp.Summary.Averages.DailyBytes != (byDay+12)/24 ||
		months["2025-11"] != 41_000_000_000 || months["2025-12"] != 300_000_000_000 || months["2026-03"] != 50_000_050_000+3_300_000_000 {
		t.Errorf("export: summary %+v, months %v, days sum %d (want %d)", exp.Summary, months, daySum, byDay)
	}

	// Top days and plan forecasts are those of the same history without
	// the month totals.
	plain := newDataDir(t, true)
	if err := os.WriteFile(filepath.Join(plain, "config.toml"), []byte("timezone = \"America/New_York\"\n"+planConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	runOK(t, "import", "--from", "packetbuddy", twoDevice1x(t, false), "--data-dir", plain)
	for _, args := range [][]string{{"top", "--json"}, {"plan", "--json"}, {"hours", "2026-03-01", "--json"}} {
		a := runOK(t, append(args, "--data-dir", dir)...)
		b := runOK(t, append(args, "--data-dir", plain)...)
		if a != b {
			t.Errorf("pb %s differs with the month totals:\n%s\nwithout:\n%s", strings.Join(args, " "), a, b)
		}
	}
	if top := runOK(t, "top", "1", "--data-dir", dir); !strings.Contains(top, "2026-02-10") {
		t.Errorf("the busiest day is not 2026-02-10:\n%s", top)
	}

	// Twice: nothing new, totals unchanged.
	out = runOK(t, "import", "--from", "packetbuddy", src, "--data-dir", dir)
	if !strings.Contains(out, "nothing new to import") || strings.Contains(out, "peak speeds") {
		t.Errorf("second import: %s", out)
	}
	if got := lifetimes(t, dir); got["packetbuddy-v1"] != devA || got["packetbuddy-v1@desktop"] != devB {
		t.Fatalf("after the second import: %v", got)
	}
}

// --device takes one device; an unknown id names the ones there are.
func TestImport1xPickDevice(t *testing.T) {
	src := twoDevice1x(t, true)
	dir := newDataDir(t, true)
	out := runOK(t, "import", "--from", "packetbuddy", src, "--device", "dev-b", "--keep-device-id", "--data-dir", dir)
	if strings.Contains(out, "all 2 devices") || !strings.Contains(out, "dev-b ") || strings.Contains(out, "dev-a") ||
		!strings.Contains(out, "kept no device id: no imported device is this machine's") {
		t.Errorf("preview of one device:\n%s", out)
	}
	if got := lifetimes(t, dir); len(got) != 1 || got["packetbuddy-v1@desktop"] != 45_400_000_000 {
		t.Fatalf("lifetimes %v", got)
	}
	code, _, errs := runAt(t, nil, "import", "--from", "packetbuddy", src, "--device", "dev-c", "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, `has no device "dev-c"; its devices are: dev-a, dev-b`) {
		t.Errorf("unknown device: exit %d %q", code, errs)
	}
}

// copyTo copies the file at src into a new directory (without the
// device_id file beside it, like a backup copy) and returns the copy's path.
func copyTo(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A copy of the same 1.x database without its device_id file adds nothing:
// its devices are found by what the first import recorded, or (after an
// import by an older pb, which recorded nothing) by the devices table's
// first.
func TestImport1xCopyWithoutDeviceID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first []string
		after string // SQL run on pb's database after the first import
	}{
		{"recorded", nil, ""},
		{"older pb", []string{"--device", "dev-a"}, `DELETE FROM state WHERE key LIKE 'import.1x:%'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := twoDevice1x(t, true)
			dir := newDataDir(t, true)
			runOK(t, append([]string{"import", "--from", "packetbuddy", src, "--data-dir", dir}, tc.first...)...)
			if tc.after != "" {
				sqlExec(t, filepath.Join(dir, dbFile), tc.after)
			}
			out := runOK(t, "import", "--from", "packetbuddy", copyTo(t, src), "--data-dir", dir)
			if !strings.Contains(out, "dev-a (this machine)  laptop   Darwin") || !strings.Contains(out, "packetbuddy-v1@desktop") {
				t.Errorf("preview of the copy:\n%s", out)
			}
			if tc.first == nil && !strings.Contains(out, "nothing new to import") {
				t.Errorf("the copy added traffic:\n%s", out)
			}
			if got := lifetimes(t, dir); got["packetbuddy-v1"] != devA || got["packetbuddy-v1@desktop"] != devB || len(got) != 2 {
				t.Fatalf("lifetimes %v, want packetbuddy-v1 %d and packetbuddy-v1@desktop %d", got, devA, devB)
			}
		})
	}
}

// Importing one device, then all, adds each device's whole history in
// either order: another device's interface never covers this machine's
// traffic, nor this machine's another device's.
func TestImport1xOneThenAll(t *testing.T) {
	for _, tc := range []struct{ first, taken, skipped string }{
		{"dev-b", "imported 361.00 GB over 3 days", "skipped 45.40 GB over 2 days"},
		{"dev-a", "imported 45.40 GB over 2 days", "skipped 361.00 GB over 3 days"},
	} {
		first := tc.first
		t.Run(first, func(t *testing.T) {
			src := twoDevice1x(t, true)
			dir := newDataDir(t, true)
			runOK(t, "import", "--from", "packetbuddy", src, "--device", first, "--data-dir", dir)
			out := runOK(t, "import", "--from", "packetbuddy", src, "--data-dir", dir)
			if !strings.Contains(out, tc.taken) || !strings.Contains(out, tc.skipped) {
				t.Errorf("second import: want %q and %q:\n%s", tc.taken, tc.skipped, out)
			}
			if got := lifetimes(t, dir); got["packetbuddy-v1"] != devA || got["packetbuddy-v1@desktop"] != devB || len(got) != 2 {
				t.Fatalf("lifetimes %v, want packetbuddy-v1 %d and packetbuddy-v1@desktop %d", got, devA, devB)
			}
		})
	}
}

// vnStat's history of this machine is not covered by another 1.x device's
// interface.
func TestImportVnStatAfterOther1xDevice(t *testing.T) {
	dir := newDataDir(t, true)
	runOK(t, "import", "--from", "packetbuddy", twoDevice1x(t, true), "--device", "dev-b", "--data-dir", dir)
	out := runOK(t, "import", "--from", "vnstat", vnstatDB(t), "--data-dir", dir)
	if strings.Contains(out, "skipped") {
		t.Errorf("vnStat import skipped traffic:\n%s", out)
	}
	if got := lifetimes(t, dir); got["eth0"] != 16_200_000_000 || got["packetbuddy-v1@desktop"] != 45_400_000_000 {
		t.Fatalf("lifetimes %v, want eth0 16200000000 and packetbuddy-v1@desktop 45400000000", got)
	}
}

// Rows with no device id, devices with no host name and ids sharing their
// first 12 characters each get an interface of their own.
func TestImport1xNamelessDevices(t *testing.T) {
	src := filepath.Join(t.TempDir(), "packetbuddy.db")
	sqlExec(t, src,
		`CREATE TABLE devices (device_id TEXT PRIMARY KEY, os_type TEXT, hostname TEXT, created_at TIMESTAMP)`,
		`CREATE TABLE usage_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT, timestamp TIMESTAMP NOT NULL, bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL)`,
		`CREATE TABLE daily_aggregates (device_id TEXT, date TEXT NOT NULL, bytes_sent INTEGER DEFAULT 0, bytes_received INTEGER DEFAULT 0, peak_speed INTEGER DEFAULT 0)`,
		`INSERT INTO devices VALUES ('0123456789ab-first', 'Linux', '', '2025-10-01 09:00:00')`,
		`INSERT INTO devices VALUES ('0123456789ab-second', 'Linux', NULL, '2025-10-02 09:00:00')`,
		`INSERT INTO usage_logs (device_id, timestamp, bytes_sent, bytes_received) VALUES (NULL, '2026-03-05 10:00:00', 100, 1000)`,
		`INSERT INTO daily_aggregates VALUES (NULL, '2026-03-05', 100, 1000, 0)`,
		`INSERT INTO daily_aggregates VALUES ('0123456789ab-first', '2026-03-05', 200, 2000, 0)`,
		`INSERT INTO daily_aggregates VALUES ('0123456789ab-second', '2026-03-05', 300, 3000, 0)`,
	)
	dir := newDataDir(t, true)
	out := runOK(t, "import", "--from", "packetbuddy", src, "--data-dir", dir)
	for _, w := range []string{"packetbuddy-v1@0123456789ab\n", "packetbuddy-v1@0123456789ab-2\n", "packetbuddy-v1@device\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("preview lacks %q:\n%s", w, out)
		}
	}
	want := map[string]uint64{"packetbuddy-v1@0123456789ab": 2200, "packetbuddy-v1@0123456789ab-2": 3300, "packetbuddy-v1@device": 1100}
	if got := lifetimes(t, dir); len(got) != 3 || got["packetbuddy-v1@0123456789ab"] != want["packetbuddy-v1@0123456789ab"] ||
		got["packetbuddy-v1@0123456789ab-2"] != want["packetbuddy-v1@0123456789ab-2"] || got["packetbuddy-v1@device"] != want["packetbuddy-v1@device"] {
		t.Fatalf("lifetimes %v, want %v", got, want)
	}
}
