//go:build linux

package counter

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// NewReader returns the Linux reader: counters, names and ifindexes from an
// rtnetlink RTM_GETLINK dump, Info from /sys/class/net. Where netlink is
// not allowed (a seccomp sandbox: EPERM, EACCES, EAFNOSUPPORT), it reads
// /proc/net/dev, without indexes, from then on. Any other failure is
// retried on the next Read; until netlink has worked once, such a Read is
// answered from /proc/net/dev.
func NewReader() (Reader, error) {
	return &netlinkReader{linuxReader: newLinuxReader("/proc", "/sys"), fd: -1, open: openNetlink}, nil
}

// NewProcReader returns a reader of <procPath>/net/dev only, for counting
// another network namespace than this process's: in a container with the
// host's /proc mounted at /host/proc, procPath "/host/proc/1" is the host's.
// Netlink is never used: it would answer for this process's namespace.
// Without ifindexes, an interface re-created between two polls is counted as
// the /proc/net/dev fallback counts it. Info still comes from /sys/class/net,
// which may not list the other namespace's interfaces; the caller then
// describes them by name.
func NewProcReader(procPath string) (Reader, error) {
	return newProcReader(procPath, "/sys")
}

func newProcReader(procPath, sysRoot string) (*linuxReader, error) {
	r := newLinuxReader(procPath, sysRoot)
	if _, err := os.Stat(r.devPath); err != nil {
		return nil, fmt.Errorf("monitoring.proc_path: %w", err)
	}
	return r, nil
}

// netlinkReader reads counters with one RTM_GETLINK dump per poll. The dump
// gives every interface's name, ifindex and 64-bit counters in one call:
// the ifindex is what tells an interface re-created between two polls from
// the old one (BenchmarkLinuxRead compares its cost with /proc/net/dev).
type netlinkReader struct {
	*linuxReader // Info, and Read when netlink fails

	mu       sync.Mutex
	fd       int // the NETLINK_ROUTE socket, kept open; -1 before the first Read
	open     func() (int, error)
	seq      uint32
	buf      []byte
	fallback bool // netlink is not allowed here: /proc/net/dev for good
	worked   bool // a dump succeeded once

	interrupted int // dumps the kernel flagged as interrupted (read by tests)
}

// Read dumps the links. An interrupted dump (an interface came or went in
// the middle) is taken again, up to three times.
func (r *netlinkReader) Read(dst []Counter) ([]Counter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fallback {
		return r.linuxReader.Read(dst)
	}
	var err error
	for range 3 {
		var out []Counter
		out, err = r.dump(dst)
		if err == nil {
			r.worked = true
			return out, nil
		}
		if !errors.Is(err, errDumpInterrupted) {
			break
		}
		r.interrupted++
		// The rest of the interrupted dump is still queued on this socket
		// and the kernel holds the dump open: a new request on it would
		// be refused (EBUSY). Closing the socket ends the dump; the next
		// try opens a fresh one.
		r.closeSocket()
	}
	r.closeSocket() // a fresh socket next time drops whatever was left queued
	if notAllowed(err) {
		r.fallback = true
	}
	if r.fallback || !r.worked {
		return r.linuxReader.Read(dst)
	}
	return dst, err
}

// notAllowed reports whether err says this process may not use netlink at
// all, which does not change while it runs; anything else (EMFILE, ENOBUFS,
// an interrupted dump) may pass.
func notAllowed(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) ||
		errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EPROTONOSUPPORT)
}

func (r *netlinkReader) closeSocket() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

func (r *netlinkReader) dump(dst []Counter) ([]Counter, error) {
	if r.fd < 0 {
		fd, err := r.open()
		if err != nil {
			return dst, err
		}
		r.fd = fd
		r.buf = make([]byte, 64<<10) // the kernel fills up to 32 KiB per datagram
	}
	r.seq++
	req := linkDumpRequest(r.seq)
	if _, err := unix.Write(r.fd, req[:]); err != nil {
		return dst, fmt.Errorf("send link dump request: %w", err)
	}
	start := len(dst)
	for {
		n, err := unix.Read(r.fd, r.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst[:start], fmt.Errorf("read link dump: %w", err)
		}
		out, done, err := ParseLinkDump(r.buf[:n], r.seq, dst)
		if err != nil {
			return dst[:start], err
		}
		dst = out
		if done {
			return dst, nil
		}
	}
}

// openNetlink opens and binds a NETLINK_ROUTE socket.
func openNetlink() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, fmt.Errorf("open netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind netlink socket: %w", err)
	}
	return fd, nil
}

// readFileInto reads the whole file at path into buf (from len(buf)),
// growing it as needed, and returns it. It uses raw open/read/close rather
// than os.Open: a proc file cannot be polled, so the *os.File and its poller
// registration would be pure overhead on every poll.
func readFileInto(path string, buf []byte) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return buf, err
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 4096))
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
