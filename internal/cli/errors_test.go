package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryErrors: every bad input is one line on stderr with exit 2 (the
// command line) or 1 (the world), never a stack trace.
func TestQueryErrors(t *testing.T) {
	dir := newDataDir(t, false)
	missing := t.TempDir()
	junk := t.TempDir()
	if err := os.WriteFile(filepath.Join(junk, dbFile), []byte("this is not a database, just text that is long enough to be read as a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"todya"}, 2, `unknown command "todya"`},
		{"bad month", []string{"month", "2026-13", "--data-dir", dir}, 2, `month "2026-13" is not YYYY-MM`},
		{"bad date", []string{"hours", "2026-02-30", "--data-dir", dir}, 2, `date "2026-02-30" is not a date`},
		{"bad from", []string{"range", "--from", "03/01/2026", "--to", "2026-03-08", "--data-dir", dir}, 2, `--from "03/01/2026" is not a date`},
		{"missing from", []string{"range", "--to", "2026-03-08", "--data-dir", dir}, 2, "--from is required"},
		{"from after to", []string{"range", "--from", "2026-03-08", "--to", "2026-03-01", "--data-dir", dir}, 2, "--from 2026-03-08 is after --to 2026-03-01"},
		{"events from after to", []string{"events", "--from", "2026-03-08", "--to", "2026-03-01", "--data-dir", dir}, 2, "is after --to"},
		{"bad N", []string{"days", "lots", "--data-dir", dir}, 2, `N "lots"`},
		{"bad top", []string{"top", "0", "--data-dir", dir}, 2, `N "0"`},
		{"bad apps period", []string{"apps", "week", "--data-dir", dir}, 2, `"week" is not today or month`},
		{"apps period and range", []string{"apps", "month", "--from", "2026-03-01", "--data-dir", dir}, 2, "give month or --from/--to, not both"},
		{"apps from after to", []string{"apps", "--from", "2026-03-08", "--to", "2026-03-01", "--data-dir", dir}, 2, "is after --to"},
		{"extra arg", []string{"today", "now", "--data-dir", dir}, 2, `unexpected argument "now"`},
		{"bad color", []string{"today", "--color", "pink", "--data-dir", dir}, 2, `--color "pink"`},
		{"unknown flag", []string{"month", "--jsno", "--data-dir", dir}, 2, "flag provided but not defined: -jsno"},
		{"unknown interface", []string{"today", "-i", "eht0", "--data-dir", dir}, 2, `no interface named "eht0" in the database; it knows`},
		{"missing database", []string{"today", "--data-dir", missing}, 1, `no PacketBuddy database at ` + filepath.Join(missing, dbFile) + `: start the daemon with "pb serve" (or pass --data-dir)`},
		{"not a database", []string{"summary", "--data-dir", junk}, 1, "is not a PacketBuddy database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runAt(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.want)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if tc.code == 1 && len(lines) != 1 || len(lines) > 2 {
				t.Fatalf("error is not one sentence:\n%s", stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("stack trace on stderr: %s", stderr)
			}
		})
	}
}
