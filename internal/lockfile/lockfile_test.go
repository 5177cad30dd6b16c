package lockfile

import (
	"errors"
	"os"
	"path/filepath"
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
