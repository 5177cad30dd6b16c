// Package lockfile holds an exclusive OS lock on a file for a process's
// life, so that only one pb serve writes a data directory. The lock is the
// kernel's (flock on Unix, LockFileEx on Windows): it goes with the process,
// however the process ends, so a lock file left behind by a crash never
// blocks the next start. The file's content says who holds the lock (pid
// and API address) for the message the second daemon prints.
package lockfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrLocked is wrapped by Acquire's error when another process holds the
// lock; the error is a *LockedError naming the holder.
var ErrLocked = errors.New("locked by another process")

// Holder is what the holder of a lock wrote about itself.
type Holder struct {
	PID  int    `json:"pid"`
	Addr string `json:"addr,omitempty"` // the API's host:port, once it listens
}

// LockedError says who holds the lock, as far as its file tells.
type LockedError struct {
	Path   string
	Holder Holder // zero when the holder has not written it (yet)
}

func (e *LockedError) Error() string {
	if e.Holder.PID == 0 { // the holder has not written its pid yet
		return fmt.Sprintf("%s is %s", e.Path, ErrLocked)
	}
	return fmt.Sprintf("%s is %s (pid %d)", e.Path, ErrLocked, e.Holder.PID)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock is a held lock.
type Lock struct {
	f      *os.File
	holder Holder
}

// Acquire creates path if needed (mode 0600), takes the lock without
// waiting, and writes this process's pid into it. When another process
// holds it the error is a *LockedError.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			h, _ := Read(path)
			return nil, &LockedError{Path: path, Holder: h}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &Lock{f: f, holder: Holder{PID: os.Getpid()}}
	if err := l.write(); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// SetAddr records the API address of the holder.
func (l *Lock) SetAddr(addr string) error {
	l.holder.Addr = addr
	return l.write()
}

// write puts the holder into the file: the new content over the old, then
// the file cut to its length, so that a second daemon reading it meanwhile
// never finds it empty.
func (l *Lock) write() error {
	b, _ := json.Marshal(l.holder) // cannot fail: an int and a string
	b = append(b, '\n')
	if _, err := l.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write lock %s: %w", l.f.Name(), err)
	}
	if err := l.f.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("write lock %s: %w", l.f.Name(), err)
	}
	return nil
}

// Release unlocks and closes the file (which stays, harmless).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := errors.Join(unlock(l.f), l.f.Close())
	l.f = nil
	return err
}

// Read returns what the holder of the lock at path wrote about itself. A
// read that meets the holder rewriting the file can see part of each
// version (or, before its first write, nothing): it reads again, a few
// times, before giving up.
func Read(path string) (Holder, error) {
	for try := 1; ; try++ {
		var h Holder
		b, err := os.ReadFile(path)
		if err != nil {
			return h, err
		}
		err = json.Unmarshal(b, &h)
		if err == nil {
			return h, nil
		}
		if try == 5 {
			return Holder{}, fmt.Errorf("read lock %s: %w", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
