package api

import (
	"bytes"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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
	life, err := s.store.InterfaceLifetimes(ctx)
	if err != nil {
		return err
	}
	today, err := s.today(ctx, now)
	if err != nil {
		return err
	}
	monthFirst := usage.Date{Year: today.date.Year, Month: today.date.Month, Day: 1}
	days, err := s.days(ctx, now, monthFirst, today.date)
	if err != nil {
		return err
	}
	var month usage.Totals
	for _, d := range days {
		month = month.Add(d.Totals)
	}
	live := s.mon.Live()
	st := s.mon.Status()

	// One series per interface name: history is kept per (name, MAC), but a
	// counter per name is what dashboards graph, and a sum of counters that
	// never decrease never decreases either.
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

	var b bytes.Buffer
	b.Grow(4096)
	family := func(name, typ, help string) {
		b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
	}
	sample := func(name, labels string, v uint64) {
		b.WriteString(name)
		if labels != "" {
			b.WriteString("{" + labels + "}")
		}
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(v, 10))
		b.WriteByte('\n')
	}
	ifLabel := func(n string) string { return `interface="` + escapeLabel(n) + `"` }

	family("pb_interface_receive_bytes_total", "counter", "Bytes received on the interface since PacketBuddy first saw it (stored plus not yet written).")
	for _, n := range names {
		sample("pb_interface_receive_bytes_total", ifLabel(n), byName[n].totals.Rx)
	}
	family("pb_interface_transmit_bytes_total", "counter", "Bytes transmitted on the interface since PacketBuddy first saw it (stored plus not yet written).")
	for _, n := range names {
		sample("pb_interface_transmit_bytes_total", ifLabel(n), byName[n].totals.Tx)
	}
	family("pb_interface_info", "gauge", "Interface description: kind and whether it counts in the totals (1 per interface).")
	for _, n := range names {
		m := byName[n]
		sample("pb_interface_info", ifLabel(n)+`,kind="`+escapeLabel(m.kind)+`",counted="`+strconv.FormatBool(m.counted)+`"`, 1)
	}
	family("pb_interface_up", "gauge", "Whether the interface was present at the latest poll.")
	for _, n := range names {
		sample("pb_interface_up", ifLabel(n), boolValue(byName[n].active))
	}
	family("pb_interface_receive_bytes_per_second", "gauge", "Live receive speed of the interface at the latest poll.")
	for _, n := range names {
		sample("pb_interface_receive_bytes_per_second", ifLabel(n), byName[n].rate.RxPerSec)
	}
	family("pb_interface_transmit_bytes_per_second", "gauge", "Live transmit speed of the interface at the latest poll.")
	for _, n := range names {
		sample("pb_interface_transmit_bytes_per_second", ifLabel(n), byName[n].rate.TxPerSec)
	}

	family("pb_receive_bytes_per_second", "gauge", "Live receive speed of the counted interfaces.")
	sample("pb_receive_bytes_per_second", "", live.Total.RxPerSec)
	family("pb_transmit_bytes_per_second", "gauge", "Live transmit speed of the counted interfaces.")
	sample("pb_transmit_bytes_per_second", "", live.Total.TxPerSec)
	family("pb_today_receive_bytes", "gauge", "Bytes received today (local day) on the counted interfaces.")
	sample("pb_today_receive_bytes", "", today.totals.Rx)
	family("pb_today_transmit_bytes", "gauge", "Bytes transmitted today (local day) on the counted interfaces.")
	sample("pb_today_transmit_bytes", "", today.totals.Tx)
	family("pb_today_peak_bytes_per_second", "gauge", "Highest counted speed (receive plus transmit) today.")
	sample("pb_today_peak_bytes_per_second", "", today.peak)
	family("pb_month_receive_bytes", "gauge", "Bytes received this calendar month (local) on the counted interfaces.")
	sample("pb_month_receive_bytes", "", month.Rx)
	family("pb_month_transmit_bytes", "gauge", "Bytes transmitted this calendar month (local) on the counted interfaces.")
	sample("pb_month_transmit_bytes", "", month.Tx)

	if len(s.d.Plans) > 0 {
		// The plans are extra: if they cannot be read, the rest still is.
		if err := s.planMetrics(r, now, family, sample); err != nil {
			s.log.Warn("plan gauges left out of /metrics", "err", err)
		}
	}

	family("pb_monitor_polls_total", "counter", "Counter readings taken since the daemon started.")
	sample("pb_monitor_polls_total", "", st.Polls)
	family("pb_monitor_flush_errors_total", "counter", "Failed database writes since the daemon started (the data stays in memory and is retried).")
	sample("pb_monitor_flush_errors_total", "", st.FlushErrors)
	family("pb_monitor_discarded_samples_total", "counter", "Counter jumps discarded as impossibly fast since the daemon started.")
	sample("pb_monitor_discarded_samples_total", "", st.Discarded)
	family("pb_monitor_pending_buckets", "gauge", "Time buckets counted but not yet written to the database.")
	sample("pb_monitor_pending_buckets", "", uint64(max(st.Pending, 0)))
	family("pb_monitor_last_flush_success", "gauge", "1 if the latest database write succeeded (or none failed yet), 0 if it failed.")
	sample("pb_monitor_last_flush_success", "", boolValue(st.LastFlushError == ""))
	family("pb_monitor_last_flush_timestamp_seconds", "gauge", "Unix time of the latest successful database write (0: none yet).")
	sample("pb_monitor_last_flush_timestamp_seconds", "", unixSeconds(st.LastFlush))
	family("pb_monitor_last_poll_timestamp_seconds", "gauge", "Unix time of the latest counter reading (0: none yet).")
	sample("pb_monitor_last_poll_timestamp_seconds", "", unixSeconds(st.LastPoll))
	family("pb_start_time_seconds", "gauge", "Unix time the monitor started (0: not running).")
	sample("pb_start_time_seconds", "", unixSeconds(st.Started))
	family("pb_database_size_bytes", "gauge", "Size of the database file and its write-ahead log.")
	sample("pb_database_size_bytes", "", uint64(max(s.dbSize(), 0)))
	family("pb_build_info", "gauge", "Build information (always 1).")
	sample("pb_build_info", `version="`+escapeLabel(s.d.Version)+`",release_date="`+escapeLabel(s.d.ReleaseDate)+`",goversion="`+escapeLabel(runtime.Version())+`"`, 1)

	writeBody(w, "text/plain; version=0.0.4; charset=utf-8", b.Bytes())
	return nil
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
