// Package netlink holds the socket plumbing the Linux readers share: opening
// a bound netlink socket (optionally subscribed to multicast groups) and
// writing and reading it without telling the Go scheduler. The messages
// themselves are parsed by each reader (counter: links and stats; network:
// routes, neighbours and nl80211; apps: socket diagnostics).
package netlink

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Open opens a netlink socket of protocol proto (unix.NETLINK_ROUTE,
// unix.NETLINK_SOCK_DIAG...) bound to groups (0 for none). A socket that
// receives notifications is opened non-blocking, so that draining it never
// waits.
func Open(proto int, groups uint32, nonblock bool) (int, error) {
	flags := unix.SOCK_RAW | unix.SOCK_CLOEXEC
	if nonblock {
		flags |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(unix.AF_NETLINK, flags, proto)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Write and Recv talk to a netlink socket without telling the Go scheduler
// (RawSyscall). Neither can block: the kernel builds a dump's datagrams
// inside these calls, and Recv does not wait (MSG_DONTWAIT; it returns
// unix.EAGAIN when nothing is queued). A scheduler-visible system call, once
// a second, woke the runtime's monitor thread and at times made it hand the
// processor to another thread: two to four extra context switches per poll,
// most of the daemon's CPU time at rest (README, "The daemon at rest").
func Write(fd int, p []byte) error {
	_, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return e
	}
	return nil
}

// Recv reads one datagram into p without waiting; see Write.
func Recv(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
