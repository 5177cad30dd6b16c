//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/logbuf"
)

// pb serve starts on PacketBuddy 1.x's config files as they are, honours
// their values (bare numbers are seconds) and says once that the file is in
// the 1.x format, with a notice per 1.x key.
func TestServe1xConfig(t *testing.T) {
	tests := []struct {
		fixture  string
		want     []string // in the start-up log
		notices  int
		fineDays int // [storage] log_retention_days, in /api/storage
	}{
		{"default.toml", []string{"poll_interval=1s batch_write_interval=30s"}, 6, 7},
		{"example.toml", []string{"poll_interval=1s batch_write_interval=5s"}, 23, 30},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "config", "testdata", "1x", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			dataDir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logs logbuf.Buffer
			port := freePort(t) // the files say 7373; PB_API_PORT keeps tests off it
			env := Env{Stdout: &logs, Stderr: &logs, Getenv: func(k string) string {
				switch k {
				case "PB_API_PORT":
					return port
				case "NEON_DB_URL": // default.toml's "[sync] enabled = false" keeps sync off
					if tc.fixture == "default.toml" {
						return "postgres://u:pw@127.0.0.1:1/db"
					}
				}
				return ""
			}}
			code := make(chan int, 1)
			go func() { code <- Run(ctx, []string{"serve", "--data-dir", dataDir}, env) }()
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(logs.String(), "pb serve started") {
				select {
				case c := <-code:
					t.Fatalf("pb serve exited with %d on the 1.x file:\n%s", c, logs.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("pb serve did not start in 10 s:\n%s", logs.String())
				}
			}
			checkAPI(t, "http://127.0.0.1:"+port)
			resp, err := http.Get("http://127.0.0.1:" + port + "/api/storage")
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Local struct {
					MaxStorageMB int `json:"max_storage_mb"`
				} `json:"local"`
				Retention struct {
					FineDays int `json:"fine_days"`
				} `json:"retention"`
				Neon *struct{} `json:"neon"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil || st.Retention.FineDays != tc.fineDays || st.Local.MaxStorageMB != 400 || st.Neon != nil {
				t.Errorf("/api/storage: %+v %v; want fine_days %d, max_storage_mb 400, no sync", st, err, tc.fineDays)
			}
			cancel()
			if c := <-code; c != 0 {
				t.Fatalf("pb serve exited with %d:\n%s", c, logs.String())
			}
			out := logs.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("start-up log lacks %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "the config file is in PacketBuddy 1.x's format"); n != 1 {
				t.Errorf("the 1.x format is mentioned %d times, want once:\n%s", n, out)
			}
			if n := strings.Count(out, `msg="1.x setting"`); n != tc.notices {
				t.Errorf("%d notices, want %d:\n%s", n, tc.notices, out)
			}
			if !strings.Contains(out, `key=api.cors_enabled does="ignored: pb never answers every web origin`) {
				t.Errorf("no notice for api.cors_enabled:\n%s", out)
			}
		})
	}
}
