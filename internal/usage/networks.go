package usage

import "time"

// SSID states of an attachment: the SSID was read, the interface is not
// Wi-Fi, or the OS did not give it without extra rights.
const (
	SSIDRead         = ""
	SSIDWired        = "wired"
	SSIDNotAvailable = "not available"
)

// Attachment is what identifies the network an interface is attached to:
// the default gateway's hardware address from the neighbour table and, on
// Wi-Fi, the SSID. The zero Attachment is the unknown network (no default
// route, or a gateway whose address is not resolved yet).
type Attachment struct {
	Gateway    string // the default gateway's IP address
	GatewayMAC string // its hardware address, lower-case
	SSID       string
	SSIDStatus string // SSIDRead, SSIDWired or SSIDNotAvailable
}

// Known reports whether a identifies a network.
func (a Attachment) Known() bool { return a.GatewayMAC != "" }

// Fingerprint is the stable key of a's network: "gw=<MAC>", preceded by
// "ssid=<SSID>;" when the SSID was read. "" is the unknown network.
func (a Attachment) Fingerprint() string {
	if !a.Known() {
		return ""
	}
	if a.SSID != "" {
		return "ssid=" + a.SSID + ";gw=" + a.GatewayMAC
	}
	return "gw=" + a.GatewayMAC
}

// UnknownNetwork is the name of the network of traffic on an interface
// with no identifiable network (and of all traffic counted before networks
// were identified), so that an interface's networks always add up to its
// total.
const UnknownNetwork = "unknown network"

// NetworkDelta is traffic on one interface in one CoarseBucket while it was
// attached to a known network.
type NetworkDelta struct {
	Network Attachment
	Iface   string
	MAC     string
	Bucket  time.Time
	Totals
}

// Network is a network the store knows: one or more fingerprints (more
// after a merge) under a user-editable name.
type Network struct {
	ID         int64
	Name       string
	Metered    bool
	FirstSeen  time.Time
	LastSeen   time.Time
	SSID       string
	SSIDStatus string
	Gateway    string
	GatewayMAC string
	// Fingerprints are the attachments merged under this network.
	Fingerprints []string
}

// NetworkTotals is one network's traffic in a range. The unknown network
// has ID 0 and Name UnknownNetwork.
type NetworkTotals struct {
	Network
	Totals
}

// NetworkFilter selects networks by name (empty: all).
type NetworkFilter struct {
	Names []string
}
