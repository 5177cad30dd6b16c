package api

import (
	"net/http"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/query"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Handlers of the usage group: today, live, cost, month, range, summary,
// days, hours, top, interfaces, events.

// todayResponse is /api/today: a usage block with peak_speed and cost.
type todayResponse struct {
	usageBlock
	Cost     costBlock `json:"cost"`
	Date     string    `json:"date"`
	Timezone string    `json:"timezone"`
	// Global is every device's today (each in its own zone), with sync on.
	Global *globalBlock `json:"global,omitempty"`
}

func (s *Server) handleToday(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	_, lk := s.keys(now, usage.DateOf(now.In(s.loc)))
	return writeCached(w, &s.cache.todayResp, lk, func() ([]byte, error) {
		v, err := s.q.Today(r.Context(), now)
		if err != nil {
			return nil, err
		}
		return marshal(s.enc.today(v, s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Today })))
	})
}

// Today is /api/today without the fleet's global block.
func (e *Encoder) Today(v query.Day) ([]byte, error) { return marshal(e.today(v, nil)) }

func (e *Encoder) today(v query.Day, global *globalBlock) todayResponse {
	return todayResponse{
		usageBlock: e.usageBlock(v.Totals, v.Peak),
		Cost:       e.costBlock(v.Totals, e.price.Rate),
		Date:       v.Date.String(),
		Timezone:   e.loc.String(),
		Global:     global,
	}
}

// liveResponse is /api/live: a usage block whose byte counts are the
// current speeds in bytes per second (counted interfaces), plus the
// per-interface speeds.
type liveResponse struct {
	usageBlock
	Timestamp  string      `json:"timestamp"`
	PeakToday  uint64      `json:"peak_today"`
	Interfaces []liveIface `json:"interfaces"`
}

type liveIface struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Counted bool   `json:"counted"`
	rate
}

func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	_, lk := s.keys(now, usage.DateOf(now.In(s.loc)))
	return writeCached(w, &s.cache.liveResp, lk, func() ([]byte, error) {
		return marshal(s.liveFrom(s.mon.Live()))
	})
}

// liveFrom builds the /api/live object (also the SSE event) from a reading.
func (s *Server) liveFrom(l monitor.Live) liveResponse {
	base := s.set.UnitBase
	tot := l.Total.RxPerSec + l.Total.TxPerSec
	resp := liveResponse{
		usageBlock: usageBlock{
			BytesSent:     l.Total.TxPerSec,
			BytesReceived: l.Total.RxPerSec,
			TotalBytes:    tot,
			HumanReadable: humanReadable{
				Sent:     units.FormatSpeedBase(l.Total.TxPerSec, base),
				Received: units.FormatSpeedBase(l.Total.RxPerSec, base),
				Total:    units.FormatSpeedBase(tot, base),
			},
		},
		PeakToday:  l.PeakToday,
		Interfaces: make([]liveIface, 0, len(l.Interfaces)),
	}
	if !l.Time.IsZero() {
		resp.Timestamp = l.Time.In(s.loc).Format(time.RFC3339)
	}
	for _, i := range l.Interfaces {
		resp.Interfaces = append(resp.Interfaces, liveIface{Name: i.Name, Kind: i.Kind, Counted: i.Counted, rate: rate{RxPerSec: i.RxPerSec, TxPerSec: i.TxPerSec}})
	}
	return resp
}

// costResponse is /api/cost.
type costResponse struct {
	Usage costUsage `json:"usage"`
	Cost  costBlock `json:"cost"`
	Info  costInfo  `json:"info"`
}

type costUsage struct {
	BytesSent     uint64  `json:"bytes_sent"`
	BytesReceived uint64  `json:"bytes_received"`
	TotalBytes    uint64  `json:"total_bytes"`
	GBUsed        float64 `json:"gb_used"`
}

type costInfo struct {
	CostPerGB      float64 `json:"cost_per_gb"`
	Currency       string  `json:"currency"`
	CurrencySymbol string  `json:"currency_symbol"`
	Date           string  `json:"date"`
}

func (s *Server) handleCost(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	rate, err := p.floatParam("cost_per_gb", s.rate, maxRate)
	if err != nil {
		return err
	}
	now := s.now()
	render := func() ([]byte, error) {
		v, err := s.q.Today(r.Context(), now)
		if err != nil {
			return nil, err
		}
		return marshal(s.enc.cost(v, rate))
	}
	var b []byte
	if _, custom, _ := p.get("cost_per_gb"); custom == "" {
		_, lk := s.keys(now, usage.DateOf(now.In(s.loc)))
		b, err = s.cache.costResp.Get(lk, render)
	} else {
		b, err = render()
	}
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

func (e *Encoder) cost(v query.Day, rate float64) costResponse {
	return costResponse{
		Usage: costUsage{
			BytesSent: v.Totals.Tx, BytesReceived: v.Totals.Rx, TotalBytes: v.Totals.Total(),
			GBUsed: roundTo(units.GB(v.Totals.Total(), e.price.Base), 6),
		},
		Cost: e.costBlock(v.Totals, rate),
		Info: costInfo{CostPerGB: rate, Currency: e.price.Currency.Code, CurrencySymbol: e.price.Currency.Symbol, Date: v.Date.String()},
	}
}

// periodResponse is /api/month, /api/range and /api/days.
type periodResponse struct {
	Month    string     `json:"month,omitempty"`
	From     string     `json:"from,omitempty"`
	To       string     `json:"to,omitempty"`
	Timezone string     `json:"timezone"`
	Days     []dayRow   `json:"days"`
	Summary  usageBlock `json:"summary"`
	// NotByDay is traffic known only as the month's whole (imported month
	// totals): in Summary, in no day.
	NotByDay *usageBlock `json:"not_by_day,omitempty"`
}

func (e *Encoder) period(p query.Period) ([]dayRow, usageBlock) {
	rows := make([]dayRow, 0, len(p.Days))
	for _, d := range p.Days {
		rows = append(rows, newDayRow(d))
	}
	return rows, e.usageBlock(p.Totals, p.Peak)
}

// period renders day rows and their sum (the fleet's days).
func (s *Server) period(days []usage.DayTotals) ([]dayRow, usageBlock) {
	p := query.Period{Days: days}
	for _, d := range days {
		p.Totals = p.Totals.Add(d.Totals)
		p.Peak = max(p.Peak, d.PeakBytesPerSec)
	}
	return s.enc.period(p)
}

// Month is /api/month.
func (e *Encoder) Month(m query.Month) ([]byte, error) { return marshal(e.month(m)) }

func (e *Encoder) month(m query.Month) periodResponse {
	resp := periodResponse{Month: m.First.String()[:7], Timezone: e.loc.String()}
	resp.Days, resp.Summary = e.period(m.Period)
	if m.NotByDay != (usage.Totals{}) {
		b := e.usageBlock(m.NotByDay, 0)
		resp.NotByDay = &b
	}
	return resp
}

// Period is /api/range and /api/days.
func (e *Encoder) Period(p query.Period) ([]byte, error) {
	resp := periodResponse{From: p.From.String(), To: p.To.String(), Timezone: e.loc.String()}
	resp.Days, resp.Summary = e.period(p)
	return marshal(resp)
}

// handleMonth serves a local calendar month: every day from the 1st to the
// last day, or to today for the current month (no future days), zero days
// included.
func (s *Server) handleMonth(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	first, given, err := p.month("month")
	if err != nil {
		return err
	}
	now := s.now()
	today := usage.DateOf(now.In(s.loc))
	render := func() ([]byte, error) {
		if !given {
			first = usage.Date{Year: today.Year, Month: today.Month, Day: 1}
		}
		m, err := s.q.Month(r.Context(), now, first)
		if err != nil {
			return nil, err
		}
		return s.enc.Month(m)
	}
	var b []byte
	if !given {
		_, lk := s.keys(now, today)
		b, err = s.cache.monthResp.Get(lk, render)
	} else {
		b, err = render()
	}
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

// handleRange serves from_date..to_date inclusive (aliases from, to).
func (s *Server) handleRange(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	from, to, err := p.dateRange([]string{"from_date", "from"}, []string{"to_date", "to"}, usage.Date{}, usage.Date{}, true)
	if err != nil {
		return err
	}
	return s.writePeriod(w, r, from, to)
}

// handleDays serves from..to inclusive, by default the last 30 days.
func (s *Server) handleDays(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	today := usage.DateOf(s.now().In(s.loc))
	from, to, err := p.dateRange([]string{"from", "from_date"}, []string{"to", "to_date"}, today.AddDays(-29), today, false)
	if err != nil {
		return err
	}
	return s.writePeriod(w, r, from, to)
}

func (s *Server) writePeriod(w http.ResponseWriter, r *http.Request, from, to usage.Date) error {
	p, err := s.q.Range(r.Context(), s.now(), from, to)
	if err != nil {
		return err
	}
	b, err := s.enc.Period(p)
	return writeBytes(w, b, err)
}

// summaryResponse is /api/summary: lifetime totals, which retention never
// reduces.
type summaryResponse struct {
	usageBlock
	Cost        costBlock `json:"cost"`
	FirstDate   string    `json:"first_date,omitempty"`
	LastDate    string    `json:"last_date,omitempty"`
	DaysTracked int       `json:"days_tracked"`
	PeakTime    string    `json:"peak_time,omitempty"`
	Timezone    string    `json:"timezone"`
	// Global is every device's lifetime, with sync on.
	Global *globalBlock `json:"global,omitempty"`
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	_, lk := s.keys(now, usage.DateOf(now.In(s.loc)))
	return writeCached(w, &s.cache.summaryResp, lk, func() ([]byte, error) {
		l, err := s.q.Lifetime(r.Context(), now)
		if err != nil {
			return nil, err
		}
		return marshal(s.enc.summary(l, s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Lifetime })))
	})
}

// Summary is /api/summary without the fleet's global block.
func (e *Encoder) Summary(l query.Lifetime) ([]byte, error) { return marshal(e.summary(l, nil)) }

func (e *Encoder) summary(l query.Lifetime, global *globalBlock) summaryResponse {
	resp := summaryResponse{
		usageBlock: e.usageBlock(l.Totals, l.Peak),
		Cost:       e.costBlock(l.Totals, e.price.Rate),
		Timezone:   e.loc.String(),
		Global:     global,
	}
	if l.Tracked {
		resp.FirstDate, resp.LastDate = l.First.String(), l.Last.String()
		resp.DaysTracked = l.DaysTracked()
	}
	if !l.PeakAt.IsZero() {
		resp.PeakTime = l.PeakAt.In(e.loc).Format(time.RFC3339)
	}
	return resp
}

// hoursResponse is /api/hours: the clock hours of one local day, 23 or 25
// of them on DST change days. start carries the zone offset, so the
// repeated hour of a fall-back day is told apart.
type hoursResponse struct {
	Date     string     `json:"date"`
	Timezone string     `json:"timezone"`
	Hours    []hourRow  `json:"hours"`
	Summary  usageBlock `json:"summary"`
}

type hourRow struct {
	Start         string `json:"start"`
	Hour          int    `json:"hour"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
}

func (s *Server) handleHours(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	day, ok, err := p.date("date")
	if err != nil {
		return err
	}
	if !ok {
		day = usage.DateOf(s.now().In(s.loc))
	}
	h, err := s.q.Hours(r.Context(), day)
	if err != nil {
		return err
	}
	b, err := s.enc.Hours(h)
	return writeBytes(w, b, err)
}

// Hours is /api/hours.
func (e *Encoder) Hours(h query.Hours) ([]byte, error) {
	resp := hoursResponse{Date: h.Date.String(), Timezone: e.loc.String(), Hours: make([]hourRow, 0, len(h.Hours))}
	for _, hr := range h.Hours {
		local := hr.Start.In(e.loc)
		resp.Hours = append(resp.Hours, hourRow{
			Start: local.Format(time.RFC3339), Hour: local.Hour(),
			BytesSent: hr.Tx, BytesReceived: hr.Rx, TotalBytes: hr.Total(),
		})
	}
	resp.Summary = e.usageBlock(h.Totals, 0)
	return marshal(resp)
}

// topResponse is /api/top: the busiest days ever, busiest first.
type topResponse struct {
	Limit    int      `json:"limit"`
	Timezone string   `json:"timezone"`
	Days     []dayRow `json:"days"`
}

func (s *Server) handleTop(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	limit, err := p.intParam("limit", 10, 1, maxTopLimit)
	if err != nil {
		return err
	}
	days, err := s.q.TopDays(r.Context(), s.now(), limit)
	if err != nil {
		return err
	}
	b, err := s.enc.Top(limit, days)
	return writeBytes(w, b, err)
}

// Top is /api/top.
func (e *Encoder) Top(limit int, days []usage.DayTotals) ([]byte, error) {
	resp := topResponse{Limit: limit, Timezone: e.loc.String(), Days: make([]dayRow, 0, len(days))}
	for _, d := range days {
		resp.Days = append(resp.Days, newDayRow(d))
	}
	return marshal(resp)
}

// interfacesResponse is /api/interfaces: every interface ever seen, with
// its traffic today, this month and in its lifetime, its kind and whether
// it counts in the totals.
type interfacesResponse struct {
	Date       string          `json:"date"`
	Month      string          `json:"month"`
	Timezone   string          `json:"timezone"`
	Interfaces []interfaceInfo `json:"interfaces"`
}

type interfaceInfo struct {
	Name      string     `json:"name"`
	MAC       string     `json:"mac,omitempty"`
	Kind      string     `json:"kind"`
	Counted   bool       `json:"counted"`
	Active    bool       `json:"active"`
	FirstSeen string     `json:"first_seen,omitempty"`
	LastSeen  string     `json:"last_seen,omitempty"`
	Today     usageBlock `json:"today"`
	Month     usageBlock `json:"month"`
	Lifetime  usageBlock `json:"lifetime"`
	Live      rate       `json:"live"`
}

func (s *Server) handleInterfaces(w http.ResponseWriter, r *http.Request) error {
	ifs, err := s.q.Interfaces(r.Context(), s.now(), liveRates(s.mon.Live()))
	if err != nil {
		return err
	}
	b, err := s.enc.Interfaces(ifs)
	return writeBytes(w, b, err)
}

// Interfaces is /api/interfaces.
func (e *Encoder) Interfaces(ifs query.Interfaces) ([]byte, error) { return marshal(e.interfaces(ifs)) }

func (e *Encoder) interfaces(ifs query.Interfaces) interfacesResponse {
	resp := interfacesResponse{Date: ifs.Date.String(), Month: ifs.Month.String()[:7], Timezone: e.loc.String(), Interfaces: make([]interfaceInfo, 0, len(ifs.List))}
	for _, it := range ifs.List {
		info := interfaceInfo{
			Name: it.Name, MAC: it.MAC, Kind: it.Kind, Counted: it.Counted, Active: it.Active,
			Today: e.usageBlock(it.Today, 0), Month: e.usageBlock(it.Month, 0), Lifetime: e.usageBlock(it.Life, 0),
			Live: rate{RxPerSec: it.LiveRxSec, TxPerSec: it.LiveTxSec},
		}
		if !it.FirstSeen.IsZero() {
			info.FirstSeen = it.FirstSeen.In(e.loc).Format(time.RFC3339)
			info.LastSeen = it.LastSeen.In(e.loc).Format(time.RFC3339)
		}
		resp.Interfaces = append(resp.Interfaces, info)
	}
	return resp
}

// eventsResponse is /api/events: the event log (spikes discarded, resets,
// restarts...), newest first.
type eventsResponse struct {
	From     string      `json:"from"`
	To       string      `json:"to"`
	Timezone string      `json:"timezone"`
	Events   []eventJSON `json:"events"`
}

type eventJSON struct {
	Time          string `json:"time"`
	Kind          string `json:"kind"`
	Interface     string `json:"interface,omitempty"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	Message       string `json:"message"`
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	today := usage.DateOf(s.now().In(s.loc))
	from, to, err := p.dateRange([]string{"from"}, []string{"to"}, today.AddDays(-6), today, false)
	if err != nil {
		return err
	}
	limit, err := p.intParam("limit", 100, 1, maxEvents)
	if err != nil {
		return err
	}
	evs, err := s.q.Events(r.Context(), from, to, limit)
	if err != nil {
		return err
	}
	b, err := s.enc.Events(from, to, evs)
	return writeBytes(w, b, err)
}

// Events is /api/events.
func (e *Encoder) Events(from, to usage.Date, evs []usage.Event) ([]byte, error) {
	resp := eventsResponse{From: from.String(), To: to.String(), Timezone: e.loc.String(), Events: make([]eventJSON, 0, len(evs))}
	for _, ev := range evs {
		resp.Events = append(resp.Events, eventJSON{
			Time: ev.Time.In(e.loc).Format(time.RFC3339), Kind: string(ev.Kind), Interface: ev.Iface,
			BytesSent: ev.Totals.Tx, BytesReceived: ev.Totals.Rx, Message: ev.Message,
		})
	}
	return marshal(resp)
}
