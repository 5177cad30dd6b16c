//go:build darwin

package network

import (
	"log/slog"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
	"golang.org/x/sys/unix"
)

// Source tells the network of each interface from the routing and ARP
// tables (the NET_RT_FLAGS sysctl). A routing socket, drained without
// waiting once per poll, says when they changed. macOS gives an SSID only
// through CoreWLAN with Location Services permission, which a daemon
// without cgo cannot ask for: "SSID not available", the gateway
// fingerprint alone.
type Source struct {
	log *slog.Logger

	mu       sync.Mutex
	events   int
	started  bool
	dirty    bool
	lastTry  time.Time
	buf      []byte
	current  map[string]usage.Attachment
	gateways []gatewayOf

	Identifications int
}

// NewSource returns the macOS source; nothing is opened until Attached.
func NewSource(log *slog.Logger) *Source {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{log: log, events: -1, current: map[string]usage.Attachment{}}
}

// Attached returns the network of each interface that has one; see the
// Linux source. An unresolved gateway is looked for again once a minute.
func (s *Source) Attached() map[string]usage.Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started, s.dirty = true, true
		s.buf = make([]byte, 2048)
		fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW, unix.AF_UNSPEC)
		if err == nil {
			unix.CloseOnExec(fd)
			if err = unix.SetNonblock(fd, true); err != nil {
				unix.Close(fd)
			}
		}
		if err != nil {
			s.log.Warn("network changes will be looked for once a minute", "err", err)
			fd = -1
		}
		s.events = fd
	}
	if s.events >= 0 {
		for {
			n, err := unix.Read(s.events, s.buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				break
			}
			s.dirty = true
		}
	}
	if (s.events < 0 || unresolved(s.gateways)) && time.Since(s.lastTry) >= withoutEvents {
		s.dirty = true
	}
	if s.dirty {
		s.dirty = false
		s.lastTry = time.Now()
		if err := s.identify(); err != nil {
			s.log.Debug("identify networks", "err", err)
		}
	}
	return s.current
}

// withoutEvents is how often the tables are read when no change
// notification can tell.
const withoutEvents = time.Minute

func (s *Source) identify() error {
	s.Identifications++
	var t Tables
	for _, flag := range []int{unix.RTF_GATEWAY, unix.RTF_LLINFO} {
		b, err := unix.SysctlRaw("net", unix.AF_ROUTE, 0, 0, unix.NET_RT_FLAGS, flag)
		if err != nil {
			return err
		}
		if t.Routes, t.Neighbours, err = ParseDarwinRoutes(b, t.Routes, t.Neighbours); err != nil {
			return err
		}
	}
	t.Links = linkNames(t.Routes)
	next := make(map[string]usage.Attachment, len(s.current))
	s.gateways = choose(t, next, s.gateways[:0])
	s.current = next
	return nil
}

// Close closes the routing socket.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events >= 0 {
		unix.Close(s.events)
		s.events = -1
	}
	return nil
}
