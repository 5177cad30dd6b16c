package api

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// networksResponse is /api/networks: each network's traffic over local
// days, largest first. Every known network is listed; the unknown network
// (traffic on interfaces with no identifiable network) is listed when it
// carried some, so without a network filter they add up to the
// interfaces' total.
type networksResponse struct {
	From       string       `json:"from"`
	To         string       `json:"to"`
	Timezone   string       `json:"timezone"`
	Interfaces []string     `json:"interfaces"` // empty: the counted ones
	Network    string       `json:"network"`    // the filter; "" for all
	Networks   []networkRow `json:"networks"`
	Total      appBytes     `json:"total"`
	// Attached is each interface's network now, from the running daemon
	// (empty from pb networks --json without a daemon).
	Attached []attachedRow `json:"attached"`
}

type networkRow struct {
	ID      int64  `json:"id"` // 0: the unknown network
	Name    string `json:"name"`
	Metered bool   `json:"metered"`
	networkDetails
	Fingerprints []string `json:"fingerprints"`
	FirstSeen    string   `json:"first_seen,omitempty"`
	LastSeen     string   `json:"last_seen,omitempty"`
	appBytes
}

// networkDetails says how a network was identified; SSIDNote is the
// sentence the dashboard shows when the SSID could not be read.
type networkDetails struct {
	Gateway       string `json:"gateway"`
	GatewayMAC    string `json:"gateway_mac"`
	SSID          string `json:"ssid"`
	SSIDStatus    string `json:"ssid_status"` // "read", "wired" or "not available"
	SSIDAvailable bool   `json:"ssid_available"`
}

type attachedRow struct {
	Interface   string `json:"interface"`
	Fingerprint string `json:"fingerprint"`
	networkDetails
}

func newDetails(gw, mac, ssid, status string) networkDetails {
	if status == usage.SSIDRead {
		status = "read"
	}
	return networkDetails{Gateway: gw, GatewayMAC: mac, SSID: ssid, SSIDStatus: status, SSIDAvailable: status == "read"}
}

// attachments is the running daemon's per-interface networks, when the
// monitor knows them.
func (s *Server) attachments() map[string]usage.Attachment {
	if m, ok := s.mon.(interface {
		Attachments() map[string]usage.Attachment
	}); ok {
		return m.Attachments()
	}
	return nil
}

// handleNetworks serves from..to inclusive (default today) for the
// interfaces named by interface (comma-separated; default the counted
// ones), limited to the network named by network.
func (s *Server) handleNetworks(w http.ResponseWriter, r *http.Request) error {
	p, from, to, f, err := s.daysAndIfaces(r)
	if err != nil {
		return err
	}
	name, _, err := p.get("network")
	if err != nil {
		return err
	}
	var names []string
	if name != "" {
		names = []string{name}
	}
	n, err := s.q.Networks(r.Context(), from, to, f, names)
	var unknown *query.UnknownNetworkError
	if errors.As(err, &unknown) {
		return badRequest("Parameter network=%s names no network.", quoteParam(name))
	}
	if err != nil {
		return err
	}
	b, err := s.enc.Networks(n, f.Ifaces, name, s.attachments())
	return writeBytes(w, b, err)
}

// Networks is /api/networks; pb networks --json prints the same bytes.
func (e *Encoder) Networks(n query.Networks, ifaces []string, filter string, attached map[string]usage.Attachment) ([]byte, error) {
	resp := networksResponse{From: n.From.String(), To: n.To.String(), Timezone: e.loc.String(), Interfaces: ifaces, Network: filter,
		Networks: make([]networkRow, 0, len(n.Networks)), Total: newAppBytes(n.Total), Attached: []attachedRow{}}
	if resp.Interfaces == nil {
		resp.Interfaces = []string{}
	}
	for _, x := range n.Networks {
		row := networkRow{ID: x.ID, Name: x.Name, Metered: x.Metered, networkDetails: newDetails(x.Gateway, x.GatewayMAC, x.SSID, x.SSIDStatus),
			Fingerprints: x.Fingerprints, appBytes: newAppBytes(x.Totals)}
		if row.Fingerprints == nil {
			row.Fingerprints = []string{}
		}
		if x.ID != 0 {
			row.FirstSeen, row.LastSeen = x.FirstSeen.In(e.loc).Format(time.RFC3339), x.LastSeen.In(e.loc).Format(time.RFC3339)
		} else {
			row.SSIDStatus, row.SSIDAvailable = "", false
		}
		resp.Networks = append(resp.Networks, row)
	}
	for _, name := range slices.Sorted(maps.Keys(attached)) {
		a := attached[name]
		resp.Attached = append(resp.Attached, attachedRow{Interface: name, Fingerprint: a.Fingerprint(), networkDetails: newDetails(a.Gateway, a.GatewayMAC, a.SSID, a.SSIDStatus)})
	}
	return marshal(resp)
}

// networkEditResponse answers the POST /api/networks/... edits.
type networkEditResponse struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// handleNetworkEdit serves POST /api/networks/rename?network=OLD&name=NEW,
// /merge?network=FROM&into=INTO and /metered?network=NAME&metered=on|off.
func (s *Server) handleNetworkEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	name, _, err := p.get("network")
	if err != nil {
		return err
	}
	if name == "" {
		return badRequest("Parameter network is required.")
	}
	var msg string
	switch action := r.PathValue("action"); action {
	case "rename":
		to, _, err := p.get("name")
		if err != nil {
			return err
		}
		err = s.store.RenameNetwork(r.Context(), name, to)
		if err = editError(err); err != nil {
			return err
		}
		msg = "Renamed " + quoteParam(name) + " to " + quoteParam(to) + "; its history goes with it."
	case "merge":
		into, _, err := p.get("into")
		if err != nil {
			return err
		}
		if into == "" {
			return badRequest("Parameter into is required.")
		}
		if err = editError(s.store.MergeNetworks(r.Context(), name, into)); err != nil {
			return err
		}
		msg = "Merged " + quoteParam(name) + " into " + quoteParam(into) + "; their history is one network's now."
	case "metered":
		if _, got, _ := p.get("metered"); got == "" {
			return badRequest("Parameter metered (on or off) is required.")
		}
		on, err := p.boolParam("metered")
		if err != nil {
			return err
		}
		if err = editError(s.store.SetNetworkMetered(r.Context(), name, on)); err != nil {
			return err
		}
		msg = quoteParam(name) + " is metered now."
		if !on {
			msg = quoteParam(name) + " is not metered now."
		}
	default:
		return errorf(http.StatusNotFound, "No such network action %s: use rename, merge or metered.", quoteParam(action))
	}
	s.cache.reset()
	return writeJSON(w, networkEditResponse{Status: "ok", Message: msg})
}

// editError turns the store's refusals into 400s (a network name is a
// parameter; a 404 would read as "no pb here" to pb's own client) whose sentence
// starts at the refusal (no "store: rename network:" prefix).
func editError(err error) error {
	for _, e := range []struct {
		err    error
		status int
	}{{store.ErrNoNetwork, http.StatusBadRequest}, {store.ErrNetworkNameUsed, http.StatusBadRequest}, {store.ErrSameNetwork, http.StatusBadRequest}} {
		if errors.Is(err, e.err) {
			msg := err.Error()
			msg = msg[strings.Index(msg, e.err.Error()):]
			return errorf(e.status, "%s.", strings.ToUpper(msg[:1])+msg[1:])
		}
	}
	return err
}
