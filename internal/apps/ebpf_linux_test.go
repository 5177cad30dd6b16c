package apps

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/packetbuddy/pb/internal/netlab"
)

// openForTest opens the eBPF source, failing under CI=true and skipping
// elsewhere when this machine cannot run it.
func openForTest(t *testing.T) Source {
	t.Helper()
	netlab.Require(t)
	src, err := Open()
	if err != nil {
		var u *Unavailable
		if errors.As(err, &u) && os.Getenv("CI") != "true" {
			t.Skipf("eBPF per-app counting unavailable here (runs under CI=true): %v", err)
		}
		t.Fatalf("open eBPF per-app counting; CI must provide root, BTF and cgroup v2: %v", err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return src
}

// openSockDiagForTest opens the TCP-only fallback, with the same rules.
func openSockDiagForTest(t *testing.T) Source {
	t.Helper()
	netlab.Require(t)
	src, err := OpenSockDiag("/proc")
	if err != nil {
		t.Fatalf("open the socket-diagnostics fallback: %v", err)
	}
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if !src.(*diagSource).Destroys() {
		t.Error("socket-destroy notifications are not received")
	}
	return src
}

// buildSenders builds testdata/sender once under each of names in a
// temporary directory and returns their paths.
func buildSenders(t *testing.T, names ...string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the test programs: %v", err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, names[0])
	cmd := exec.Command(gobin, "build", "-o", first, "./testdata/sender")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build sender: %v\n%s", err, out)
	}
	paths := []string{first}
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names[1:] {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// wireBytes is what an interface's counters show for the traffic of s: the
// packets from their network header on plus an Ethernet header each.
func wireBytes(s Sample) (rx, tx uint64) {
	return s.RxBytes + 14*s.RxPackets, s.TxBytes + 14*s.TxPackets
}

func TestEBPFCountsEachProgramOnTheWire(t *testing.T) {
	lab := netlab.New(t)
	src := openForTest(t)
	ifc, err := net.InterfaceByName(lab.HostIf)
	if err != nil {
		t.Fatal(err)
	}
	tcp, udp := lab.SinkAddr(t), lab.UDPEcho(t)
	progs := buildSenders(t, "pbt-alpha", "pbt-beta", "pbt-gamma")
	loads := []struct{ up, down, datagrams, size int }{
		{3 << 20, 1 << 20, 200, 1200},
		{256 << 10, 4 << 20, 50, 100},
		{0, 0, 2000, 512}, // UDP only
	}
	for i, prog := range progs {
		l := loads[i]
		t.Run(filepath.Base(prog), func(t *testing.T) {
			lab.WaitQuiet(t)
			rx0, tx0 := lab.Counters(t)
			cmd := exec.Command(prog, tcp, fmt.Sprint(l.up), fmt.Sprint(l.down), udp, fmt.Sprint(l.datagrams), fmt.Sprint(l.size))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", prog, err, out)
			}
			lab.WaitQuiet(t)
			rx1, tx1 := lab.Counters(t)
			pid := uint32(cmd.Process.Pid)
			var got Sample
			samples, err := src.Read(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range samples {
				if s.PID == pid && s.Ifindex == uint32(ifc.Index) {
					got = s
				}
			}
			rx, tx := wireBytes(got)
			wantRx, wantTx := rx1-rx0, tx1-tx0
			t.Logf("pid %d: counted rx %d tx %d; on the wire rx %d tx %d", pid, rx, tx, wantRx, wantTx)
			for _, d := range []struct {
				name      string
				got, want uint64
			}{{"rx", rx, wantRx}, {"tx", tx, wantTx}} {
				if d.got > d.want || float64(d.want-d.got) > 0.005*float64(d.want) {
					t.Errorf("%s: counted %d bytes for the program, the interface moved %d: off by more than 0.5 %%", d.name, d.got, d.want)
				}
			}
			if c := src.Comm(pid); c != filepath.Base(prog) {
				t.Errorf("kernel's command name = %q, want %q", c, filepath.Base(prog))
			}
			if err := src.Forget([]uint32{pid}); err != nil {
				t.Fatal(err)
			}
			after, err := src.Read(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range after {
				if s.PID == pid {
					t.Errorf("counters of pid %d still there after Forget: %+v", pid, s)
				}
			}
			if c := src.Comm(pid); c != "" {
				t.Errorf("command name of pid %d still there after Forget: %q", pid, c)
			}
		})
	}
}

// BenchmarkEBPFRead is the kernel half of a poll: reading every per-app
// counter from the eBPF map (as root; its size is what this machine's
// processes have created since the benchmark loaded the programs).
//
//	sudo go test ./internal/apps/ -run '^$' -bench EBPFRead -benchmem
func BenchmarkEBPFRead(b *testing.B) {
	netlab.Require(b)
	src, err := Open()
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	defer src.Close()
	var buf []Sample
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = src.Read(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "entries")
}
