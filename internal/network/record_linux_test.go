//go:build linux

package network

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/packetbuddy/pb/internal/netlink"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/netlab"
	"golang.org/x/sys/unix"
)

var record = flag.Bool("record", false, "record the Linux netlink fixtures in testdata/linux from a netlab.Gateways lab")

// TestRecordLinuxFixtures (with -record, as root) takes the route,
// neighbour and link dumps of a client namespace with two gateways, and
// the notifications a route change and an ARP exchange send, and writes
// them with what they must decode to.
func TestRecordLinuxFixtures(t *testing.T) {
	if !*record {
		t.Skip("run with -record to take the fixtures again")
	}
	lab := netlab.NewGateways(t)
	lab.Use(t, 1)
	lab.Transfer(t, 1, 1000, 1000) // the client learns gateway 2's MAC by ARP
	var events int
	dumps := map[string][]byte{}
	err := netlab.InNS(lab.Client, func() error {
		var err error
		if events, err = openEvents(); err != nil {
			return err
		}
		fd, err := openDump(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		var seq uint32
		buf := make([]byte, 64<<10)
		// Sequence numbers 1, 2, 3 (fixtureSeq).
		for _, d := range []struct {
			name string
			req  func(uint32) []byte
		}{{"route_dump", routeDumpRequest}, {"neigh_dump", neighDumpRequest}, {"link_dump", linkDumpRequest}} {
			name, req := d.name, d.req
			err := dump(fd, &seq, buf, req, name, func(b []byte, sq uint32) (bool, error) {
				dumps[name] = append(dumps[name], b...)
				done, err := walk(b, sq, name, func(uint16, []byte) error { return nil })
				return done, err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(events)
	// A route change, and the gateway's neighbour entry deleted and
	// learnt again.
	lab.Use(t, 0)
	lab.Use(t, 1)
	if out, err := exec.Command("ip", "-n", lab.Client, "neigh", "del", lab.GW[1].IP, "dev", lab.ClientIf).CombinedOutput(); err != nil {
		t.Fatalf("ip neigh del: %v: %s", err, out)
	}
	lab.Transfer(t, 1, 1000, 1000)
	time.Sleep(200 * time.Millisecond)
	buf := make([]byte, 64<<10)
	for {
		n, err := netlink.Recv(events, buf)
		if err != nil {
			break
		}
		dumps["notify"] = append(dumps["notify"], buf[:n]...)
	}
	index, err := indexOf(dumps["link_dump"], lab.ClientIf)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "linux")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range dumps {
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exp, _ := json.MarshalIndent(linuxExpected{
		Iface: lab.ClientIf, Index: index,
		Gateway: lab.GW[1].IP, GatewayMAC: lab.GW[1].MAC,
		OtherGateway: lab.GW[0].IP, OtherGatewayMAC: lab.GW[0].MAC,
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "expected.json"), append(exp, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func indexOf(linkDump []byte, name string) (uint32, error) {
	links, _, err := counter.ParseLinkDump(linkDump, fixtureSeq["link_dump"], nil)
	if err != nil {
		return 0, err
	}
	for _, l := range links {
		if l.Name == name {
			return l.Index, nil
		}
	}
	return 0, fmt.Errorf("%s not in the link dump", name)
}
