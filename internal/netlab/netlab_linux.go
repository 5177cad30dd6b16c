package netlab

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Lab is one namespace and veth pair.
type Lab struct {
	NS     string // namespace name
	HostIf string // the veth end in this (the test's) namespace
	PeerIf string // the end inside NS
	HostIP string
	PeerIP string

	sink net.Listener
}

// Require fails (under CI=true) or skips the test when the lab cannot be
// built here.
func Require(t testing.TB) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root to create a network namespace"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "needs the ip command (Debian package iproute2)"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("end-to-end network test %s; CI must provide it (see .ci/run)", why)
	}
	t.Skipf("end-to-end network test %s (runs under CI=true)", why)
}

func ip(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func sysctlInNS(t testing.TB, ns, key, value string) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "sh", "-c", "echo "+value+" > /proc/sys/"+strings.ReplaceAll(key, ".", "/")).CombinedOutput()
	if err != nil {
		t.Fatalf("set %s in %s: %v: %s", key, ns, err, out)
	}
}

// New creates a namespace and a veth pair with the host end named hostIf
// (empty: a random name). The pair is silent until the test sends traffic:
// IPv6 is off on both ends (no neighbour discovery or router solicitations)
// and neighbours are permanent (no ARP), so kernel counters only move with
// the test's own packets.
func New(t testing.TB) *Lab {
	t.Helper()
	Require(t)
	var rb [3]byte
	if _, err := rand.Read(rb[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(rb[:])
	base := lockSubnet(t, int(rb[0])%64)
	l := &Lab{
		NS:     "pbtest-" + id,
		HostIf: "pbh" + id,
		PeerIf: "pbp" + id,
		HostIP: fmt.Sprintf("10.200.0.%d", base+1),
		PeerIP: fmt.Sprintf("10.200.0.%d", base+2),
	}
	ip(t, "netns", "add", l.NS)
	t.Cleanup(func() {
		if l.sink != nil {
			l.sink.Close()
		}
		// Deleting the namespace destroys the peer end, and with it the pair.
		exec.Command("ip", "netns", "del", l.NS).Run()
		exec.Command("ip", "link", "del", l.HostIf).Run()
	})
	// Disable IPv6 on new interfaces before they exist, so not even one
	// router solicitation leaves.
	writeProc(t, "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", true)
	sysctlInNS(t, l.NS, "net.ipv6.conf.default.disable_ipv6", "1")
	ip(t, "link", "add", l.HostIf, "type", "veth", "peer", "name", l.PeerIf, "netns", l.NS)
	l.configure(t)
	ip(t, "-n", l.NS, "link", "set", "lo", "up")
	return l
}

// configure gives a new pair its addresses and permanent neighbours, with
// IPv6 off, and brings it up; it returns the host end's MAC.
func (l *Lab) configure(t testing.TB) string {
	t.Helper()
	writeProc(t, "/proc/sys/net/ipv6/conf/"+l.HostIf+"/disable_ipv6", "1", false)
	sysctlInNS(t, l.NS, "net.ipv6.conf."+l.PeerIf+".disable_ipv6", "1")
	ip(t, "addr", "add", l.HostIP+"/30", "dev", l.HostIf)
	ip(t, "-n", l.NS, "addr", "add", l.PeerIP+"/30", "dev", l.PeerIf)
	hostMAC := readFile(t, "/sys/class/net/"+l.HostIf+"/address")
	peerMAC := nsMAC(t, l.NS, l.PeerIf)
	ip(t, "neigh", "replace", l.PeerIP, "lladdr", peerMAC, "dev", l.HostIf, "nud", "permanent")
	ip(t, "-n", l.NS, "neigh", "replace", l.HostIP, "lladdr", hostMAC, "dev", l.PeerIf, "nud", "permanent")
	ip(t, "link", "set", l.HostIf, "up")
	ip(t, "-n", l.NS, "link", "set", l.PeerIf, "up")
	return hostMAC
}

// lockSubnet picks one of the 64 /30 subnets of 10.200.0.0/24 that no other
// lab (in this or another test process) holds, starting from a random one,
// and holds it until cleanup. It returns the subnet's first address byte.
func lockSubnet(t testing.TB, start int) int {
	t.Helper()
	for i := 0; i < 64; i++ {
		n := (start + i) % 64
		path := filepath.Join(os.TempDir(), fmt.Sprintf("pb-netlab-%d.lock", n))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatalf("lock file: %v", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		t.Cleanup(func() { f.Close() }) // closing releases the lock
		return 4 * n
	}
	t.Fatal("all 64 test subnets of 10.200.0.0/24 are in use")
	return 0
}

// writeProc writes a /proc/sys value, restoring the old one at cleanup when
// restore is set.
func writeProc(t testing.TB, path, value string, restore bool) {
	t.Helper()
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if restore {
		t.Cleanup(func() { os.WriteFile(path, old, 0o644) })
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func nsMAC(t testing.TB, ns, dev string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/address").Output()
	if err != nil {
		t.Fatalf("read MAC of %s in %s: %v", dev, ns, err)
	}
	return strings.TrimSpace(string(out))
}

// Counters reads the host end's kernel byte counters.
func (l *Lab) Counters(t testing.TB) (rx, tx uint64) {
	t.Helper()
	dir := filepath.Join("/sys/class/net", l.HostIf, "statistics")
	rx, err1 := strconv.ParseUint(readFile(t, filepath.Join(dir, "rx_bytes")), 10, 64)
	tx, err2 := strconv.ParseUint(readFile(t, filepath.Join(dir, "tx_bytes")), 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse counters of %s: %v %v", l.HostIf, err1, err2)
	}
	return rx, tx
}

// WaitQuiet waits until the host end's counters have not moved for 300 ms
// (at most 5 s), so a reading taken next is final.
func (l *Lab) WaitQuiet(t testing.TB) {
	t.Helper()
	waitQuiet(t, l.HostIf, func() (uint64, uint64) { return l.Counters(t) })
}

// waitQuiet waits until counters have not moved for 300 ms (at most 5 s).
func waitQuiet(t testing.TB, name string, counters func() (rx, tx uint64)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	rx, tx := counters()
	for time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		rx2, tx2 := counters()
		if rx2 == rx && tx2 == tx {
			return
		}
		rx, tx = rx2, tx2
	}
	t.Fatalf("%s kept moving for 5 s with no test traffic", name)
}

// inNS runs fn on a thread inside the namespace. Sockets belong to the
// namespace of the thread that creates them: the goroutine's thread enters
// the namespace, runs fn, and goes back. It must go back: if the goroutine
// ran on the main thread, the runtime keeps that thread, and /proc/net
// (which follows the main thread) would show the namespace's interfaces
// instead of ours. If returning fails, the thread stays locked and the
// runtime discards it when the goroutine ends.
func (l *Lab) inNS(fn func() error) error { return InNS(l.NS, fn) }

// InNS runs fn on a thread inside the named namespace (see Lab.inNS);
// sockets fn creates stay in that namespace.
func InNS(ns string, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- fmt.Errorf("open own namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- fmt.Errorf("open namespace: %w", err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("enter namespace: %w", err)
			return
		}
		err = fn()
		if serr := unix.Setns(orig, unix.CLONE_NEWNET); serr == nil {
			runtime.UnlockOSThread()
		}
		ch <- err
	}()
	return <-ch
}

// startSink starts a TCP server inside the namespace. A client sends an
// 8-byte big-endian count n, then its payload, then closes its write side;
// the server reads everything and answers with n bytes.
func (l *Lab) startSink(t testing.TB) {
	t.Helper()
	if l.sink != nil {
		return
	}
	var ln net.Listener
	err := l.inNS(func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(l.PeerIP, "0"))
		return err
	})
	if err != nil {
		t.Fatalf("sink in %s: %v", l.NS, err)
	}
	l.sink = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSink(c)
		}
	}()
}

// SinkAddr starts the TCP sink (see Transfer) if needed and returns its
// address, for programs the test runs that speak its protocol themselves.
func (l *Lab) SinkAddr(t testing.TB) string {
	t.Helper()
	l.startSink(t)
	return l.sink.Addr().String()
}

// UDPEcho starts a UDP server inside the namespace that sends every
// datagram back to its sender, until the test ends, and returns its
// address.
func (l *Lab) UDPEcho(t testing.TB) string {
	t.Helper()
	var pc net.PacketConn
	err := l.inNS(func() (err error) {
		pc, err = net.ListenPacket("udp4", net.JoinHostPort(l.PeerIP, "0"))
		return err
	})
	if err != nil {
		t.Fatalf("UDP echo in %s: %v", l.NS, err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().String()
}

func serveSink(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		return
	}
	n := binary.BigEndian.Uint64(hdr[:])
	io.Copy(c, io.LimitReader(zeroReader{}, int64(n)))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Maximum bytes one Transfer may move each way: tests stay bounded.
const maxTransfer = 256 << 20

// Transfer sends up bytes from this namespace to the sink and receives down
// bytes back, over one TCP connection to the peer address, within 30 s.
func (l *Lab) Transfer(t testing.TB, up, down int) {
	t.Helper()
	if up < 0 || down < 0 || up > maxTransfer || down > maxTransfer {
		t.Fatalf("transfer of %d/%d bytes is out of bounds", up, down)
	}
	l.startSink(t)
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.Dial("tcp4", l.sink.Addr().String())
	if err != nil {
		t.Fatalf("dial sink: %v", err)
	}
	exchange(t, c, up, down)
}

// exchange speaks the sink's protocol on c (which it closes): up bytes
// sent, down bytes received back, within 30 s.
func exchange(t testing.TB, c net.Conn, up, down int) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(down))
	if _, err := c.Write(hdr[:]); err != nil {
		t.Fatalf("send: %v", err)
	}
	if _, err := io.Copy(c, io.LimitReader(zeroReader{}, int64(up))); err != nil {
		t.Fatalf("send: %v", err)
	}
	c.(*net.TCPConn).CloseWrite()
	n, err := io.Copy(io.Discard, c)
	if err != nil || n != int64(down) {
		t.Fatalf("received %d of %d bytes: %v", n, down, err)
	}
}

// Recreate deletes the veth pair and creates it again under the same names,
// both in one ip process (a few milliseconds, faster than any poll), as a
// USB tether re-plug or a container restart does. The host end gets the
// hardware address mac, or its old one when mac is "". Addresses,
// neighbours and the sink are then restored. The new pair's counters start
// from zero; it returns the host end's new MAC.
func (l *Lab) Recreate(t testing.TB, mac string) string {
	t.Helper()
	if mac == "" {
		mac = readFile(t, "/sys/class/net/"+l.HostIf+"/address")
	}
	if l.sink != nil {
		l.sink.Close()
		l.sink = nil
	}
	batch := fmt.Sprintf("link del %s\nlink add %s address %s type veth peer name %s netns %s\n", l.HostIf, l.HostIf, mac, l.PeerIf, l.NS)
	cmd := exec.Command("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("re-create %s: %v: %s", l.HostIf, err, out)
	}
	return l.configure(t)
}

// PeerSysctl sets a sysctl (e.g. "net.ipv4.tcp_early_retrans") inside the
// namespace, for its own network stack only.
func (l *Lab) PeerSysctl(t testing.TB, key, value string) {
	t.Helper()
	sysctlInNS(t, l.NS, key, value)
}

// NoOffloads turns segmentation offloads (TSO, GSO) and receive
// aggregation (GRO) off on both ends of the pair, so each TCP segment
// crosses it, and is counted, as one packet with its own headers, as on a
// physical link. By default a veth passes whole GSO packets of up to 64 KiB
// and counts their headers once.
func (l *Lab) NoOffloads(t testing.TB) {
	t.Helper()
	if err := noOffloads(l.HostIf); err != nil {
		t.Fatalf("offloads of %s: %v", l.HostIf, err)
	}
	if err := l.inNS(func() error { return noOffloads(l.PeerIf) }); err != nil {
		t.Fatalf("offloads of %s in %s: %v", l.PeerIf, l.NS, err)
	}
}

// noOffloads switches TSO, GSO and GRO off on dev with the legacy
// SIOCETHTOOL commands ETHTOOL_STSO, ETHTOOL_SGSO and ETHTOOL_SGRO.
func noOffloads(dev string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, cmd := range []uint32{0x1f, 0x24, 0x2c} {
		v := struct{ cmd, data uint32 }{cmd, 0}
		var ifr struct {
			name [unix.IFNAMSIZ]byte
			data unsafe.Pointer
			_    [24 - unsafe.Sizeof(uintptr(0))]byte
		}
		copy(ifr.name[:], dev)
		ifr.data = unsafe.Pointer(&v)
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); errno != 0 {
			return fmt.Errorf("ethtool command %#x: %w", cmd, errno)
		}
	}
	return nil
}
