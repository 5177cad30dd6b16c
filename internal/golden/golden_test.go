package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures; Fatal ends Check the way
// testing does, by leaving the function (here through a panic Run catches).
type recorder struct {
	testing.TB
	errors, fatals []string
}

type fatal struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recorder) Fatalf(f string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(f, args...))
	panic(fatal{})
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func (r *recorder) run(f func()) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
		}
	}()
	f()
}

// Not parallel: the tests change the working directory and -update.
func TestCheck(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(filepath.Join("testdata", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "sub", "a.golden"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, got string
		errors, fatals  int
		mention         string
	}{
		{"equal", "sub/a.golden", "one\ntwo\n", 0, 0, ""},
		{"differs", "sub/a.golden", "one\nthree\n", 1, 0, "three"},
		{"missing", "sub/none.golden", "x", 0, 1, "go test -update creates it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			r.run(func() { Check(r, tt.file, []byte(tt.got)) })
			if len(r.errors) != tt.errors || len(r.fatals) != tt.fatals {
				t.Fatalf("errors %q, fatals %q; want %d and %d", r.errors, r.fatals, tt.errors, tt.fatals)
			}
			if msg := strings.Join(append(r.errors, r.fatals...), "\n"); !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	t.Chdir(t.TempDir())
	*update = true
	t.Cleanup(func() { *update = false })
	if !Updating() {
		t.Fatal("Updating() is false under -update")
	}
	r := &recorder{TB: t}
	r.run(func() { Check(r, "new/dir/b.golden", []byte("fresh\n")) })
	if len(r.errors)+len(r.fatals) != 0 {
		t.Fatalf("update failed: %q %q", r.errors, r.fatals)
	}
	got, err := os.ReadFile(filepath.Join("testdata", "new", "dir", "b.golden"))
	if err != nil || string(got) != "fresh\n" {
		t.Fatalf("golden file = %q, %v; want it written", got, err)
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	// UTC+5:45, a zone few machines' tests would otherwise exercise.
	if got := Location("Asia/Kathmandu").String(); got != "Asia/Kathmandu" {
		t.Errorf("Location = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown zone did not panic")
		}
	}()
	Location("Nowhere/Atlantis")
}
