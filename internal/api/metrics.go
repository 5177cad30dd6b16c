package api

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/usage"
)

// /metrics is the Prometheus text exposition format 0.0.4, written by hand:
// a few dozen series do not justify client_golang's 2.7 MB (stack.md §8).

// monotonic keeps the per-interface counters from ever going backwards.
// Lifetime-from-store plus pending is exact except in the instant between a
// flush committing and the monitor dropping what it wrote, when a reader can
// see the same bytes twice or not at all; a scrape in that instant must not
// make Prometheus see a counter reset.
type monotonic struct {
	mu   sync.Mutex
	last map[string]usage.Totals
}

func (m *monotonic) init() { m.last = map[string]usage.Totals{} }

func (m *monotonic) clamp(name string, t usage.Totals) usage.Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.last[name]
	t.Rx, t.Tx = max(t.Rx, p.Rx), max(t.Tx, p.Tx)
	m.last[name] = t
	return t
}

type ifaceMetric struct {
	name    string
	kind    string
	counted bool
	totals  usage.Totals
	rate    rate
	active  bool
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := s.now()
	today, err := s.today(ctx, now)
	if err != nil {
		return err
	}
	month, err := s.monthTotals(ctx, now, today.date)
	if err != nil {
		return err
	}
	live := s.mon.Live()
	names, byName, err := s.interfaceMetrics(ctx, live)
	if err != nil {
		return err
	}
	m := &metricsWriter{}
	m.b.Grow(4096)
	writeInterfaceMetrics(m, names, byName)
	writeUsageMetrics(m, live, today, month)
	// Like the plans, the networks are extra.
	if err := s.writeNetworkMetrics(ctx, m); err != nil {
		s.log.Warn("network counters left out of /metrics", "err", err)
	}
	if len(s.d.Plans) > 0 {
		// The plans are extra: if they cannot be read, the rest still is.
		if err := s.planMetrics(r, now, m.family, m.sample); err != nil {
			s.log.Warn("plan gauges left out of /metrics", "err", err)
		}
	}
	if s.set.AppsMetricsTop > 0 {
		// Like the plans: without them the rest is still served.
		if err := s.appMetrics(ctx, m, today.date); err != nil {
			s.log.Warn("app gauges left out of /metrics", "err", err)
		}
	}
	s.writeDaemonMetrics(m, s.mon.Status())
	writeProcessMetrics(m)
	writeBody(w, "text/plain; version=0.0.4; charset=utf-8", m.b.Bytes())
	return nil
}

// metricsWriter writes families and samples of the text format.
type metricsWriter struct{ b bytes.Buffer }

func (m *metricsWriter) family(name, typ, help string) {
	m.b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

func (m *metricsWriter) sample(name, labels string, v uint64) {
	m.b.WriteString(name)
	if labels != "" {
		m.b.WriteString("{" + labels + "}")
	}
	m.b.WriteByte(' ')
	m.b.WriteString(strconv.FormatUint(v, 10))
	m.b.WriteByte('\n')
}

// sampleFloat writes a sample without labels whose value is not a whole
// number (seconds).
func (m *metricsWriter) sampleFloat(name string, v float64) {
	m.b.WriteString(name + " " + strconv.FormatFloat(v, 'g', -1, 64) + "\n")
}

// gauge is a family of one unlabelled sample.
func (m *metricsWriter) gauge(name, typ, help string, v uint64) {
	m.family(name, typ, help)
	m.sample(name, "", v)
}

// monthTotals sums the counted interfaces over this local month's days.
func (s *Server) monthTotals(ctx context.Context, now time.Time, today usage.Date) (usage.Totals, error) {
	days, err := s.days(ctx, now, usage.Date{Year: today.Year, Month: today.Month, Day: 1}, today)
	if err != nil {
		return usage.Totals{}, err
	}
	var month usage.Totals
	for _, d := range days {
		month = month.Add(d.Totals)
	}
	return month, nil
}

// interfaceMetrics gathers one series per interface name, sorted: history
// is kept per (name, MAC), but a counter per name is what dashboards
// graph, and a sum of counters that never decrease never decreases either.
func (s *Server) interfaceMetrics(ctx context.Context, live monitor.Live) ([]string, map[string]*ifaceMetric, error) {
	life, err := s.store.InterfaceLifetimes(ctx)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]*ifaceMetric{}
	var names []string
	get := func(name string) *ifaceMetric {
		m, ok := byName[name]
		if !ok {
			m = &ifaceMetric{name: name}
			byName[name] = m
			names = append(names, name)
		}
		return m
	}
	lastSeen := map[string]int{}
	for i, it := range life {
		m := get(it.Name)
		m.totals = m.totals.Add(it.Totals)
		if j, ok := lastSeen[it.Name]; !ok || it.LastSeen.After(life[j].LastSeen) {
			lastSeen[it.Name] = i
			m.kind, m.counted = it.Kind, it.Counted
		}
	}
	for _, l := range live.Interfaces {
		m := get(l.Name)
		m.kind, m.counted, m.active = l.Kind, l.Counted, true
		m.rate = rate{RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec}
	}
	sort.Strings(names)
	for _, n := range names {
		m := byName[n]
		m.totals = s.counters.clamp(n, m.totals.Add(s.mon.Pending(epoch, farAway, usage.Filter{Ifaces: []string{n}})))
	}
	return names, byName, nil
}

func writeInterfaceMetrics(m *metricsWriter, names []string, byName map[string]*ifaceMetric) {
	ifLabel := func(n string) string { return `interface="` + escapeLabel(n) + `"` }
	perIface := []struct {
		name, typ, help string
		labels          func(n string, im *ifaceMetric) string
		value           func(im *ifaceMetric) uint64
	}{
		{"pb_interface_receive_bytes_total", "counter", "Bytes received on the interface since PacketBuddy first saw it (stored plus not yet written).",
			nil, func(im *ifaceMetric) uint64 { return im.totals.Rx }},
		{"pb_interface_transmit_bytes_total", "counter", "Bytes transmitted on the interface since PacketBuddy first saw it (stored plus not yet written).",
			nil, func(im *ifaceMetric) uint64 { return im.totals.Tx }},
		{"pb_interface_info", "gauge", "Interface description: kind and whether it counts in the totals (1 per interface).",
			func(n string, im *ifaceMetric) string {
				return ifLabel(n) + `,kind="` + escapeLabel(im.kind) + `",counted="` + strconv.FormatBool(im.counted) + `"`
			}, func(*ifaceMetric) uint64 { return 1 }},
		{"pb_interface_up", "gauge", "Whether the interface was present at the latest poll.",
			nil, func(im *ifaceMetric) uint64 { return boolValue(im.active) }},
		{"pb_interface_receive_bytes_per_second", "gauge", "Live receive speed of the interface at the latest poll.",
			nil, func(im *ifaceMetric) uint64 { return im.rate.RxPerSec }},
		{"pb_interface_transmit_bytes_per_second", "gauge", "Live transmit speed of the interface at the latest poll.",
			nil, func(im *ifaceMetric) uint64 { return im.rate.TxPerSec }},
	}
	for _, f := range perIface {
		m.family(f.name, f.typ, f.help)
		for _, n := range names {
			labels := ifLabel(n)
			if f.labels != nil {
				labels = f.labels(n, byName[n])
			}
			m.sample(f.name, labels, f.value(byName[n]))
		}
	}
}

func writeUsageMetrics(m *metricsWriter, live monitor.Live, today dayView, month usage.Totals) {
	m.gauge("pb_receive_bytes_per_second", "gauge", "Live receive speed of the counted interfaces.", live.Total.RxPerSec)
	m.gauge("pb_transmit_bytes_per_second", "gauge", "Live transmit speed of the counted interfaces.", live.Total.TxPerSec)
	m.gauge("pb_today_receive_bytes", "gauge", "Bytes received today (local day) on the counted interfaces.", today.totals.Rx)
	m.gauge("pb_today_transmit_bytes", "gauge", "Bytes transmitted today (local day) on the counted interfaces.", today.totals.Tx)
	m.gauge("pb_today_peak_bytes_per_second", "gauge", "Highest counted speed (receive plus transmit) today.", today.peak)
	m.gauge("pb_month_receive_bytes", "gauge", "Bytes received this calendar month (local) on the counted interfaces.", month.Rx)
	m.gauge("pb_month_transmit_bytes", "gauge", "Bytes transmitted this calendar month (local) on the counted interfaces.", month.Tx)
}

// writeDaemonMetrics writes the monitor's health, the database size, the
// API's connections and the build.
func (s *Server) writeDaemonMetrics(m *metricsWriter, st monitor.Status) {
	m.gauge("pb_monitor_polls_total", "counter", "Counter readings taken since the daemon started.", st.Polls)
	m.gauge("pb_monitor_flush_errors_total", "counter", "Failed database writes since the daemon started (the data stays in memory and is retried).", st.FlushErrors)
	m.gauge("pb_monitor_discarded_samples_total", "counter", "Counter jumps discarded as impossibly fast since the daemon started.", st.Discarded)
	m.gauge("pb_monitor_pending_buckets", "gauge", "Time buckets counted but not yet written to the database.", uint64(max(st.Pending, 0)))
	m.gauge("pb_monitor_last_flush_success", "gauge", "1 if the latest database write succeeded (or none failed yet), 0 if it failed.", boolValue(st.LastFlushError == ""))
	m.gauge("pb_monitor_last_flush_timestamp_seconds", "gauge", "Unix time of the latest successful database write (0: none yet).", unixSeconds(st.LastFlush))
	m.gauge("pb_monitor_last_poll_timestamp_seconds", "gauge", "Unix time of the latest counter reading (0: none yet).", unixSeconds(st.LastPoll))
	m.gauge("pb_start_time_seconds", "gauge", "Unix time the monitor started (0: not running).", unixSeconds(st.Started))
	m.gauge("pb_database_size_bytes", "gauge", "Size of the database file and its write-ahead log.", uint64(max(s.dbSize(), 0)))
	if s.conns != nil { // listening (not a handler mounted elsewhere)
		m.gauge("pb_api_connections", "gauge", "Connections the API holds now.", uint64(s.conns.open()))
		m.gauge("pb_api_connections_evicted_total", "counter", "Idle keep-alive connections closed to make room at the connection limit.", s.conns.evicted.Load())
		m.gauge("pb_api_connections_refused_total", "counter", "Connections closed at once at the limit, none being idle.", s.conns.refused.Load())
	}
	m.family("pb_build_info", "gauge", "Build information (always 1).")
	m.sample("pb_build_info", `version="`+escapeLabel(s.d.Version)+`",release_date="`+escapeLabel(s.d.ReleaseDate)+`",goversion="`+escapeLabel(runtime.Version())+`"`, 1)
}

// planMetrics writes the current-cycle gauges of the data plans, one series
// per plan (label plan="name"). Inactive plans (a one-time pack not started
// or expired) report pb_plan_active 0, their cap, and zeros. The plans are
// evaluated before anything is written, so a failure leaves no half family.
func (s *Server) planMetrics(r *http.Request, now time.Time, family func(name, typ, help string), sample func(name, labels string, v uint64)) error {
	statuses, err := s.planStatuses(r, now)
	if err != nil {
		return err
	}
	label := func(i int) string { return `plan="` + escapeLabel(s.d.Plans[i].Name) + `"` }
	gauges := []struct {
		name, help string
		value      func(i int, st plan.Status) uint64
	}{
		{"pb_plan_active", "1 if a cycle of the data plan is running now.", func(_ int, st plan.Status) uint64 { return boolValue(st.Active) }},
		{"pb_plan_used_bytes", "Bytes counted against the data plan this cycle (with its calibration offset).", func(_ int, st plan.Status) uint64 { return st.Used }},
		{"pb_plan_cap_bytes", "The data plan's cap per cycle (0: no cap).", func(i int, _ plan.Status) uint64 { return s.d.Plans[i].Cap }},
		{"pb_plan_remaining_bytes", "Bytes left before the cap this cycle.", func(_ int, st plan.Status) uint64 { return st.Remaining }},
		{"pb_plan_daily_budget_bytes", "Safe use per day for the rest of the cycle.", func(_ int, st plan.Status) uint64 { return st.DailyBudget }},
		{"pb_plan_forecast_bytes", "Expected use at the end of the cycle.", func(_ int, st plan.Status) uint64 { return st.Forecast }},
		{"pb_plan_cycle_end_timestamp_seconds", "Unix time the current cycle ends (0: not active).", func(_ int, st plan.Status) uint64 { return unixSeconds(st.CycleEnd) }},
		{"pb_plan_threshold_reached_percent", "Highest alert threshold reached this cycle (0: none).", func(i int, st plan.Status) uint64 { return uint64(s.d.Plans[i].Reached(st.Used)) }},
	}
	for _, g := range gauges {
		family(g.name, "gauge", g.help)
		for i, st := range statuses {
			sample(g.name, label(i), g.value(i, st))
		}
	}
	return nil
}

func boolValue(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t interface{ Unix() int64 }) uint64 {
	if u := t.Unix(); u > 0 {
		return uint64(u)
	}
	return 0
}

// escapeLabel escapes a label value for the text format: backslash, double
// quote and line feed; invalid UTF-8 (interface names are bytes on Linux)
// becomes U+FFFD, since the format demands UTF-8.
func escapeLabel(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if !strings.ContainsAny(v, "\\\"\n") {
		return v
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// writeNetworkMetrics writes each known network's bytes ever, by name
// (stored only: per-network traffic is written with each flush). A merge
// moves one network's bytes into another's series, and a rename starts a
// new series.
func (s *Server) writeNetworkMetrics(ctx context.Context, m *metricsWriter) error {
	nets, err := s.store.NetworkLifetimes(ctx)
	if err != nil || len(nets) == 0 {
		return err
	}
	for _, f := range []struct {
		name, help string
		value      func(usage.Totals) uint64
	}{
		{"pb_network_receive_bytes_total", "Bytes received on the network (all interfaces, as of the daemon's last write).", func(t usage.Totals) uint64 { return t.Rx }},
		{"pb_network_transmit_bytes_total", "Bytes transmitted on the network (all interfaces, as of the daemon's last write).", func(t usage.Totals) uint64 { return t.Tx }},
	} {
		m.family(f.name, "counter", f.help)
		for _, n := range nets {
			m.sample(f.name, `network="`+escapeLabel(n.Name)+`",metered="`+strconv.FormatBool(n.Metered)+`"`, f.value(n.Totals))
		}
	}
	return nil
}

// appMetrics writes today's traffic of the AppsMetricsTop largest apps
// (unattributed among them, when it is that large) and of all the others
// as one app="other" series, so the series add up to today's per-app
// total and their number stays bounded whatever runs on the machine. An
// app is labelled by its name and executable path.
func (s *Server) appMetrics(ctx context.Context, m *metricsWriter, day usage.Date) error {
	a, err := s.q.Apps(ctx, day, day, usage.Filter{})
	if err != nil {
		return err
	}
	if len(a.Apps) == 0 {
		return nil
	}
	type series struct {
		labels string
		usage.Totals
	}
	var rows []series
	var other usage.Totals
	for i, x := range a.Apps { // largest first
		if i < s.set.AppsMetricsTop {
			rows = append(rows, series{`app="` + escapeLabel(x.App.Name) + `",path="` + escapeLabel(x.App.Path) + `"`, x.Totals})
		} else {
			other = other.Add(x.Totals)
		}
	}
	if len(a.Apps) > s.set.AppsMetricsTop {
		rows = append(rows, series{`app="other",path=""`, other})
	}
	for _, f := range []struct {
		name, help string
		v          func(usage.Totals) uint64
	}{
		{"pb_app_today_receive_bytes", "Bytes received today (local day) by the application, as far as written (see [apps] metrics_top).", func(t usage.Totals) uint64 { return t.Rx }},
		{"pb_app_today_transmit_bytes", "Bytes transmitted today (local day) by the application, as far as written (see [apps] metrics_top).", func(t usage.Totals) uint64 { return t.Tx }},
	} {
		m.family(f.name, "gauge", f.help)
		for _, r := range rows {
			m.sample(f.name, r.labels, f.v(r.Totals))
		}
	}
	return nil
}
