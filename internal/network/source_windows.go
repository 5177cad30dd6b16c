//go:build windows

package network

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/packetbuddy/pb/internal/usage"
	"golang.org/x/sys/windows"
)

// The decoder's row sizes are the SDK's: a mismatch fails the build.
var (
	_ [winForwardRowLen - unsafe.Sizeof(windows.MibIpForwardRow2{})]byte
	_ [unsafe.Sizeof(windows.MibIpForwardRow2{}) - winForwardRowLen]byte
)

var (
	iphlpapi          = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetIpNetTable = iphlpapi.NewProc("GetIpNetTable2")
)

// Source tells the network of each interface from GetIpForwardTable2 and
// GetIpNetTable2. NotifyRouteChange2 and NotifyIpInterfaceChange set a
// flag when routes or interfaces change; the tables are read again only
// then (and once a minute while a gateway's address is unresolved: there
// is no neighbour notification). The SSID (WlanQueryInterface) is not read
// yet: "SSID not available", the gateway fingerprint alone.
type Source struct {
	log *slog.Logger

	mu       sync.Mutex
	started  bool
	changed  atomic.Bool
	handles  []windows.Handle
	lastTry  time.Time
	current  map[string]usage.Attachment
	gateways []gatewayOf

	Identifications int
}

// NewSource returns the Windows source; nothing is registered until
// Attached.
func NewSource(log *slog.Logger) *Source {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{log: log, current: map[string]usage.Attachment{}}
}

// withoutEvents is how often the tables are read when no notification can
// tell.
const withoutEvents = time.Minute

// Attached returns the network of each interface that has one; see the
// Linux source.
func (s *Source) Attached() map[string]usage.Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	dirty := s.changed.Swap(false)
	if !s.started {
		s.started, dirty = true, true
		cb := windows.NewCallback(func(ctx, row uintptr, kind uint32) uintptr {
			s.changed.Store(true)
			return 0
		})
		var h windows.Handle
		if err := windows.NotifyRouteChange2(windows.AF_UNSPEC, cb, nil, false, &h); err == nil {
			s.handles = append(s.handles, h)
		}
		if err := windows.NotifyIpInterfaceChange(windows.AF_UNSPEC, cb, nil, false, &h); err == nil {
			s.handles = append(s.handles, h)
		}
	}
	if (len(s.handles) == 0 || unresolved(s.gateways)) && time.Since(s.lastTry) >= withoutEvents {
		dirty = true
	}
	if dirty {
		s.lastTry = time.Now()
		if err := s.identify(); err != nil {
			s.log.Debug("identify networks", "err", err)
		}
	}
	return s.current
}

func (s *Source) identify() error {
	s.Identifications++
	var t Tables
	var fwd *windows.MibIpForwardTable2
	if err := windows.GetIpForwardTable2(windows.AF_UNSPEC, &fwd); err != nil {
		return err
	}
	n := uintptr(*(*uint32)(unsafe.Pointer(fwd)))
	routes, err := ParseWindowsForwardTable(unsafe.Slice((*byte)(unsafe.Pointer(fwd)), winTableHeader+n*winForwardRowLen), nil)
	windows.FreeMibTable(unsafe.Pointer(fwd))
	if err != nil {
		return err
	}
	t.Routes = routes
	var nt unsafe.Pointer
	if r, _, _ := procGetIpNetTable.Call(uintptr(windows.AF_UNSPEC), uintptr(unsafe.Pointer(&nt))); r != 0 {
		return windows.Errno(r)
	}
	n = uintptr(*(*uint32)(nt))
	t.Neighbours, err = ParseWindowsNetTable(unsafe.Slice((*byte)(nt), winTableHeader+n*winNetRowLen), nil)
	windows.FreeMibTable(nt)
	if err != nil {
		return err
	}
	t.Links = linkNames(t.Routes)
	next := make(map[string]usage.Attachment, len(s.current))
	s.gateways = choose(t, next, s.gateways[:0])
	s.current = next
	return nil
}

// Close cancels the change notifications.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.handles {
		windows.CancelMibChangeNotify2(h)
	}
	s.handles = nil
	return nil
}
