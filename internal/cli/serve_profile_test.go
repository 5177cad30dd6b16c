package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	env := map[string]string{envCPUProfile: cpu, envMemProfile: mem}
	stop, err := startProfiles(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// pprof files are gzip-compressed protocol buffers.
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: not a gzip-compressed profile (%d bytes)", filepath.Base(p), len(b))
		}
	}

	// Nothing asked: nothing written, and stopping is a no-op.
	stop, err = startProfiles(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Errorf("stop without profiles: %v", err)
	}

	// A path that cannot be created is an error that names the variable.
	bad := filepath.Join(dir, "missing", "cpu.pprof")
	if _, err := startProfiles(func(k string) string { return map[string]string{envCPUProfile: bad}[k] }); err == nil || !strings.Contains(err.Error(), envCPUProfile) {
		t.Errorf("bad CPU profile path: err %v, want one naming %s", err, envCPUProfile)
	}
	stop, err = startProfiles(func(k string) string { return map[string]string{envMemProfile: bad}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err == nil || !strings.Contains(err.Error(), envMemProfile) {
		t.Errorf("bad heap profile path: err %v, want one naming %s", err, envMemProfile)
	}
}
