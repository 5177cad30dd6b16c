package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecondAcquireNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pb.lock")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.SetAddr("127.0.0.1:7373"); err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: %v, want a LockedError", err)
	}
	if want := (Holder{PID: os.Getpid(), Addr: "127.0.0.1:7373"}); le.Holder != want {
		t.Fatalf("holder %+v, want %+v", le.Holder, want)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	// Released (or its process gone): the file left behind does not block.
	second, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	defer second.Release()
	if h, err := Read(path); err != nil || h != (Holder{PID: os.Getpid()}) {
		t.Fatalf("Read = %+v, %v; want only the new holder's pid", h, err)
	}
}

// TestHolderNeverEmpty: a second daemon reading the file while the holder
// rewrites it (SetAddr once the API listens) finds a whole holder, never an
// empty file.
func TestHolderNeverEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pb.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3000 {
			select {
			case <-stop:
				return
			default:
			}
			if err := l.SetAddr(fmt.Sprintf("127.0.0.1:%d", 1000+i%9000)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	prefix := fmt.Sprintf(`{"pid":%d`, os.Getpid())
	for reads := 1; ; reads++ {
		select {
		case <-done:
			return
		default:
		}
		// The bytes as they are: never empty, the pid always there (a read
		// may still tear between two versions of the rest).
		b, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			t.Errorf("read %d: %q, %v; want it to start with %s", reads, b, err, prefix)
			return
		}
		if reads%10 == 0 { // and Read, which reads again a torn file
			if h, err := Read(path); err != nil || h.PID != os.Getpid() {
				t.Errorf("Read %d: %+v, %v; want the holder's pid %d", reads, h, err, os.Getpid())
				return
			}
		}
	}
}

// TestLockedErrorWithoutPID: a holder that has not written its pid yet is
// not named "pid 0".
func TestLockedErrorWithoutPID(t *testing.T) {
	e := &LockedError{Path: "/d/pb.lock"}
	if got, want := e.Error(), "/d/pb.lock is locked by another process"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	e.Holder.PID = 42
	if got, want := e.Error(), "/d/pb.lock is locked by another process (pid 42)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
