//go:build linux

package counter

import (
	"errors"
	"fmt"
	"github.com/packetbuddy/pb/internal/netlink"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// NewReader returns the Linux reader: counters, names and ifindexes from
// rtnetlink dumps, Info from /sys/class/net. Where netlink is
// not allowed (a seccomp sandbox: EPERM, EACCES, EAFNOSUPPORT), it reads
// /proc/net/dev, without indexes, from then on. Any other failure is
// retried on the next Read; until netlink has worked once, such a Read is
// answered from /proc/net/dev.
func NewReader() (Reader, error) {
	return &netlinkReader{linuxReader: newLinuxReader("/proc", "/sys"), fd: -1, events: -1, open: openNetlink, openEvents: openLinkEvents}, nil
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

// netlinkReader reads counters with one rtnetlink dump per poll. An
// RTM_GETLINK dump gives every interface's name, ifindex and 64-bit
// counters in one call: the ifindex is what tells an interface re-created
// between two polls from the old one. Between changes of the links it
// takes the lighter RTM_GETSTATS dump (ifindex and counters, no name) and
// names the links from the last RTM_GETLINK dump: a socket subscribed to
// the kernel's link notifications says when a link came, went or was
// renamed, and an ifindex the last link dump did not have is a new link
// too; either way that poll takes a link dump (BenchmarkNetlinkRead and
// BenchmarkLinuxRead compare the costs).
type netlinkReader struct {
	*linuxReader // Info, and Read when netlink fails

	mu         sync.Mutex
	fd         int // the NETLINK_ROUTE socket, kept open; -1 before the first Read
	events     int // subscribed to RTNLGRP_LINK; -1 when closed or refused
	open       func() (int, error)
	openEvents func() (int, error)
	seq        uint32
	buf        []byte
	names      map[uint32]string // by ifindex, from the last link dump; nil: take one
	noStats    bool              // the kernel refused RTM_GETSTATS: link dumps only
	fallback   bool              // netlink is not allowed here: /proc/net/dev for good
	worked     bool              // a dump succeeded once

	interrupted int    // dumps the kernel flagged as interrupted (read by tests)
	linkDumps   int    // RTM_GETLINK dumps taken (read by tests)
	changes     uint64 // link dumps taken for a change (see Changes)
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

// closeSocket closes the dump socket (ending a dump in progress) and
// forgets the names, so the next Read starts with a link dump. The
// notification socket stays: what it queued still counts.
func (r *netlinkReader) closeSocket() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
	r.names = nil
}

func (r *netlinkReader) dump(dst []Counter) ([]Counter, error) {
	if r.fd < 0 {
		fd, err := r.open()
		if err != nil {
			return dst, err
		}
		r.fd = fd
		r.buf = make([]byte, 64<<10) // the kernel fills up to 32 KiB per datagram
		if r.events < 0 && r.openEvents != nil {
			// Refused (too many open files, say): link dumps on every
			// poll, as without RTM_GETSTATS, until a fresh socket.
			r.events, _ = r.openEvents()
		}
	}
	start := len(dst)
	if r.names != nil && r.events >= 0 && !r.noStats {
		req := statsDumpRequest(r.seq + 1)
		out, err := r.take(dst, "stats", req[:], ParseStatsDump)
		switch {
		case err != nil && statsUnsupported(err):
			r.noStats = true // before Linux 4.7
		case err != nil:
			return dst[:start], err
		case !r.linksChanged() && r.name(out[start:]):
			return out, nil
		}
	}
	r.linksChanged() // drop what this dump will show anyway
	req := linkDumpRequest(r.seq + 1)
	out, err := r.take(dst[:start], "link", req[:], ParseLinkDump)
	if err != nil {
		return dst[:start], err
	}
	r.linkDumps++
	if r.linkDumps > 1 {
		r.changes++ // not the first: something changed, or a dump failed
	}
	if r.names == nil {
		r.names = make(map[uint32]string, len(out)-start)
	}
	clear(r.names)
	for _, c := range out[start:] {
		r.names[c.Index] = c.Name
	}
	return out, nil
}

// Changes counts the link dumps taken after the first: each follows a
// link notification, a new ifindex or a failed dump (counting those too
// costs at most a needless re-read of details). It can tell only while
// stats dumps name the links from notifications: after a fallback to
// /proc/net/dev, without a notification socket or without RTM_GETSTATS,
// ok is false.
func (r *netlinkReader) Changes() (n uint64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changes, !r.fallback && r.events >= 0 && !r.noStats
}

func statsUnsupported(err error) bool {
	var ke *KernelError
	return errors.As(err, &ke) && (ke.Errno == int32(unix.EOPNOTSUPP) || ke.Errno == int32(unix.EINVAL))
}

// take sends one dump request (the next sequence number) and parses its
// answer with parse.
func (r *netlinkReader) take(dst []Counter, what string, req []byte, parse func([]byte, uint32, []Counter) ([]Counter, bool, error)) ([]Counter, error) {
	r.seq++
	if err := netlink.Write(r.fd, req); err != nil {
		return dst, fmt.Errorf("send %s dump request: %w", what, err)
	}
	start := len(dst)
	for {
		n, err := netlink.Recv(r.fd, r.buf)
		if err == unix.EAGAIN {
			n, err = unix.Read(r.fd, r.buf) // not queued yet: wait for it
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst[:start], fmt.Errorf("read %s dump: %w", what, err)
		}
		out, done, err := parse(r.buf[:n], r.seq, dst)
		if err != nil {
			return dst[:start], err
		}
		dst = out
		if done {
			return dst, nil
		}
	}
}

// name gives each counter of a stats dump its name from the last link
// dump; false if one has an ifindex that dump did not have (a new link).
func (r *netlinkReader) name(cs []Counter) bool {
	for i := range cs {
		name, ok := r.names[cs[i].Index]
		if !ok {
			return false
		}
		cs[i].Name = name
	}
	return true
}

// linksChanged drains the link notifications queued since the last call
// and reports whether there were any. A lost notification (the queue
// overflowed: ENOBUFS) counts as a change; a socket that fails otherwise is
// closed, and link dumps are taken from then on.
func (r *netlinkReader) linksChanged() bool {
	if r.events < 0 {
		return true
	}
	changed := false
	for {
		n, err := netlink.Recv(r.events, r.buf)
		switch {
		case err == nil && n > 0, err == unix.ENOBUFS:
			changed = true
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return changed
		default:
			unix.Close(r.events)
			r.events = -1
			return true
		}
	}
}

// openLinkEvents opens a NETLINK_ROUTE socket subscribed to link
// notifications (RTNLGRP_LINK), read without waiting.
func openLinkEvents() (int, error) {
	fd, err := netlink.Open(unix.NETLINK_ROUTE, rtmGrpLink, true)
	if err != nil {
		return -1, fmt.Errorf("open a netlink socket for link notifications: %w", err)
	}
	return fd, nil
}

// openNetlink opens and binds a NETLINK_ROUTE socket.
func openNetlink() (int, error) {
	fd, err := netlink.Open(unix.NETLINK_ROUTE, 0, false)
	if err != nil {
		return -1, fmt.Errorf("open netlink socket: %w", err)
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
