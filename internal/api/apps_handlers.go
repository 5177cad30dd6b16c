package api

import (
	"net/http"
	"strings"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// appsResponse is /api/apps: each application's traffic over local days,
// largest first; "unattributed" is one of the apps, so they add up to the
// interfaces' total.
type appsResponse struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	Timezone   string   `json:"timezone"`
	Interfaces []string `json:"interfaces"` // empty: the counted ones
	Apps       []appRow `json:"apps"`
	Total      appBytes `json:"total"`
	// Method is how the daemon counts apps now: "ebpf" (every
	// protocol), "sock_diag" (TCP only: all else is unattributed) or
	// "off"; absent when no daemon answers (pb apps reading the
	// database).
	Method string `json:"method,omitempty"`
}

type appBytes struct {
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
}

type appRow struct {
	usage.App
	appBytes
}

func newAppBytes(t usage.Totals) appBytes {
	return appBytes{BytesSent: t.Tx, BytesReceived: t.Rx, TotalBytes: t.Total()}
}

// handleApps serves from..to inclusive (default today) for the interfaces
// named by interface (comma-separated; default the counted ones).
func (s *Server) handleApps(w http.ResponseWriter, r *http.Request) error {
	_, from, to, f, err := s.daysAndIfaces(r)
	if err != nil {
		return err
	}
	a, err := s.q.Apps(r.Context(), from, to, f)
	if err != nil {
		return err
	}
	b, err := s.enc.Apps(a, f.Ifaces, s.set.AppsMethod)
	return writeBytes(w, b, err)
}

// Apps is /api/apps; pb apps --json prints the same bytes, without the
// method ("").
func (e *Encoder) Apps(a query.Apps, ifaces []string, method string) ([]byte, error) {
	resp := appsResponse{From: a.From.String(), To: a.To.String(), Timezone: e.loc.String(), Interfaces: ifaces, Method: method,
		Apps: make([]appRow, 0, len(a.Apps)), Total: newAppBytes(a.Total)}
	if resp.Interfaces == nil {
		resp.Interfaces = []string{}
	}
	for _, x := range a.Apps {
		resp.Apps = append(resp.Apps, appRow{App: x.App, appBytes: newAppBytes(x.Totals)})
	}
	return marshal(resp)
}

// ifaceList reads interface= as a comma-separated list of names (none:
// the zero Filter, the counted interfaces).
func (p params) ifaceList() (usage.Filter, error) {
	list, _, err := p.get("interface")
	var f usage.Filter
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			f.Ifaces = append(f.Ifaces, n)
		}
	}
	return f, err
}

// daysAndIfaces reads a per-dimension listing's from and to (local days,
// default today) and interface list.
func (s *Server) daysAndIfaces(r *http.Request) (p params, from, to usage.Date, f usage.Filter, err error) {
	if p, err = parseParams(r); err != nil {
		return
	}
	today := usage.DateOf(s.now().In(s.loc))
	if from, to, err = p.dateRange([]string{"from"}, []string{"to"}, today, today, false); err != nil {
		return
	}
	f, err = p.ifaceList()
	return
}
