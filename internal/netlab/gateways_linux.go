package netlab

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Gateways is a client namespace whose one interface sits on a LAN with
// two gateways, each in a namespace of its own with its own hardware
// address, both answering for the same "internet" address behind them: the
// client's default route decides which gateway (which network) its traffic
// to that address takes. Everything lives in the three namespaces, with
// addresses from 10.218.0.0/24 that exist nowhere else, so parallel labs
// cannot collide and nothing is ever sent outside them.
//
//	client ns: ClientIf 10.218.0.10/24 ── LAN ──┬── gw1 ns: bridge 10.218.0.1, lo 10.218.99.1
//	                                            └── gw2 ns: veth   10.218.0.2, lo 10.218.99.1
type Gateways struct {
	Client   string // client namespace
	ClientIf string // its interface on the LAN
	GW       [2]Gateway
	Internet string // the address behind either gateway

	sinks []net.Listener
}

// Gateway is one gateway namespace.
type Gateway struct {
	NS  string
	IP  string
	MAC string
}

// NewGateways builds the namespaces. The first gateway's neighbour entry in
// the client is permanent; the second one's is learnt by ARP when the
// client first sends through it, as on a real network. IPv6 is off in all
// three, so the client's counters move only with the test's own packets
// and the ARP they cause. The client starts with no default route.
func NewGateways(t testing.TB) *Gateways {
	t.Helper()
	Require(t)
	var rb [3]byte
	if _, err := rand.Read(rb[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(rb[:])
	g := &Gateways{
		Client:   "pb18c-" + id,
		ClientIf: "pb18c" + id,
		GW: [2]Gateway{
			{NS: "pb18g1-" + id, IP: "10.218.0.1"},
			{NS: "pb18g2-" + id, IP: "10.218.0.2"},
		},
		Internet: "10.218.99.1",
	}
	for _, ns := range []string{g.Client, g.GW[0].NS, g.GW[1].NS} {
		ip(t, "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sysctlInNS(t, ns, "net.ipv6.conf.default.disable_ipv6", "1")
		sysctlInNS(t, ns, "net.ipv6.conf.all.disable_ipv6", "1")
		ip(t, "-n", ns, "link", "set", "lo", "up")
	}
	t.Cleanup(func() {
		for _, l := range g.sinks {
			l.Close()
		}
	})
	gw1, gw2 := g.GW[0].NS, g.GW[1].NS
	ip(t, "-n", gw1, "link", "add", "br0", "type", "bridge")
	ip(t, "-n", g.Client, "link", "add", g.ClientIf, "type", "veth", "peer", "name", "lan-c", "netns", gw1)
	ip(t, "-n", gw2, "link", "add", "lan0", "type", "veth", "peer", "name", "lan-g2", "netns", gw1)
	ip(t, "-n", gw1, "link", "set", "lan-c", "master", "br0", "up")
	ip(t, "-n", gw1, "link", "set", "lan-g2", "master", "br0", "up")
	ip(t, "-n", gw1, "addr", "add", g.GW[0].IP+"/24", "dev", "br0")
	ip(t, "-n", gw1, "link", "set", "br0", "up")
	ip(t, "-n", gw2, "addr", "add", g.GW[1].IP+"/24", "dev", "lan0")
	ip(t, "-n", gw2, "link", "set", "lan0", "up")
	for _, ns := range []string{gw1, gw2} {
		ip(t, "-n", ns, "addr", "add", g.Internet+"/32", "dev", "lo")
	}
	ip(t, "-n", g.Client, "addr", "add", "10.218.0.10/24", "dev", g.ClientIf)
	ip(t, "-n", g.Client, "link", "set", g.ClientIf, "up")
	g.GW[0].MAC = nsMAC(t, gw1, "br0")
	g.GW[1].MAC = nsMAC(t, gw2, "lan0")
	clientMAC := nsMAC(t, g.Client, g.ClientIf)
	ip(t, "-n", g.Client, "neigh", "replace", g.GW[0].IP, "lladdr", g.GW[0].MAC, "dev", g.ClientIf, "nud", "permanent")
	ip(t, "-n", gw1, "neigh", "replace", "10.218.0.10", "lladdr", clientMAC, "dev", "br0", "nud", "permanent")
	ip(t, "-n", gw2, "neigh", "replace", "10.218.0.10", "lladdr", clientMAC, "dev", "lan0", "nud", "permanent")
	for i := range g.GW {
		var ln net.Listener
		if err := InNS(g.GW[i].NS, func() (err error) {
			ln, err = net.Listen("tcp4", net.JoinHostPort(g.Internet, "0"))
			return err
		}); err != nil {
			t.Fatalf("sink in %s: %v", g.GW[i].NS, err)
		}
		g.sinks = append(g.sinks, ln)
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
	return g
}

// Use points the client's default route at gateway i (0 or 1).
func (g *Gateways) Use(t testing.TB, i int) {
	t.Helper()
	ip(t, "-n", g.Client, "route", "replace", "default", "via", g.GW[i].IP, "dev", g.ClientIf)
}

// Transfer sends up bytes from the client to the internet address and
// receives down bytes back, within 30 s. It connects to gateway via's sink
// (each gateway listens on its own port), so it fails unless the default
// route takes the traffic through that gateway.
func (g *Gateways) Transfer(t testing.TB, via int, up, down int) {
	t.Helper()
	if up < 0 || down < 0 || up > maxTransfer || down > maxTransfer {
		t.Fatalf("transfer of %d/%d bytes is out of bounds", up, down)
	}
	_, port, _ := net.SplitHostPort(g.sinks[via].Addr().String())
	var c net.Conn
	if err := InNS(g.Client, func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err = d.Dial("tcp4", net.JoinHostPort(g.Internet, port))
		return err
	}); err != nil {
		t.Fatalf("dial %s:%s through gateway %d: %v", g.Internet, port, via+1, err)
	}
	exchange(t, c, up, down)
}

// Counters reads the client interface's kernel byte counters.
func (g *Gateways) Counters(t testing.TB) (rx, tx uint64) {
	t.Helper()
	var dev []byte
	if err := InNS(g.Client, func() (err error) {
		dev, err = os.ReadFile("/proc/thread-self/net/dev")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(dev), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != g.ClientIf {
			continue
		}
		f := strings.Fields(rest)
		rx, err1 := strconv.ParseUint(f[0], 10, 64)
		tx, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse counters of %s: %v %v", g.ClientIf, err1, err2)
		}
		return rx, tx
	}
	t.Fatalf("%s not in the client namespace's /proc/net/dev", g.ClientIf)
	return 0, 0
}

// WaitQuiet waits until the client's counters have not moved for 300 ms
// (at most 5 s).
func (g *Gateways) WaitQuiet(t testing.TB) {
	t.Helper()
	waitQuiet(t, g.ClientIf, func() (uint64, uint64) { return g.Counters(t) })
}
