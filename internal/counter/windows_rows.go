package counter

import (
	"strconv"
	"strings"
)

// This file holds the Windows row selection and classification as pure
// functions over winRow, a small copy of the MIB_IF_ROW2 fields they need, so
// they are tested on any OS. counter_windows.go fills winRow from the table
// without copying the ~1.3 KB rows.

// winRow is the part of a MIB_IF_ROW2 (netioapi.h) that pb looks at.
type winRow struct {
	LUID               uint64
	Index              uint32
	Alias              string // the name the user sees and can change ("Ethernet", "Wi-Fi")
	Description        string // the driver's name ("Intel(R) Ethernet Connection I219-V")
	Type               uint32 // IANA ifType (IF_TYPE_*)
	Flags              uint8  // InterfaceAndOperStatusFlags
	OperStatus         uint32 // IF_OPER_STATUS
	PhysicalMediumType uint32 // NDIS_PHYSICAL_MEDIUM
	PhysAddr           []byte
	TransmitLinkSpeed  uint64 // bits/s
	InOctets           uint64
	OutOctets          uint64
}

// IANA ifType values (ipifcons.h).
const (
	ifTypeEthernet    = 6
	ifTypePPP         = 23
	ifTypeLoopback    = 24
	ifTypePropVirtual = 53
	ifTypeIEEE80211   = 71
	ifTypeTunnel      = 131
	ifTypeWWANPP      = 243
	ifTypeWWANPP2     = 244
)

// InterfaceAndOperStatusFlags bits (the bitfield byte of MIB_IF_ROW2).
const (
	winFlagHardware = 0x01 // HardwareInterface: a real device under it
	winFlagFilter   = 0x02 // FilterInterface: an NDIS filter module's view
)

// IF_OPER_STATUS IfOperStatusNotPresent: a component (usually the driver or
// the device) is missing; such "ghost" rows count nothing.
const winOperNotPresent = 6

// NDIS_PHYSICAL_MEDIUM values (ntddndis.h).
const (
	ndisMediumWirelessLAN = 1
	ndisMediumWirelessWAN = 8
	ndisMediumNative80211 = 9
)

// winFilterMarkers are words in the aliases Windows gives NDIS filter
// module rows, "<adapter>-<filter>-0000", e.g. "Ethernet-WFP Native MAC Layer
// LightWeight Filter-0000" or "Wi-Fi-QoS Packet Scheduler-0000". Each repeats
// the bytes of the adapter beneath it.
var winFilterMarkers = []string{
	"Filter", "Packet Scheduler", "WFP", "Npcap", "Driver",
}

// winSkip reports whether a row must not be counted: a filter module's view
// of an adapter (the FilterInterface flag, or, as a backstop for drivers that
// leave the flag clear, a filter-style alias), or a device that is not
// present.
func winSkip(r *winRow) bool {
	if r.Flags&winFlagFilter != 0 || r.OperStatus == winOperNotPresent {
		return true
	}
	return winFilterAlias(r.Alias)
}

// winFilterAlias reports whether alias has the "<adapter>-<filter>-NNNN"
// shape of a filter module row.
func winFilterAlias(alias string) bool {
	n := len(alias)
	if n < 6 || alias[n-5] != '-' {
		return false
	}
	for i := n - 4; i < n; i++ {
		if c := alias[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	for _, m := range winFilterMarkers {
		if strings.Contains(alias[:n-5], m) {
			return true
		}
	}
	return false
}

// winName is the name a row is reported under: its alias, else its
// description, else "if<index>", so that no counter is nameless.
func winName(r *winRow) string {
	switch {
	case r.Alias != "":
		return r.Alias
	case r.Description != "":
		return r.Description
	}
	return "if" + strconv.FormatUint(uint64(r.Index), 10)
}

// winTunnelWords and winVirtualWords are driver description fragments for
// rows whose ifType says too little (VPN drivers register as Ethernet or
// PROP_VIRTUAL; VM switches as Ethernet).
var (
	winTunnelWords = []string{
		"WireGuard", "Wintun", "Tailscale", "ZeroTier", "TAP-Windows", "OpenVPN",
		"AnyConnect", "Fortinet", "GlobalProtect", "NordLynx", "Mullvad",
	}
	winVirtualWords = []string{
		"Hyper-V", "vEthernet", "VMware", "VirtualBox", "Virtual Adapter",
		"WAN Miniport", "Kernel Debug", "Wi-Fi Direct", "Docker",
	}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// winKind classifies a row by ifType, refined by the hardware flag, the
// physical medium and, for software adapters, the driver's description.
func winKind(r *winRow) Kind {
	hardware := r.Flags&winFlagHardware != 0
	switch r.Type {
	case ifTypeLoopback:
		return KindLoopback
	case ifTypeWWANPP, ifTypeWWANPP2:
		return KindCellular
	case ifTypeTunnel, ifTypePPP:
		// Teredo, IP-HTTPS, 6to4, ISATAP, VPN and PPPoE links: their
		// bytes also cross the adapter beneath.
		return KindTunnel
	case ifTypePropVirtual:
		if containsAny(r.Description, winTunnelWords) || containsAny(r.Alias, winTunnelWords) {
			return KindTunnel
		}
		return KindVirtual
	case ifTypeIEEE80211:
		if hardware {
			return KindWiFi
		}
		// "Microsoft Wi-Fi Direct Virtual Adapter": hotspot clients,
		// forwarded over the uplink.
		return KindVirtual
	case ifTypeEthernet:
		switch {
		case containsAny(r.Description, winTunnelWords) || containsAny(r.Alias, winTunnelWords):
			return KindTunnel
		case !hardware || containsAny(r.Description, winVirtualWords):
			// Hyper-V vEthernet, WAN Miniport (Network Monitor), VPN
			// taps without a known name: no device beneath.
			return KindVirtual
		case r.PhysicalMediumType == ndisMediumWirelessWAN:
			return KindCellular // a modem presenting an Ethernet interface
		case r.PhysicalMediumType == ndisMediumNative80211 || r.PhysicalMediumType == ndisMediumWirelessLAN:
			return KindWiFi
		}
		return KindEthernet // including USB tethering (Remote NDIS)
	}
	if k, ok := ClassifyName(r.Alias); ok {
		return k
	}
	return KindOther
}

// winInfo describes a row reported under name.
func winInfo(r *winRow, name string) Info {
	info := Info{
		Name: name,
		MAC:  formatMAC(r.PhysAddr),
		Kind: winKind(r),
		Bits: 64, // InOctets/OutOctets are ULONG64
	}
	// An unknown speed is 0 or all ones (IF_MAX_TRANSMIT_LINK_SPEED...).
	if s := r.TransmitLinkSpeed; s != 0 && s != ^uint64(0) {
		info.SpeedBits = s
	}
	return info
}

// winSelector picks the rows of one table to report and gives each a unique
// name. It is reset for every table and keeps its maps between tables, so a
// steady-state poll allocates nothing.
type winSelector struct {
	luids map[uint64]struct{}
	names map[string]struct{}
}

func newWinSelector() *winSelector {
	return &winSelector{luids: make(map[uint64]struct{}), names: make(map[string]struct{})}
}

func (s *winSelector) reset() {
	clear(s.luids)
	clear(s.names)
}

// pick returns the name to report r under, or ok false to skip it: a row to
// skip (winSkip), or a second row with a LUID already reported, which would
// count the same bytes twice. A second row with an already-reported name
// (aliases are unique in practice, but pb keys history on the name) gets
// " #<ifIndex>" appended, which is stable across polls.
func (s *winSelector) pick(r *winRow) (name string, ok bool) {
	if winSkip(r) {
		return "", false
	}
	if _, dup := s.luids[r.LUID]; dup {
		return "", false
	}
	s.luids[r.LUID] = struct{}{}
	name = winName(r)
	if _, dup := s.names[name]; dup {
		name += " #" + strconv.FormatUint(uint64(r.Index), 10)
	}
	s.names[name] = struct{}{}
	return name, true
}

// selectWinRows resets s, applies it to a whole table and returns the
// counters it reports. counter_windows.go does the same while walking the
// system's table in place; this form is for tests.
func selectWinRows(s *winSelector, rows []winRow) []Counter {
	s.reset()
	var out []Counter
	for i := range rows {
		if name, ok := s.pick(&rows[i]); ok {
			out = append(out, Counter{Name: name, Index: rows[i].Index, RxBytes: rows[i].InOctets, TxBytes: rows[i].OutOctets})
		}
	}
	return out
}
