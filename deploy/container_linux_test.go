// Package deploy holds the deployment files (Grafana, Prometheus) and the
// test of the container image.
package deploy

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/netlab"
)

// requirePodman fails under CI=true, or skips elsewhere, without podman and runc.
func requirePodman(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the container test needs %s (Debian %s); CI must provide it (scripts/test-prereqs.sh)", tool, tool)
			}
			t.Skipf("the container test needs %s (Debian %s; runs under CI=true)", tool, tool)
		}
	}
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// counters reads pb_interface_{receive,transmit}_bytes_total of iface.
func counters(t *testing.T, base, iface string) (rx, tx uint64, ok bool) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		for _, m := range []struct {
			name string
			v    *uint64
		}{{"pb_interface_receive_bytes_total", &rx}, {"pb_interface_transmit_bytes_total", &tx}} {
			prefix := m.name + `{interface="` + iface + `"} `
			if s, found := strings.CutPrefix(sc.Text(), prefix); found {
				n, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", sc.Text(), err)
				}
				*m.v = n
				ok = true
			}
		}
	}
	return rx, tx, ok
}

// settled waits until pb's counters of iface stay the same over three
// polls (1 s each) and returns them.
func settled(t *testing.T, base, iface string) (uint64, uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var lastRx, lastTx uint64
	same := 0
	for time.Now().Before(deadline) {
		rx, tx, ok := counters(t, base, iface)
		if ok && rx == lastRx && tx == lastTx {
			if same++; same >= 3 {
				return rx, tx
			}
		} else {
			same = 0
		}
		lastRx, lastTx = rx, tx
		time.Sleep(time.Second)
	}
	t.Fatalf("pb's counters of %s did not settle in 30 s", iface)
	return 0, 0
}

// TestContainerCountsHostVeth builds the image from a pb built here
// (Containerfile.prebuilt), runs it as its unprivileged user in the two
// documented ways of counting the host, moves a known number of bytes over
// a veth pair in the host namespace and checks that pb in the container
// counted exactly the kernel's bytes, through its API:
//
//   - "network host": host networking, the normal reader (netlink);
//   - "host proc": the host's /proc mounted at /host/proc and
//     PB_PROC_PATH=/host/proc/1, which reads /host/proc/1/net/dev only.
//     It runs with host networking too, so that the test can reach the API
//     on loopback without port publishing; the log line checked below is
//     what shows the proc_path reader, not netlink, did the counting.
func TestContainerCountsHostVeth(t *testing.T) {
	requirePodman(t)
	lab := netlab.New(t) // fails under CI=true without root and ip
	work := t.TempDir()
	conf := filepath.Join(work, "containers.conf")
	// This machine's containers cannot take the default ulimits.
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"CONTAINERS_CONF=" + conf}
	var rb [4]byte
	rand.Read(rb[:])
	id := hex.EncodeToString(rb[:])
	image := "localhost/pbtest-image-" + id

	run(t, []string{"CGO_ENABLED=0", "GOOS=linux"}, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(work, "pb"), "./cmd/pb")
	run(t, nil, "sh", "scripts/image-rootfs.sh", filepath.Join(work, "ctx"), filepath.Join(work, "pb"))
	start := time.Now()
	run(t, env, "podman", "--runtime", "runc", "build", "-q", "--layers=false", "-f", "Containerfile.prebuilt", "-t", image, filepath.Join(work, "ctx"))
	t.Logf("image built in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { exec.Command("podman", "rmi", "-f", image).Run() })
	size := strings.TrimSpace(run(t, env, "podman", "image", "inspect", "--format", "{{.Size}}", image))
	t.Logf("image size %s bytes", size)

	for _, mode := range []struct {
		name    string
		args    []string // podman run options besides --network host
		wantLog string   // a line the container's log must contain
	}{
		{name: "network host"},
		{name: "host proc", args: []string{"-v", "/proc:/host/proc:ro", "-e", "PB_PROC_PATH=/host/proc/1"},
			wantLog: `msg="reading counters from proc_path" net_dev=/host/proc/1/net/dev`},
	} {
		t.Run(mode.name, func(t *testing.T) {
			countInContainer(t, lab, env, image, "pbtest-"+id+"-"+strings.ReplaceAll(mode.name, " ", "-"), mode.args, mode.wantLog)
		})
	}
}

// countInContainer runs image as name with host networking and args, and
// checks that it counts a transfer over lab's veth exactly.
func countInContainer(t *testing.T, lab *netlab.Lab, env []string, image, name string, args []string, wantLog string) {
	// The data directory: a host folder owned by the image's user, with a
	// config that polls and writes every second.
	data := filepath.Join(t.TempDir(), "data")
	os.Mkdir(data, 0o700)
	os.WriteFile(filepath.Join(data, "config.toml"), []byte("[monitoring]\npoll_interval = \"1s\"\nbatch_write_interval = \"1s\"\n"), 0o600)
	for _, p := range []string{data, filepath.Join(data, "config.toml")} {
		if err := os.Chown(p, 65532, 65532); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	runArgs := append([]string{"--runtime", "runc", "run", "-d", "--name", name, "--network", "host",
		"-v", data + ":/data", "-e", "PB_API_PORT=" + port}, args...)
	run(t, env, "podman", append(runArgs, image)...)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("podman", "logs", name).CombinedOutput()
			t.Logf("container log:\n%s", out)
		}
		exec.Command("podman", "--runtime", "runc", "rm", "-f", "-t", "5", name).Run()
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, ok := counters(t, base, lab.HostIf); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pb in the container does not report %s on %s/metrics", lab.HostIf, base)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if user := strings.TrimSpace(run(t, env, "podman", "inspect", "--format", "{{.Config.User}}", name)); user != "65532:65532" {
		t.Errorf("the container runs as %q, want 65532:65532", user)
	}
	if wantLog != "" {
		if log := run(t, env, "podman", "logs", name); !strings.Contains(log, wantLog) {
			t.Errorf("the container log lacks %q:\n%s", wantLog, log)
		}
	}

	lab.WaitQuiet(t)
	rx0, tx0 := settled(t, base, lab.HostIf)
	krx0, ktx0 := lab.Counters(t)
	const up, down = 3 << 20, 5 << 20
	lab.Transfer(t, up, down)
	lab.WaitQuiet(t)
	krx1, ktx1 := lab.Counters(t)
	rx1, tx1 := settled(t, base, lab.HostIf)
	if krx1-krx0 < down || ktx1-ktx0 < up {
		t.Fatalf("the kernel counted rx %d tx %d, less than the %d/%d bytes sent", krx1-krx0, ktx1-ktx0, down, up)
	}
	if rx1-rx0 != krx1-krx0 || tx1-tx0 != ktx1-ktx0 {
		t.Errorf("pb in the container counted rx %d tx %d; the kernel rx %d tx %d", rx1-rx0, tx1-tx0, krx1-krx0, ktx1-ktx0)
	}
	// What it counted is in the volume, written by the unprivileged user.
	if _, err := os.Stat(filepath.Join(data, "pb.db")); err != nil {
		t.Fatalf("no database in the volume: %v", err)
	}
}
