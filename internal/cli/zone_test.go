package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/packetbuddy/pb/internal/zone"
)

// With no timezone configured, the CLI and API name the machine's zone by
// its IANA name (as pb devices does), not "Local".
func TestMachineZoneName(t *testing.T) {
	dir := newDataDir(t, false)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	want := zone.Local().String()
	for _, args := range [][]string{{"summary", "--json"}, {"today", "--json"}, {"years", "--json"}, {"top", "--json"}} {
		out := runOK(t, append(args, "--data-dir", dir)...)
		var v struct {
			Timezone string `json:"timezone"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if v.Timezone != want || (zone.Machine() != "" && v.Timezone != zone.Machine()) {
			t.Errorf("pb %v: timezone %q, want %q", args, v.Timezone, want)
		}
	}
}
