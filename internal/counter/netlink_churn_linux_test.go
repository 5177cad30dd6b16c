//go:build linux

package counter

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/netlab"
	"golang.org/x/sys/unix"
)

// TestNetlinkReadWhileLinksChurn reads counters with the real kernel while
// interfaces come and go, in a private network namespace with 80 links (so
// a dump spans several datagrams and a change lands in the middle of one).
// An interrupted dump must be taken again, not fail the read.
func TestNetlinkReadWhileLinksChurn(t *testing.T) {
	netlab.Require(t)
	ns := fmt.Sprintf("pbchurn-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	batch := func(lines string) error {
		cmd := exec.Command("ip", "-n", ns, "-batch", "-")
		cmd.Stdin = strings.NewReader(lines)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ip -n %s -batch: %v: %s", ns, err, out)
		}
		return nil
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	var links strings.Builder
	for i := range 40 {
		fmt.Fprintf(&links, "link add pbc%d type veth peer name pbd%d\n", i, i)
	}
	if err := batch(links.String()); err != nil {
		t.Fatal(err)
	}

	// The reader's socket belongs to the namespace of the thread that
	// opens it, and a retry opens a new one: every Read runs on one thread
	// moved into the namespace (and never moved back: the thread exits
	// with the goroutine).
	type result struct {
		reads, failures int
		interrupted     int
		first           error
		links           int
	}
	stop := make(chan struct{})
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var res result
		defer func() { done <- res }()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			res.first = err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			res.first = err
			return
		}
		r, err := NewReader()
		if err != nil {
			res.first = err
			return
		}
		nr := r.(*netlinkReader)
		defer nr.closeSocket()
		var cs []Counter
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			default:
			}
			cs, err = r.Read(cs[:0])
			res.reads++
			if err != nil {
				res.failures++
				if res.first == nil {
					res.first = err
				}
				continue
			}
			res.links = len(cs)
			res.interrupted = nr.interrupted
		}
	}()

	// Churn: one pair added and deleted 200 times.
	var churn strings.Builder
	for range 200 {
		churn.WriteString("link add pbx0 type veth peer name pbx1\nlink del pbx0\n")
	}
	churnErr := batch(churn.String())
	close(stop)
	res := <-done
	if churnErr != nil {
		t.Fatal(churnErr)
	}
	t.Logf("%d reads during the churn, %d dumps interrupted, %d reads failed", res.reads, res.interrupted, res.failures)
	if res.failures != 0 || res.first != nil {
		t.Fatalf("%d of %d reads failed while links churned; first: %v", res.failures, res.reads, res.first)
	}
	if res.reads < 10 {
		t.Fatalf("only %d reads during the churn: the test did not overlap them", res.reads)
	}
	if res.interrupted == 0 {
		t.Fatalf("no dump was interrupted in %d reads: the churn did not exercise the retry", res.reads)
	}
	if res.links < 81 {
		t.Fatalf("last read saw %d links, want at least 81 (lo and 80 veth ends)", res.links)
	}
}

// TestNetlinkNamesFollowLinkChanges: between changes a poll takes the light
// stats dump and names its links from the last link dump; a link added,
// renamed, or deleted and created again under the same name is seen by the
// next Read with its right name and ifindex, and the counters of both
// dumps agree.
func TestNetlinkNamesFollowLinkChanges(t *testing.T) {
	netlab.Require(t)
	ns := fmt.Sprintf("pbnames-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("link", "add", "pba", "type", "veth", "peer", "name", "pbb")
	ip("link", "set", "lo", "up")

	// The sockets belong to the namespace of the thread that opens them
	// (the first Read); later Reads may run anywhere.
	r, err := NewReader()
	if err != nil {
		t.Fatal(err)
	}
	nr := r.(*netlinkReader)
	t.Cleanup(func() {
		nr.closeSocket()
		unix.Close(nr.events)
	})
	opened := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err == nil {
			_, err = r.Read(nil)
		}
		opened <- err
	}()
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	if nr.events < 0 {
		t.Fatal("no link notification socket: every poll would take a link dump")
	}
	for errno, want := range map[int32]bool{int32(unix.EOPNOTSUPP): true, int32(unix.EINVAL): true, int32(unix.EBUSY): false} {
		if got := statsUnsupported(fmt.Errorf("dump: %w", &KernelError{Dump: "stats", Errno: errno})); got != want {
			t.Errorf("statsUnsupported(errno %d) = %v, want %v", errno, got, want)
		}
	}
	read := func() map[string]Counter {
		t.Helper()
		cs, err := r.Read(nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Counter{}
		for _, c := range cs {
			m[c.Name] = c
		}
		return m
	}
	names := func(m map[string]Counter) string {
		var s []string
		for n := range m {
			s = append(s, n)
		}
		slices.Sort(s)
		return strings.Join(s, " ")
	}

	changes := func() uint64 {
		t.Helper()
		n, ok := nr.Changes()
		if !ok {
			t.Fatal("Changes: the reader says it cannot tell, with a notification socket and stats dumps")
		}
		return n
	}
	first := read()
	dumps, changed := nr.linkDumps, changes()
	for range 5 {
		if got := read(); names(got) != "lo pba pbb" {
			t.Fatalf("links %q, want \"lo pba pbb\"", names(got))
		}
	}
	if nr.linkDumps != dumps {
		t.Fatalf("%d link dumps in 5 reads without a change; want stats dumps only", nr.linkDumps-dumps)
	}
	if n := changes(); n != changed {
		t.Fatalf("Changes went %d → %d in 5 reads without a change", changed, n)
	}
	// A change the poller must hear of: the MAC, kept by the same ifindex.
	ip("link", "set", "pba", "address", "02:00:00:00:0a:0b")
	read()
	if n := changes(); n != changed+1 {
		t.Fatalf("Changes went %d → %d after pba's address changed, want one more", changed, n)
	}

	// Traffic on lo, then both dumps must give the same counters.
	sendOnLoopback(t, ns, 5000)
	byStats := read()
	nr.names = nil // force a link dump
	byLinks := read()
	if byStats["lo"] != byLinks["lo"] || byStats["lo"].RxBytes < first["lo"].RxBytes+5000 {
		t.Fatalf("lo by stats dump %+v, by link dump %+v, before %+v: want equal and 5000+ bytes more", byStats["lo"], byLinks["lo"], first["lo"])
	}

	ip("link", "set", "pba", "name", "pbc")
	got := read()
	if names(got) != "lo pbb pbc" || got["pbc"].Index != first["pba"].Index {
		t.Fatalf("after a rename: %+v, want pbc with pba's ifindex %d", got, first["pba"].Index)
	}
	ip("link", "del", "pbc")
	ip("link", "add", "pba", "type", "veth", "peer", "name", "pbb")
	got = read()
	if names(got) != "lo pba pbb" || got["pba"].Index == first["pba"].Index || got["pbb"].Index == first["pbb"].Index {
		t.Fatalf("after delete and re-create: %+v, want pba and pbb with new ifindexes (were %d, %d)", got, first["pba"].Index, first["pbb"].Index)
	}

	// Without the notification socket every poll takes a link dump, and
	// the reader cannot tell changes.
	unix.Close(nr.events)
	nr.events = -1
	if _, ok := nr.Changes(); ok {
		t.Fatal("Changes says it can tell without a notification socket")
	}
	dumps = nr.linkDumps
	read()
	read()
	if nr.linkDumps != dumps+2 {
		t.Fatalf("%d link dumps in 2 reads without link notifications, want 2", nr.linkDumps-dumps)
	}
}

// sendOnLoopback sends n bytes of UDP to the loopback of namespace ns.
func sendOnLoopback(t *testing.T, ns string, n int) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		errc <- func() error {
			fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return err
			}
			s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(s)
			to := &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}
			for sent := 0; sent < n; sent += 1000 {
				if err := unix.Sendto(s, make([]byte, 1000), 0, to); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	if err := <-errc; err != nil {
		t.Fatalf("send on the namespace's loopback: %v", err)
	}
}
