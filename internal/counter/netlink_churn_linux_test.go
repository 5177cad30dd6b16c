//go:build linux

package counter

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
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
