package netlink

import (
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestRoundTrip asks the kernel for a link dump over a socket from Open and
// reads the answer with Recv; an empty queue answers EAGAIN, not a wait.
func TestRoundTrip(t *testing.T) {
	fd, err := Open(unix.NETLINK_ROUTE, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	if _, err := Recv(fd, buf); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("Recv on an empty socket = %v, want EAGAIN", err)
	}
	// struct nlmsghdr (16 bytes) + struct ifinfomsg (16 bytes).
	req := make([]byte, 32)
	*(*uint32)(unsafePointer(req[0:])) = 32
	*(*uint16)(unsafePointer(req[4:])) = unix.RTM_GETLINK
	*(*uint16)(unsafePointer(req[6:])) = unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	*(*uint32)(unsafePointer(req[8:])) = 1
	req[16] = unix.AF_UNSPEC
	if err := Write(fd, req); err != nil {
		t.Fatal(err)
	}
	n, err := Recv(fd, buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < unix.NLMSG_HDRLEN {
		t.Fatalf("Recv read %d bytes, want at least a header", n)
	}
	if typ := *(*uint16)(unsafePointer(buf[4:])); typ != unix.RTM_NEWLINK {
		t.Fatalf("first answer has type %d, want RTM_NEWLINK (%d): every namespace has lo", typ, unix.RTM_NEWLINK)
	}
}
func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
