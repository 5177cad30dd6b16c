package api

import (
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
)

// minutesResponse is /api/minutes: the 1-minute detail of a span (at most
// 8 days) from the fine tier.
type minutesResponse struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Timezone  string `json:"timezone"`
	Interface string `json:"interface"` // "": the interfaces counted in the total
	Step      int    `json:"step_seconds"`
	// CompleteFrom is where the 1-minute detail is complete from; minutes
	// before it may have been pruned (see [storage] fine_retention_days).
	CompleteFrom string       `json:"complete_from,omitempty"`
	Minutes      []minuteJSON `json:"minutes"`
	Summary      usageBlock   `json:"summary"`
}

type minuteJSON struct {
	Start         string `json:"start"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
}

func (s *Server) handleMinutes(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	now := s.now()
	to, ok, err := p.instant("to", s.loc, true)
	if err != nil {
		return err
	}
	if !ok {
		to = now
	}
	from, ok, err := p.instant("from", s.loc, false)
	if err != nil {
		return err
	}
	if !ok {
		from = to.Add(-time.Hour)
	}
	if !from.Before(to) {
		return badRequest("Parameter from=%s is not before to=%s; give a span that ends after it starts.", from.In(s.loc).Format(time.RFC3339), to.In(s.loc).Format(time.RFC3339))
	}
	if to.Sub(from) > query.MaxMinutesSpan {
		return badRequest("The minute view holds at most 8 days (from %s to %s is longer); use /api/hours or /api/days for longer spans.", from.In(s.loc).Format(time.RFC3339), to.In(s.loc).Format(time.RFC3339))
	}
	iface, err := p.iface()
	if err != nil {
		return err
	}
	m, err := s.q.Minutes(r.Context(), from, to, iface)
	if err != nil {
		return ifaceError(err, iface)
	}
	b, err := s.enc.Minutes(m)
	return writeBytes(w, b, err)
}

// iface reads the optional interface parameter ("" when absent).
func (p params) iface() (string, error) {
	v, name, err := p.get("interface")
	if err == nil && name != "" && v == "" {
		err = badRequest("Parameter interface is empty; name an interface (see /api/interfaces) or leave it out for the counted total.")
	}
	return v, err
}

// ifaceError turns an unknown interface into a 400.
func ifaceError(err error, iface string) error {
	if errors.Is(err, query.ErrUnknownInterface) {
		return badRequest("Parameter interface=%s names no interface this device has seen; /api/interfaces lists them.", quoteParam(iface))
	}
	return err
}

// Minutes is /api/minutes.
func (e *Encoder) Minutes(m query.Minutes) ([]byte, error) {
	resp := minutesResponse{
		From: m.From.In(e.loc).Format(time.RFC3339), To: m.To.In(e.loc).Format(time.RFC3339), Timezone: e.loc.String(),
		Interface: m.Iface, Step: 60, Minutes: make([]minuteJSON, 0, len(m.Points)), Summary: e.usageBlock(m.Totals, 0),
	}
	if !m.Complete.IsZero() {
		resp.CompleteFrom = m.Complete.In(e.loc).Format(time.RFC3339)
	}
	for _, pt := range m.Points {
		resp.Minutes = append(resp.Minutes, minuteJSON{Start: pt.Start.In(e.loc).Format(time.RFC3339), BytesSent: pt.Tx, BytesReceived: pt.Rx, TotalBytes: pt.Total()})
	}
	return marshal(resp)
}

// trendsResponse is /api/trends: how the use compares with its own past.
type trendsResponse struct {
	GeneratedAt string           `json:"generated_at"`
	Timezone    string           `json:"timezone"`
	Interface   string           `json:"interface"` // "": the interfaces counted in the total
	Month       comparisonJSON   `json:"month"`     // this month so far vs last month to the same day and time
	Week        comparisonJSON   `json:"week"`      // this week so far vs the same part of the last 8 weeks, averaged
	Year        comparisonJSON   `json:"year"`      // this year so far vs last year to the same day and time
	Weekdays    []weekdayJSON    `json:"weekdays"`  // Monday first, last 8 weeks
	Hours       []hourJSON       `json:"hours"`     // 0-23 local, last 28 days
	Interfaces  []ifaceTrendJSON `json:"interfaces"`
	Unusual     []unusualJSON    `json:"unusual"` // the last 7 days, oldest first
}

type comparisonJSON struct {
	From         string     `json:"from"`
	To           string     `json:"to"`
	PreviousFrom string     `json:"previous_from"`
	PreviousTo   string     `json:"previous_to"`
	Current      usageBlock `json:"current"`
	Previous     usageBlock `json:"previous"`
	Samples      int        `json:"samples"` // spans averaged into previous
	Counted      bool       `json:"counted"` // pb counted all of the previous span(s)
	// ChangePercent is current against previous; null when there is
	// nothing counted to compare with.
	ChangePercent *float64 `json:"change_percent"`
}

type profileJSON struct {
	AverageSent     uint64 `json:"average_sent"`
	AverageReceived uint64 `json:"average_received"`
	AverageBytes    uint64 `json:"average_bytes"`
	Human           string `json:"human_readable"`
	Samples         int    `json:"samples"`
}

type weekdayJSON struct {
	Weekday string `json:"weekday"`
	profileJSON
}

type hourJSON struct {
	Hour int `json:"hour"`
	profileJSON
}

type ifaceTrendJSON struct {
	Name    string         `json:"name"`
	Counted bool           `json:"counted"`
	Month   comparisonJSON `json:"month"`
}

type unusualJSON struct {
	Kind       string   `json:"kind"` // hour or day
	Start      string   `json:"start"`
	End        string   `json:"end"`
	Bytes      uint64   `json:"bytes"`
	UsualBytes uint64   `json:"usual_bytes"`
	Times      *float64 `json:"times"` // bytes / usual_bytes; null when usually none
	Message    string   `json:"message"`
}

func (s *Server) handleTrends(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	iface, err := p.iface()
	if err != nil {
		return err
	}
	t, err := s.q.Trends(r.Context(), s.now(), iface)
	if err != nil {
		return ifaceError(err, iface)
	}
	b, err := s.enc.Trends(t)
	return writeBytes(w, b, err)
}

// Trends is /api/trends.
func (e *Encoder) Trends(t query.Trends) ([]byte, error) {
	resp := trendsResponse{
		GeneratedAt: t.Now.In(e.loc).Format(time.RFC3339), Timezone: e.loc.String(), Interface: t.Iface,
		Month: e.comparison(t.Month), Week: e.comparison(t.Week), Year: e.comparison(t.Year),
		Weekdays: make([]weekdayJSON, 0, 7), Hours: make([]hourJSON, 0, 24), Interfaces: []ifaceTrendJSON{}, Unusual: []unusualJSON{},
	}
	for i, p := range t.Weekdays {
		resp.Weekdays = append(resp.Weekdays, weekdayJSON{Weekday: time.Weekday((i + 1) % 7).String(), profileJSON: e.profile(p)})
	}
	for h, p := range t.Hours {
		resp.Hours = append(resp.Hours, hourJSON{Hour: h, profileJSON: e.profile(p)})
	}
	for _, it := range t.Interfaces {
		resp.Interfaces = append(resp.Interfaces, ifaceTrendJSON{Name: it.Name, Counted: it.Counted, Month: e.comparison(it.Month)})
	}
	for _, a := range t.Unusual {
		u := unusualJSON{Kind: string(a.Kind), Start: a.Start.In(e.loc).Format(time.RFC3339), End: a.End.In(e.loc).Format(time.RFC3339),
			Bytes: a.Bytes, UsualBytes: a.Usual, Message: a.Message(e.loc, e.price.Base)}
		if x := a.Times(); !math.IsInf(x, 0) {
			x = roundTo(x, 2)
			u.Times = &x
		}
		resp.Unusual = append(resp.Unusual, u)
	}
	return marshal(resp)
}

func (e *Encoder) comparison(c query.Comparison) comparisonJSON {
	j := comparisonJSON{
		From: c.From.In(e.loc).Format(time.RFC3339), To: c.To.In(e.loc).Format(time.RFC3339),
		PreviousFrom: c.PrevFrom.In(e.loc).Format(time.RFC3339), PreviousTo: c.PrevTo.In(e.loc).Format(time.RFC3339),
		Current: e.usageBlock(c.Current, 0), Previous: e.usageBlock(c.Previous, 0), Samples: c.Samples, Counted: c.Counted,
	}
	if pct, ok := c.Change(); ok {
		pct = roundTo(pct, 1)
		j.ChangePercent = &pct
	}
	return j
}

func (e *Encoder) profile(p query.Profile) profileJSON {
	return profileJSON{AverageSent: p.Average.Tx, AverageReceived: p.Average.Rx, AverageBytes: p.Average.Total(),
		Human: units.FormatBytesBase(p.Average.Total(), e.price.Base), Samples: p.Samples}
}

// instant reads an optional time parameter: RFC 3339, or a local date
// (YYYY-MM-DD) meaning its midnight, or for end the next midnight (so
// to=2026-03-08 includes that day).
func (p params) instant(name string, loc *time.Location, end bool) (time.Time, bool, error) {
	s, got, err := p.get(name)
	if err != nil || got == "" {
		return time.Time{}, false, err
	}
	if len(s) == len("2006-01-02") {
		d, err := parseDate(name, s)
		if err != nil {
			return time.Time{}, false, err
		}
		if end {
			d = d.AddDays(1)
		}
		return d.Start(loc), true, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false, badRequest("Parameter %s=%s is not a time; use RFC 3339 (2026-03-08T14:00:00+01:00) or a date (2026-03-08).", name, quoteParam(s))
	}
	return t, true, nil
}
