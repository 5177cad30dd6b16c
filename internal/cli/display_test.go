package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/version"
)

// --units iec prints every byte figure in binary units; the API's JSON
// (--json) carries the same strings.
func TestUnitsFlagGolden(t *testing.T) {
	dir := newDataDir(t, false)
	for _, args := range [][]string{
		{"today", "--units", "iec"},
		{"summary", "--units", "iec"},
		{"month", "--units", "iec"},
		{"years", "--units", "iec"},
		{"top", "3", "--units", "iec"},
	} {
		code, stdout, stderr := runAt(t, nil, append(args, "--data-dir", dir, "--color", "never")...)
		if code != 0 || stderr != "" {
			t.Fatalf("pb %v: exit %d: %s", args, code, stderr)
		}
		golden.Check(t, "units/"+args[0]+"_iec.txt", []byte(stdout))
		if strings.Contains(stdout, " MB") || strings.Contains(stdout, " GB") || !strings.Contains(stdout, "iB") {
			t.Errorf("pb %v is not in binary units:\n%s", args, stdout)
		}
	}
	// The config setting does the same, and --units si overrides it.
	env := map[string]string{"PB_DISPLAY_UNITS": "iec"}
	_, viaConfig, _ := runAt(t, env, "today", "--data-dir", dir, "--color", "never")
	_, viaFlag, _ := runAt(t, nil, "today", "--units", "iec", "--data-dir", dir, "--color", "never")
	if viaConfig != viaFlag {
		t.Errorf("PB_DISPLAY_UNITS=iec:\n%s\n--units iec:\n%s", viaConfig, viaFlag)
	}
	_, si, _ := runAt(t, env, "today", "--units", "si", "--data-dir", dir, "--color", "never")
	_, plain, _ := runAt(t, nil, "today", "--data-dir", dir, "--color", "never")
	if si != plain || strings.Contains(si, "iB") {
		t.Errorf("--units si over PB_DISPLAY_UNITS=iec:\n%s\nwant:\n%s", si, plain)
	}
	var v struct {
		HumanReadable struct{ Total string } `json:"human_readable"`
	}
	_, js, _ := runAt(t, nil, "today", "--json", "--units", "iec", "--data-dir", dir)
	if err := json.Unmarshal([]byte(js), &v); err != nil || !strings.HasSuffix(v.HumanReadable.Total, "iB") {
		t.Errorf("today --json --units iec: %v %q", err, v.HumanReadable.Total)
	}
	// Reports follow it too.
	_, md, _ := runAt(t, nil, "export", "--format", "md", "--units", "iec", "--data-dir", dir)
	_, mdSI, _ := runAt(t, nil, "export", "--format", "md", "--data-dir", dir)
	// The whole report, with the price per GiB; the DVD and movie sizes
	// stay the products' decimal GB.
	golden.Check(t, "units/export_iec.md", []byte(md))
	if strings.Contains(mdSI, "iB") {
		t.Errorf("markdown report without --units has binary units:\n%s", mdSI)
	}
	code, stdout, stderr := runAt(t, map[string]string{"PB_DISPLAY_UNITS": "binary"}, "today", "--data-dir", dir)
	if want := "pb today: config: PB_DISPLAY_UNITS=\"binary\" (display.units): must be \"si\" (1 KB = 1000 B) or \"iec\" (1 KiB = 1024 B)\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("bad PB_DISPLAY_UNITS: exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}

func TestVersionJSON(t *testing.T) {
	code, stdout, stderr := runPB(t, nil, "version", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": version.String(), "release_date": version.Date, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
	if len(v) != len(want) {
		t.Errorf("got %v, want %v", v, want)
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
}

// pb status describes the daemon's sync state in words, one line each.
func TestStatusSyncLines(t *testing.T) {
	now := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
	env := Env{Now: func() time.Time { return now }}
	ok := now.Add(-90 * time.Second).Format(time.RFC3339)
	tests := []struct {
		name   string
		health string
		want   [][2]string
	}{
		{"off", `{"sync_enabled": false}`, [][2]string{{"Sync", "off"}}},
		{"healthy", `{"sync_enabled": true, "sync": {"enabled": true, "last_success": "` + ok + `", "pending_rows": 1}}`,
			[][2]string{{"Sync", "on, last success " + when(now.Add(-90*time.Second), env) + ", 1 bucket waiting"}}},
		{"failing", `{"sync_enabled": true, "sync": {"enabled": true, "pending_rows": 96, "consecutive_failures": 3,
			"last_error": "sync: failed to connect to postgres://pb:s3cret@db.example/pb:\n\thost 1: refused\n\thost 2: refused", "last_error_at": "` + ok + `"}}`,
			[][2]string{
				{"Sync", "on, last success never, 96 buckets waiting"},
				{"Sync error", "sync: failed to connect to postgres://pb:****@db.example/pb: host 1: refused host 2: refused (3 failures in a row, last " + when(now.Add(-90*time.Second), env) + ")"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h map[string]any
			if err := json.Unmarshal([]byte(tc.health), &h); err != nil {
				t.Fatal(err)
			}
			got := syncLines(h, env)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("line %d: got %q\nwant %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
