package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
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
		v, err := s.today(r.Context(), now)
		if err != nil {
			return nil, err
		}
		return marshal(todayResponse{
			usageBlock: s.usageBlock(v.totals, v.peak),
			Cost:       s.costBlock(v.totals, s.rate),
			Date:       v.date.String(),
			Timezone:   s.loc.String(),
			Global:     s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Today }),
		})
	})
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
		v, err := s.today(r.Context(), now)
		if err != nil {
			return nil, err
		}
		return marshal(costResponse{
			Usage: costUsage{
				BytesSent: v.totals.Tx, BytesReceived: v.totals.Rx, TotalBytes: v.totals.Total(),
				GBUsed: roundTo(units.GB(v.totals.Total(), s.set.UnitBase), 6),
			},
			Cost: s.costBlock(v.totals, rate),
			Info: costInfo{CostPerGB: rate, Currency: s.currency.Code, CurrencySymbol: s.currency.Symbol, Date: v.date.String()},
		})
	}
	var b []byte
	if _, custom, _ := p.get("cost_per_gb"); custom == "" {
		_, lk := s.keys(now, usage.DateOf(now.In(s.loc)))
		b, err = s.cache.costResp.get(lk, render)
	} else {
		b, err = render()
	}
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
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

func (s *Server) period(days []usage.DayTotals) ([]dayRow, usageBlock) {
	rows := make([]dayRow, 0, len(days))
	var sum usage.Totals
	var peak uint64
	for _, d := range days {
		rows = append(rows, newDayRow(d))
		sum = sum.Add(d.Totals)
		peak = max(peak, d.PeakBytesPerSec)
	}
	return rows, s.usageBlock(sum, peak)
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
		last := usage.DateOf(time.Date(first.Year, first.Month+1, 0, 12, 0, 0, 0, time.UTC)) // day 0 of the next month
		if last.After(today) {
			last = today
		}
		resp := periodResponse{Month: first.String()[:7], Timezone: s.loc.String(), Days: []dayRow{}}
		var days []usage.DayTotals
		if !first.After(last) {
			var err error
			if days, err = s.days(r.Context(), now, first, last); err != nil {
				return nil, err
			}
		}
		resp.Days, resp.Summary = s.period(days)
		whole, err := s.periodTotals(r.Context(), first.Start(s.loc), nextMonthStart(first, s.loc), usage.PeriodMonth)
		if err != nil {
			return nil, err
		}
		if whole != (usage.Totals{}) {
			b := s.usageBlock(whole, 0)
			resp.NotByDay = &b
			resp.Summary = s.usageBlock(usage.Totals{Rx: resp.Summary.BytesReceived + whole.Rx, Tx: resp.Summary.BytesSent + whole.Tx}, resp.Summary.PeakSpeed)
		}
		return marshal(resp)
	}
	var b []byte
	if !given {
		_, lk := s.keys(now, today)
		b, err = s.cache.monthResp.get(lk, render)
	} else {
		b, err = render()
	}
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

// periodTotals sums the period totals of kind ("" for all) lying in
// [from, to).
func (s *Server) periodTotals(ctx context.Context, from, to time.Time, kind string) (usage.Totals, error) {
	ps, err := s.store.Periods(ctx, from, to, usage.Filter{})
	var t usage.Totals
	for _, p := range ps {
		if kind == "" || p.Kind == kind {
			t = t.Add(p.Totals)
		}
	}
	return t, err
}

// nextMonthStart is the start of the month after the one d is in.
func nextMonthStart(d usage.Date, loc *time.Location) time.Time {
	return usage.DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC)).Start(loc)
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
	days, err := s.days(r.Context(), s.now(), from, to)
	if err != nil {
		return err
	}
	resp := periodResponse{From: from.String(), To: to.String(), Timezone: s.loc.String()}
	resp.Days, resp.Summary = s.period(days)
	return writeJSON(w, resp)
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
		l, err := s.lifetime(r.Context(), now)
		if err != nil {
			return nil, err
		}
		resp := summaryResponse{
			usageBlock: s.usageBlock(l.totals, l.peak),
			Cost:       s.costBlock(l.totals, s.rate),
			Timezone:   s.loc.String(),
			Global:     s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Lifetime }),
		}
		if l.tracked {
			resp.FirstDate, resp.LastDate = l.first.String(), l.last.String()
			resp.DaysTracked = l.first.DaysUntil(l.last) + 1
		}
		if !l.peakAt.IsZero() {
			resp.PeakTime = l.peakAt.In(s.loc).Format(time.RFC3339)
		}
		return marshal(resp)
	})
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
	hours, err := s.store.Hours(r.Context(), day, s.loc, usage.Filter{})
	if err != nil {
		return err
	}
	dayStart, dayEnd := day.Start(s.loc), day.AddDays(1).Start(s.loc)
	pending := s.mon.Pending(dayStart, dayEnd, usage.Filter{}) != (usage.Totals{})
	resp := hoursResponse{Date: day.String(), Timezone: s.loc.String(), Hours: make([]hourRow, 0, len(hours))}
	var sum usage.Totals
	for i, h := range hours {
		t := h.Totals
		if pending {
			end := dayEnd
			if i+1 < len(hours) {
				end = hours[i+1].Start
			}
			t = t.Add(s.mon.Pending(h.Start, end, usage.Filter{}))
		}
		sum = sum.Add(t)
		local := h.Start.In(s.loc)
		resp.Hours = append(resp.Hours, hourRow{
			Start: local.Format(time.RFC3339), Hour: local.Hour(),
			BytesSent: t.Tx, BytesReceived: t.Rx, TotalBytes: t.Total(),
		})
	}
	resp.Summary = s.usageBlock(sum, 0)
	return writeJSON(w, resp)
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
	now := s.now()
	days, err := s.store.TopDays(r.Context(), limit, s.loc, usage.Filter{})
	if err != nil {
		return err
	}
	// Today's unflushed traffic may move it into (or up) the list.
	t, err := s.today(r.Context(), now)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(days, func(d usage.DayTotals) bool { return d.Date == t.date })
	if i >= 0 {
		days[i].Totals, days[i].PeakBytesPerSec = t.totals, max(days[i].PeakBytesPerSec, t.peak)
	} else if t.totals.Total() > 0 {
		days = append(days, usage.DayTotals{Date: t.date, Totals: t.totals, PeakBytesPerSec: t.peak})
	}
	slices.SortStableFunc(days, func(a, b usage.DayTotals) int {
		switch {
		case a.Total() > b.Total():
			return -1
		case a.Total() < b.Total():
			return 1
		}
		return a.Date.Compare(b.Date)
	})
	if len(days) > limit {
		days = days[:limit]
	}
	resp := topResponse{Limit: limit, Timezone: s.loc.String(), Days: make([]dayRow, 0, len(days))}
	for _, d := range days {
		resp.Days = append(resp.Days, newDayRow(d))
	}
	return writeJSON(w, resp)
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
	ctx := r.Context()
	now := s.now()
	today := usage.DateOf(now.In(s.loc))
	dayStart, dayEnd := today.Start(s.loc), today.AddDays(1).Start(s.loc)
	monthFirst := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	monthStart := monthFirst.Start(s.loc)
	todayRows, err := s.store.Interfaces(ctx, dayStart, dayEnd)
	if err != nil {
		return err
	}
	monthRows, err := s.store.Interfaces(ctx, monthStart, dayEnd)
	if err != nil {
		return err
	}
	life, err := s.store.InterfaceLifetimes(ctx)
	if err != nil {
		return err
	}
	type key struct{ name, mac string }
	byKey := func(rows []usage.InterfaceTotals) map[key]usage.Totals {
		m := make(map[key]usage.Totals, len(rows))
		for _, r := range rows {
			m[key{r.Name, r.MAC}] = r.Totals
		}
		return m
	}
	todayBy, monthBy := byKey(todayRows), byKey(monthRows)
	live := s.mon.Live()
	liveBy := map[string]int{}
	for i, l := range live.Interfaces {
		liveBy[l.Name] = i
	}
	// Pending traffic is kept per name; it belongs to the most recently
	// seen interface of that name (the adapter plugged in now).
	latest := map[string]int{}
	for i, it := range life {
		if j, ok := latest[it.Name]; !ok || it.LastSeen.After(life[j].LastSeen) {
			latest[it.Name] = i
		}
	}
	resp := interfacesResponse{Date: today.String(), Month: monthFirst.String()[:7], Timezone: s.loc.String(), Interfaces: []interfaceInfo{}}
	seen := map[string]bool{}
	for i, it := range life {
		k := key{it.Name, it.MAC}
		td, mo, lt := todayBy[k], monthBy[k], it.Totals
		if latest[it.Name] == i {
			f := usage.Filter{Ifaces: []string{it.Name}}
			td = td.Add(s.mon.Pending(dayStart, dayEnd, f))
			mo = mo.Add(s.mon.Pending(monthStart, dayEnd, f))
			lt = lt.Add(s.mon.Pending(epoch, farAway, f))
		}
		info := interfaceInfo{
			Name: it.Name, MAC: it.MAC, Kind: it.Kind, Counted: it.Counted,
			Today: s.usageBlock(td, 0), Month: s.usageBlock(mo, 0), Lifetime: s.usageBlock(lt, 0),
		}
		if !it.FirstSeen.IsZero() {
			info.FirstSeen = it.FirstSeen.In(s.loc).Format(time.RFC3339)
			info.LastSeen = it.LastSeen.In(s.loc).Format(time.RFC3339)
		}
		if j, ok := liveBy[it.Name]; ok && latest[it.Name] == i {
			l := live.Interfaces[j]
			info.Active, info.Live = true, rate{RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec}
			info.Kind, info.Counted = l.Kind, l.Counted
		}
		seen[it.Name] = true
		resp.Interfaces = append(resp.Interfaces, info)
	}
	// Interfaces the monitor sees that were never flushed yet.
	for _, l := range live.Interfaces {
		if seen[l.Name] {
			continue
		}
		f := usage.Filter{Ifaces: []string{l.Name}}
		resp.Interfaces = append(resp.Interfaces, interfaceInfo{
			Name: l.Name, Kind: l.Kind, Counted: l.Counted, Active: true,
			Today:    s.usageBlock(s.mon.Pending(dayStart, dayEnd, f), 0),
			Month:    s.usageBlock(s.mon.Pending(monthStart, dayEnd, f), 0),
			Lifetime: s.usageBlock(s.mon.Pending(epoch, farAway, f), 0),
			Live:     rate{RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec},
		})
	}
	return writeJSON(w, resp)
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
	evs, err := s.store.Events(r.Context(), from.Start(s.loc), to.AddDays(1).Start(s.loc), limit)
	if err != nil {
		return err
	}
	resp := eventsResponse{From: from.String(), To: to.String(), Timezone: s.loc.String(), Events: make([]eventJSON, 0, len(evs))}
	for _, e := range evs {
		resp.Events = append(resp.Events, eventJSON{
			Time: e.Time.In(s.loc).Format(time.RFC3339), Kind: string(e.Kind), Interface: e.Iface,
			BytesSent: e.Totals.Tx, BytesReceived: e.Totals.Rx, Message: e.Message,
		})
	}
	return writeJSON(w, resp)
}
