package apps

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestTCPInfoOffsets checks the tcp_info offsets the parser uses against
// the layout golang.org/x/sys generated from the kernel's headers.
func TestTCPInfoOffsets(t *testing.T) {
	var ti unix.TCPInfo
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"options", tcpiOptions, unsafe.Offsetof(ti.Options)},
		{"bytes_acked", tcpiBytesAcked, unsafe.Offsetof(ti.Bytes_acked)},
		{"bytes_received", tcpiBytesReceived, unsafe.Offsetof(ti.Bytes_received)},
		{"segs_out", tcpiSegsOut, unsafe.Offsetof(ti.Segs_out)},
		{"segs_in", tcpiSegsIn, unsafe.Offsetof(ti.Segs_in)},
		{"bytes_sent", tcpiBytesSent, unsafe.Offsetof(ti.Bytes_sent)},
	} {
		if c.got != c.want {
			t.Errorf("tcp_info %s at %d, the kernel's layout has it at %d", c.name, c.got, c.want)
		}
	}
}

// TestSockDiagCountsOwnConnection opens a TCP connection over loopback in
// this process, moves bytes on it before and after the fallback is opened,
// and checks what Read books to this process on lo: exactly the payload
// moved after Open, plus one header (52 bytes: IPv4, TCP, timestamps) per
// segment counted; nothing from before Open.
func TestSockDiagCountsOwnConnection(t *testing.T) {
	t.Run("IPv4", func(t *testing.T) { countsOwnConnection(t, "tcp4", "127.0.0.1:0", 52) })
	// IPv6 comes in the same dump (diagDumpAllRequest), with 20 more
	// bytes of IP header.
	t.Run("IPv6", func(t *testing.T) { countsOwnConnection(t, "tcp6", "[::1]:0", 72) })
}

func countsOwnConnection(t *testing.T, network, addr string, hdr uint64) {
	c, s := dialPair(t, network, addr)
	move(t, c, s, 1000) // before Open: not counted
	src := openSockDiagForTest(t).(*diagSource)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	move(t, c, s, 100000)
	move(t, s, c, 5000)
	got, err := src.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	var me Sample
	for _, x := range got {
		if x.PID == uint32(os.Getpid()) {
			if x.Ifindex != uint32(lo.Index) {
				t.Errorf("loopback connection booked on interface %d, want lo (%d)", x.Ifindex, lo.Index)
			}
			me = x
		}
	}
	if me.TxPackets == 0 || me.RxPackets == 0 {
		t.Fatalf("nothing booked to this process: %+v", got)
	}
	// Both ends are this process's: each payload byte is sent once and
	// received once.
	if pay := me.TxBytes - hdr*me.TxPackets; pay != 105000 {
		t.Errorf("sent %d bytes of payload (%+v), want 105000", pay, me)
	}
	if pay := me.RxBytes - hdr*me.RxPackets; pay != 105000 {
		t.Errorf("received %d bytes of payload (%+v), want 105000", pay, me)
	}
	if src.procs.Walks != 1 {
		t.Errorf("%d walks of /proc; want 1 (at Open)", src.procs.Walks)
	}
	// Closing both ends: the last bytes are counted from the destroy
	// notifications (or a last dump), never twice.
	move(t, c, s, 7000)
	c.Close()
	s.Close()
	time.Sleep(100 * time.Millisecond)
	got, err = src.Read(got[:0])
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range got {
		if x.PID == uint32(os.Getpid()) {
			d := Sample{TxBytes: x.TxBytes - me.TxBytes, TxPackets: x.TxPackets - me.TxPackets, RxBytes: x.RxBytes - me.RxBytes, RxPackets: x.RxPackets - me.RxPackets}
			if pay := d.TxBytes - hdr*d.TxPackets; pay != 7000 {
				t.Errorf("after close: sent %d bytes of payload (%+v), want 7000", pay, d)
			}
			// tcp_info counts each FIN received as one byte received:
			// each end received one.
			if pay := d.RxBytes - hdr*d.RxPackets; pay != 7000+2 {
				t.Errorf("after close: received %d bytes of payload and FINs (%+v), want 7002", pay, d)
			}
		}
	}
}

func dialPair(t *testing.T, network, addr string) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// move sends n bytes from one end to the other and waits until all have
// arrived.
func move(t *testing.T, from, to net.Conn, n int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		to.SetDeadline(time.Now().Add(10 * time.Second))
		_, err := io.CopyN(io.Discard, to, int64(n))
		done <- err
	}()
	from.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := from.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRecordSockDiagFixtures rewrites testdata/sockdiag: set
// PB_RECORD_SOCKDIAG=1. It makes a loopback connection, moves 100000
// bytes one way and 5000 the other, saves a dump's answer, closes both
// ends and saves the destroy notifications (see TestParseDiagFixtures).
func TestRecordSockDiagFixtures(t *testing.T) {
	if os.Getenv("PB_RECORD_SOCKDIAG") != "1" {
		t.Skip("set PB_RECORD_SOCKDIAG=1 to record the sock_diag fixtures")
	}
	ev, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ev)
	if err := unix.Bind(ev, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: tcpDestroyGroups}); err != nil {
		t.Fatal(err)
	}
	c, s := dialPair(t, "tcp4", "127.0.0.1:0")
	move(t, c, s, 100000)
	move(t, s, c, 5000)
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	req := diagDumpRequest(7, afInet)
	if err := unix.Sendto(fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "sockdiag")
	os.MkdirAll(dir, 0o755)
	buf := make([]byte, 1<<16)
	var dump []byte
	for done := false; !done; {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatal(err)
		}
		dump = binary.NativeEndian.AppendUint32(dump, uint32(n))
		dump = append(dump, buf[:n]...)
		done, err = parseDiag(buf[:n], 7, func(*diagSocket) {})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "dump-v4.bin"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	c.Close()
	s.Close()
	time.Sleep(200 * time.Millisecond)
	unix.SetNonblock(ev, true)
	var destroyed []byte
	for {
		n, _, err := unix.Recvfrom(ev, buf, 0)
		if err != nil {
			break
		}
		destroyed = binary.NativeEndian.AppendUint32(destroyed, uint32(n))
		destroyed = append(destroyed, buf[:n]...)
	}
	if err := os.WriteFile(filepath.Join(dir, "destroy.bin"), destroyed, 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSockDiagRead is one poll of the TCP-only fallback on this
// machine: a dump of every TCP socket with its tcp_info, the destroy
// notifications since the last poll, and /proc for the sockets not seen
// before (walks/op: full walks of /proc per poll).
//
//	go test ./internal/apps/ -run '^$' -bench SockDiagRead -benchmem
func BenchmarkSockDiagRead(b *testing.B) {
	src, err := OpenSockDiag("/proc")
	if err != nil {
		b.Skipf("sock_diag: %v", err)
	}
	defer src.Close()
	d := src.(*diagSource)
	var dst []Sample
	walks := d.procs.Walks
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = src.Read(dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.procs.Walks-walks)/float64(b.N), "walks/op")
	b.ReportMetric(float64(len(d.dumped)), "sockets")
}
