package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// appsResponse is /api/apps: each application's traffic over local days,
// largest first; "unattributed" is one of the apps, so they add up to the
// interfaces' total.
type appsResponse struct {
	appSpan
	Apps  []appRow `json:"apps"`
	Total appBytes `json:"total"`
	// Method is how the daemon counts apps now: "ebpf" (every
	// protocol), "sock_diag" (TCP only: all else is unattributed) or
	// "off"; absent when no daemon answers (pb apps reading the
	// database).
	Method string `json:"method,omitempty"`
}

// appSpan is the days and interfaces a per-app answer covers.
type appSpan struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	Timezone   string   `json:"timezone"`
	Interfaces []string `json:"interfaces"` // empty: the counted ones
}

func (e *Encoder) appSpan(from, to usage.Date, ifaces []string) appSpan {
	if ifaces == nil {
		ifaces = []string{}
	}
	return appSpan{From: from.String(), To: to.String(), Timezone: e.loc.String(), Interfaces: ifaces}
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
	resp := appsResponse{appSpan: e.appSpan(a.From, a.To, ifaces), Method: method,
		Apps: make([]appRow, 0, len(a.Apps)), Total: newAppBytes(a.Total)}
	for _, x := range a.Apps {
		resp.Apps = append(resp.Apps, appRow{App: x.App, appBytes: newAppBytes(x.Totals)})
	}
	return marshal(resp)
}

// appDaysDefault is how many days /api/apps/days gives without from: a
// month's worth, up to to (default today).
const appDaysDefault = 30

// appDaysResponse is /api/apps/days: one application's traffic on each
// local day from..to, zero days included.
type appDaysResponse struct {
	App usage.App `json:"app"`
	appSpan
	Days  []appDay `json:"days"`
	Total appBytes `json:"total"`
}

type appDay struct {
	Date string `json:"date"`
	appBytes
}

// handleAppDays serves the application named by name, path, unit and
// package (the four fields of an /api/apps row; the last three default
// to empty) day by day, from..to inclusive (default the 30 days up to
// to, default today), on the interfaces named by interface.
func (s *Server) handleAppDays(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	a, err := p.app()
	if err != nil {
		return err
	}
	to, ok, err := p.date("to")
	if err != nil {
		return err
	}
	if !ok {
		to = usage.DateOf(s.now().In(s.loc))
	}
	from, to, err := p.dateRange([]string{"from"}, []string{"to"}, to.AddDays(1-appDaysDefault), to, false)
	if err != nil {
		return err
	}
	f, err := p.ifaceList()
	if err != nil {
		return err
	}
	h, err := s.q.AppHistory(r.Context(), a, from, to, f)
	var unknown *query.UnknownAppError
	if errors.As(err, &unknown) {
		return badRequest("No traffic is known of the application name=%s path=%s unit=%s package=%s; give the four fields of a row of /api/apps.",
			quoteParam(a.Name), quoteParam(a.Path), quoteParam(a.Unit), quoteParam(a.Package))
	}
	if err != nil {
		return err
	}
	b, err := s.enc.AppDays(h, f.Ifaces)
	return writeBytes(w, b, err)
}

// AppDays is /api/apps/days.
func (e *Encoder) AppDays(h query.AppHistory, ifaces []string) ([]byte, error) {
	resp := appDaysResponse{App: h.App, appSpan: e.appSpan(h.From, h.To, ifaces), Days: make([]appDay, 0, len(h.Days)), Total: newAppBytes(h.Total)}
	for _, d := range h.Days {
		resp.Days = append(resp.Days, appDay{Date: d.Date.String(), appBytes: newAppBytes(d.Totals)})
	}
	return marshal(resp)
}

// app reads an application's identity: name (required), path, unit and
// package, each matched exactly (absent: empty), as /api/apps lists them.
func (p params) app() (usage.App, error) {
	var a usage.App
	for _, f := range []struct {
		name string
		dst  *string
	}{{"name", &a.Name}, {"path", &a.Path}, {"unit", &a.Unit}, {"package", &a.Package}} {
		v, _, err := p.get(f.name)
		if err != nil {
			return a, err
		}
		*f.dst = v
	}
	if a.Name == "" {
		return a, badRequest("Parameter name is required: the application's name, with its path, unit and package, as /api/apps lists them.")
	}
	return a, nil
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
