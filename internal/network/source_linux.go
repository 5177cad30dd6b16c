//go:build linux

package network

import (
	"errors"
	"fmt"
	"github.com/packetbuddy/pb/internal/netlink"
	"log/slog"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
	"golang.org/x/sys/unix"
)

// Source tells the network of each interface. It identifies on its first
// call, and again only after the kernel announced a change that may matter
// (see Attached). Its sockets belong to the network namespace of the
// thread that made the first call.
type Source struct {
	log *slog.Logger

	mu       sync.Mutex
	events   int // subscribed to Groups, non-blocking; -1 before the first call or when refused
	started  bool
	dirty    bool
	lastTry  time.Time // without notifications: when the tables were last read
	buf      []byte
	change   Change
	current  map[string]usage.Attachment
	gateways []gatewayOf
	wifi     uint16 // nl80211 family id; 0 unknown
	noWifi   bool   // nl80211 is not there (no Wi-Fi driver): SSID not available
	seq      uint32

	Identifications int // times the tables were read (read by tests)
}

// NewSource returns the Linux source; nothing is opened until Attached.
func NewSource(log *slog.Logger) *Source {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{log: log, events: -1, current: map[string]usage.Attachment{}}
}

// withoutEvents is how often the tables are read when the notification
// socket cannot be opened.
const withoutEvents = time.Minute

// Attached returns the network of each interface that has one (an
// interface not in the map is on the unknown network). It is meant to be
// called once per poll: it drains the notifications queued since the last
// call without waiting (one system call that finds nothing, at rest), and
// reads the routing and neighbour tables again only when a link, address
// or route changed, or the neighbour entry of a gateway did. The map is
// replaced, not changed, by a later call that re-identifies; the caller
// must not modify it.
func (s *Source) Attached() map[string]usage.Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started = true
		s.dirty = true
		fd, err := openEvents()
		if err != nil {
			s.log.Warn("network changes will be looked for once a minute", "err", err)
		}
		s.events = fd
		s.buf = make([]byte, 8<<10) // notifications are a few hundred bytes each
	}
	if s.events >= 0 {
		s.drain()
	} else if time.Since(s.lastTry) >= withoutEvents {
		s.dirty = true
	}
	if s.dirty {
		s.dirty = false
		s.lastTry = time.Now()
		if err := s.identify(); err != nil {
			if errors.Is(err, ErrDumpInterrupted) {
				s.dirty = true // try again on the next poll
			}
			s.log.Debug("identify networks", "err", err)
		}
	}
	return s.current
}

// drain reads every queued notification; it sets dirty when one may change
// an identification. A lost notification (ENOBUFS) counts as a change.
func (s *Source) drain() {
	for {
		n, err := netlink.Recv(s.events, s.buf)
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err == unix.ENOBUFS:
			s.dirty = true
			continue
		case err != nil:
			unix.Close(s.events)
			s.events = -1
			s.dirty = true
			return
		}
		s.change = Change{Neighbours: s.change.Neighbours[:0], NeighGone: s.change.NeighGone[:0]}
		if err := ParseNotifications(s.buf[:n], &s.change); err != nil {
			s.dirty = true
			continue
		}
		if s.change.Topology {
			s.dirty = true
		}
		for _, nb := range s.change.Neighbours {
			for _, g := range s.gateways {
				if g.Index == nb.Index && g.IP == nb.IP && g.MAC != nb.MAC {
					s.dirty = true
				}
			}
		}
		for _, nb := range s.change.NeighGone {
			for _, g := range s.gateways {
				if g.Index == nb.Index && g.IP == nb.IP && g.MAC != "" {
					s.dirty = true
				}
			}
		}
	}
}

// identify reads the tables and chooses again.
func (s *Source) identify() error {
	s.Identifications++
	buf := make([]byte, 64<<10) // a dump datagram holds up to 32 KiB; kept only while identifying
	var t Tables
	fd, err := openDump(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var links []counter.Counter
	if links, err = dumpLinks(fd, &s.seq, buf); err != nil {
		return err
	}
	t.Links = make(map[uint32]string, len(links))
	for _, l := range links {
		t.Links[l.Index] = l.Name
	}
	if err := dump(fd, &s.seq, buf, routeDumpRequest, "route dump", func(b []byte, seq uint32) (bool, error) {
		var done bool
		t.Routes, done, err = ParseRoutes(b, seq, t.Routes)
		return done, err
	}); err != nil {
		return err
	}
	if err := dump(fd, &s.seq, buf, neighDumpRequest, "neighbour dump", func(b []byte, seq uint32) (bool, error) {
		var done bool
		t.Neighbours, done, err = ParseNeighbours(b, seq, t.Neighbours)
		return done, err
	}); err != nil {
		return err
	}
	t.Wifi, t.WifiRead = s.readWifi(buf)
	next := make(map[string]usage.Attachment, len(s.current))
	s.gateways = choose(t, next, s.gateways[:0])
	for name, a := range next {
		if old, ok := s.current[name]; !ok || old != a {
			s.log.Info("network identified", "iface", name, "gateway", a.Gateway, "gateway_mac", a.GatewayMAC, "ssid", a.SSID, "ssid_status", a.SSIDStatus)
		}
	}
	s.current = next
	return nil
}

// readWifi lists the wireless interfaces with their SSIDs over nl80211.
// false: the list cannot be read here (no nl80211, or refused).
func (s *Source) readWifi(buf []byte) ([]WifiIface, bool) {
	if s.noWifi {
		return nil, false
	}
	fd, err := openDump(unix.NETLINK_GENERIC)
	if err != nil {
		s.log.Debug("SSID not available", "err", err)
		return nil, false
	}
	defer unix.Close(fd)
	if s.wifi == 0 {
		s.seq++
		if err := netlink.Write(fd, familyRequest(s.seq)); err != nil {
			return nil, false
		}
		n, err := unix.Read(fd, buf)
		if err != nil {
			return nil, false
		}
		id, err := ParseFamilyID(buf[:n], s.seq)
		if err != nil {
			var ke *KernelError
			if errors.As(err, &ke) && ke.Errno == int32(unix.ENOENT) {
				s.noWifi = true // no Wi-Fi driver: do not ask again
			}
			s.log.Debug("SSID not available", "err", err)
			return nil, false
		}
		s.wifi = id
	}
	var out []WifiIface
	err = dump(fd, &s.seq, buf, func(seq uint32) []byte { return wifiDumpRequest(s.wifi, seq) }, "nl80211 interface dump", func(b []byte, seq uint32) (bool, error) {
		var done bool
		var err error
		out, done, err = ParseWifiIfaces(b, seq, s.wifi, out)
		return done, err
	})
	if err != nil {
		s.log.Debug("SSID not available", "err", err)
		return nil, false
	}
	return out, true
}

// Close closes the notification socket.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events >= 0 {
		unix.Close(s.events)
		s.events = -1
	}
	return nil
}

func dumpLinks(fd int, seq *uint32, buf []byte) ([]counter.Counter, error) {
	var out []counter.Counter
	err := dump(fd, seq, buf, linkDumpRequest, "link dump", func(b []byte, sq uint32) (bool, error) {
		var done bool
		var err error
		out, done, err = counter.ParseLinkDump(b, sq, out)
		return done, err
	})
	return out, err
}

func linkDumpRequest(seq uint32) []byte {
	return request(rtmNewLink+2, nlmFRequest|nlmFDump, seq, make([]byte, 16)) // RTM_GETLINK, struct ifinfomsg
}

// dump sends one dump request and feeds its answer to parse until done.
func dump(fd int, seq *uint32, buf []byte, req func(uint32) []byte, what string, parse func([]byte, uint32) (bool, error)) error {
	*seq++
	if err := netlink.Write(fd, req(*seq)); err != nil {
		return fmt.Errorf("send %s request: %w", what, err)
	}
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		done, err := parse(buf[:n], *seq)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func openDump(proto int) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, fmt.Errorf("open netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind netlink socket: %w", err)
	}
	return fd, nil
}

// openEvents opens a NETLINK_ROUTE socket subscribed to Groups, read
// without waiting.
func openEvents() (int, error) {
	fd, err := netlink.Open(unix.NETLINK_ROUTE, Groups, true)
	if err != nil {
		return -1, fmt.Errorf("open a netlink socket for network changes: %w", err)
	}
	return fd, nil
}
