package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/report"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Handlers of the export group: /api/export (json, csv, html, llm, toon),
// /api/export/llm, /api/export/wrapup and /api/exports/generate.

// exportJSON is the v1 export document.
type exportJSON struct {
	Metadata    exportMeta    `json:"metadata"`
	Summary     exportSummary `json:"summary"`
	MonthlyData []monthRow    `json:"monthly_data"`
	DailyData   []dayRow      `json:"daily_data"`
	// NetworkData is an extension: traffic per network over the tracked
	// days, the unknown network included.
	NetworkData []exportNetwork `json:"network_data"`
	// AppData is each application's traffic per day, with by=app only
	// (then [] when there is none).
	AppData *[]appDayRow `json:"app_data,omitempty"`
}

type exportNetwork struct {
	Name    string `json:"name"`
	Metered bool   `json:"metered"`
	appBytes
}

// appDayRow is one application's traffic on one day in an export by=app.
type appDayRow struct {
	Date string `json:"date"`
	usage.App
	appBytes
}

type exportMeta struct {
	ExportedAt     string         `json:"exported_at"`
	Device         exportDevice   `json:"device"`
	TrackingPeriod trackingPeriod `json:"tracking_period"`
	Timezone       string         `json:"timezone"`
}

type exportDevice struct {
	Hostname string `json:"hostname"`
	OSType   string `json:"os_type"`
	DeviceID string `json:"device_id"`
}

type trackingPeriod struct {
	FirstDate *string `json:"first_date"`
	LastDate  *string `json:"last_date"`
	TotalDays int     `json:"total_days"`
}

type exportSummary struct {
	Totals    usageBlock    `json:"totals"`
	Averages  exportAverage `json:"averages"`
	PeakSpeed exportPeak    `json:"peak_speed"`
	PeakDay   *exportDay    `json:"peak_day"`
	Cost      costBlock     `json:"cost"`
}

type exportAverage struct {
	DailyBytes uint64 `json:"daily_bytes"`
	DailyHuman string `json:"daily_human"`
}

type exportPeak struct {
	BytesPerSecond uint64 `json:"bytes_per_second"`
	HumanReadable  string `json:"human_readable"`
}

type exportDay struct {
	Date  string `json:"date"`
	Bytes uint64 `json:"bytes"`
	Human string `json:"human"`
}

type monthRow struct {
	Month         string `json:"month"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
}

// exportAll builds the report over everything tracked (up to today).
func (s *Server) exportAll(r *http.Request, now time.Time, kind, title string) (*query.Report, error) {
	from, to, err := s.q.ExportSpan(r.Context(), now)
	if err != nil {
		return nil, err
	}
	return s.buildReport(r.Context(), now, kind, title, from, to)
}

// buildReport computes a report over from..to (inclusive).
func (s *Server) buildReport(ctx context.Context, now time.Time, kind, title string, from, to usage.Date) (*query.Report, error) {
	return s.q.Report(ctx, now, query.Device{Hostname: s.d.Hostname, OSType: s.d.OSType, DeviceID: s.d.DeviceID}, kind, title, from, to)
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	format, err := p.enum("format", "json", "json", "csv", "html", "llm", "toon", "markdown")
	if err != nil {
		return err
	}
	// Extension: by=app adds the per-app traffic of each day (csv: one
	// row per day and app instead of per day; json: app_data).
	by, err := p.enum("by", "day", "day", "app")
	if err != nil {
		return err
	}
	if by == "app" && format != "csv" && format != "json" {
		return badRequest("by=app is for format=csv and format=json only.")
	}
	now := s.now()
	// Extension: from/to (YYYY-MM-DD, either optional) narrow the export;
	// without them it covers everything tracked.
	from, okF, err := p.date("from", "from_date")
	if err != nil {
		return err
	}
	to, okT, err := p.date("to", "to_date")
	if err != nil {
		return err
	}
	var d *query.Report
	if okF || okT {
		today := usage.DateOf(now.In(s.loc))
		if !okT {
			to = today
		}
		if !okF {
			from = to
			if l, err := s.q.Lifetime(r.Context(), now); err != nil {
				return err
			} else if l.Tracked && l.First.Before(to) {
				from = l.First
			}
		}
		if from.After(to) {
			return badRequest("The range starts (%s) after it ends (%s); swap from and to.", from, to)
		}
		if n := from.DaysUntil(to) + 1; okF && n > maxRangeDays {
			return badRequest("The range %s to %s has %d days; at most %d days can be asked for at once (leave out from to export everything).", from, to, n, maxRangeDays)
		}
		d, err = s.buildReport(r.Context(), now, query.KindExport, "PacketBuddy export "+from.String()+" to "+to.String(), from, to)
	} else {
		d, err = s.exportAll(r, now, query.KindExport, "PacketBuddy export")
	}
	if err != nil {
		return err
	}
	stamp := dateString(usage.DateOf(now.In(s.loc)))
	var apps []query.AppDay
	if by == "app" && d.DaysTracked > 0 {
		if apps, err = s.q.AppDays(r.Context(), d.FirstDate, d.LastDate, usage.Filter{}); err != nil {
			return err
		}
	}
	switch format {
	case "json":
		doc := s.enc.exportDocument(d)
		if by == "app" {
			rows := make([]appDayRow, 0, len(apps))
			for _, a := range apps {
				rows = append(rows, appDayRow{Date: a.Date.String(), App: a.App, appBytes: newAppBytes(a.Totals)})
			}
			doc.AppData = &rows
		}
		b, err := marshal(doc)
		return writeBytes(w, b, err)
	case "csv":
		b, err := ExportCSV(d)
		if by == "app" {
			b, err = ExportAppsCSV(apps)
		}
		if err != nil {
			return err
		}
		attachment(w, "packetbuddy_export.csv")
		writeBody(w, "text/csv; charset=utf-8", b)
		return nil
	case "llm", "toon":
		return s.writeReport(w, report.FormatTOON, d, "packetbuddy_export_"+stamp+".toon")
	case "markdown":
		return s.writeReport(w, report.FormatMarkdown, d, "packetbuddy_export_"+stamp+".md")
	default:
		return s.writeReport(w, report.FormatHTML, d, "packetbuddy_export_"+stamp+".html")
	}
}

// ExportCSV is the CSV export: one row per day.
func ExportCSV(d *query.Report) ([]byte, error) {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"date", "bytes_sent", "bytes_received", "total_bytes", "peak_speed"})
	for _, day := range d.Days {
		_ = cw.Write([]string{day.Date.String(), u64(day.Tx), u64(day.Rx), u64(day.Total()), u64(day.PeakBytesPerSec)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return b.Bytes(), nil
}

// ExportAppsCSV is the CSV export by=app: one row per day and app, the
// apps of a day ("unattributed" included) adding up to its per-app total.
func ExportAppsCSV(days []query.AppDay) ([]byte, error) {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"date", "app", "path", "unit", "package", "bytes_sent", "bytes_received", "total_bytes"})
	for _, a := range days {
		_ = cw.Write([]string{a.Date.String(), a.App.Name, a.App.Path, a.App.Unit, a.App.Package, u64(a.Tx), u64(a.Rx), u64(a.Total())})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return b.Bytes(), nil
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// Export is the v1 JSON export of a report (/api/export).
func (e *Encoder) Export(d *query.Report) ([]byte, error) { return marshal(e.exportDocument(d)) }

func (e *Encoder) exportDocument(d *query.Report) exportJSON {
	doc := exportJSON{
		Metadata: exportMeta{
			ExportedAt: d.GeneratedAt.Format(time.RFC3339),
			Device:     exportDevice{Hostname: d.Device.Hostname, OSType: d.Device.OSType, DeviceID: d.Device.DeviceID},
			Timezone:   d.Timezone,
		},
		Summary: exportSummary{
			Totals:    e.usageBlock(d.Totals, 0),
			Averages:  exportAverage{DailyBytes: d.DailyAverage.Total(), DailyHuman: units.FormatBytesBase(d.DailyAverage.Total(), e.price.Base)},
			PeakSpeed: exportPeak{BytesPerSecond: d.PeakSpeed, HumanReadable: units.FormatSpeedBase(d.PeakSpeed, e.price.Base)},
			Cost:      e.costBlock(d.Totals, e.price.Rate),
		},
		MonthlyData: make([]monthRow, 0, len(d.Months)),
		DailyData:   make([]dayRow, 0, len(d.Days)),
	}
	if d.DaysTracked > 0 {
		f, l := d.FirstDate.String(), d.LastDate.String()
		doc.Metadata.TrackingPeriod = trackingPeriod{FirstDate: &f, LastDate: &l, TotalDays: d.DaysTracked}
	}
	if d.PeakDay.Total() > 0 {
		doc.Summary.PeakDay = &exportDay{Date: d.PeakDay.Date.String(), Bytes: d.PeakDay.Total(), Human: units.FormatBytesBase(d.PeakDay.Total(), e.price.Base)}
	}
	for _, m := range d.Months {
		doc.MonthlyData = append(doc.MonthlyData, monthRow{Month: fmt.Sprintf("%04d-%02d", m.Year, m.Month), BytesSent: m.Tx, BytesReceived: m.Rx, TotalBytes: m.Total()})
	}
	for _, day := range d.Days {
		doc.DailyData = append(doc.DailyData, newDayRow(day))
	}
	doc.NetworkData = make([]exportNetwork, 0, len(d.Networks))
	for _, n := range d.Networks {
		doc.NetworkData = append(doc.NetworkData, exportNetwork{Name: n.Name, Metered: n.Metered, appBytes: newAppBytes(n.Totals)})
	}
	return doc
}

// writeReport renders d with internal/report as a download.
func (s *Server) writeReport(w http.ResponseWriter, format string, d *query.Report, filename string) error {
	var b bytes.Buffer
	if err := report.Render(&b, format, d); err != nil {
		return fmt.Errorf("render %s report: %w", format, err)
	}
	ct := map[string]string{
		report.FormatHTML:     "text/html; charset=utf-8",
		report.FormatMarkdown: "text/markdown; charset=utf-8",
		report.FormatTOON:     ctText,
	}[format]
	if format == report.FormatHTML {
		// The report carries its own small stylesheet and nothing else.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	}
	attachment(w, filename)
	writeBody(w, ct, b.Bytes())
	return nil
}

func (s *Server) handleExportLLM(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	d, err := s.exportAll(r, now, query.KindExport, "PacketBuddy export")
	if err != nil {
		return err
	}
	return s.writeReport(w, report.FormatTOON, d, "packetbuddy_export_"+dateString(usage.DateOf(now.In(s.loc)))+".toon")
}

// handleWrapup is the year in review: format=html|toon, year=YYYY
// (extension; default the current year), up to today.
func (s *Server) handleWrapup(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	format, err := p.enum("format", report.FormatHTML, report.FormatHTML, report.FormatTOON, "llm", report.FormatMarkdown)
	if err != nil {
		return err
	}
	now := s.now()
	today := usage.DateOf(now.In(s.loc))
	year, err := p.intParam("year", today.Year, minDate.Year, maxDate.Year)
	if err != nil {
		return err
	}
	from := usage.Date{Year: year, Month: time.January, Day: 1}
	to := usage.Date{Year: year, Month: time.December, Day: 31}
	if to.After(today) {
		to = today
	}
	if from.After(to) {
		return badRequest("Year %d has not started yet.", year)
	}
	d, err := s.buildReport(r.Context(), now, query.KindWrapup, fmt.Sprintf("PacketBuddy %d wrap-up", year), from, to)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("packetbuddy_wrapup_%d", year)
	switch format {
	case report.FormatTOON, "llm":
		return s.writeReport(w, report.FormatTOON, d, name+".toon")
	case report.FormatMarkdown:
		return s.writeReport(w, report.FormatMarkdown, d, name+".md")
	}
	return s.writeReport(w, report.FormatHTML, d, name+".html")
}

// handleGenerate is a report over a chosen range:
// range_type=today|week|month|year|all|custom (default month),
// format=html|markdown (default html), start_date and end_date for custom.
// An empty range is a report that says so.
func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	rangeType, err := p.enum("range_type", "month", "today", "week", "month", "year", "all", "custom")
	if err != nil {
		return err
	}
	format, err := p.enum("format", report.FormatHTML, report.FormatHTML, report.FormatMarkdown, "md", report.FormatTOON)
	if err != nil {
		return err
	}
	if format == "md" {
		format = report.FormatMarkdown
	}
	now := s.now()
	today := usage.DateOf(now.In(s.loc))
	var from, to usage.Date
	if rangeType == "custom" {
		if from, to, err = p.dateRange([]string{"start_date"}, []string{"end_date"}, usage.Date{}, usage.Date{}, true); err != nil {
			return err
		}
	} else {
		if _, got, _ := p.get("start_date"); got != "" {
			return badRequest("start_date is only used with range_type=custom.")
		}
		if _, got, _ := p.get("end_date"); got != "" {
			return badRequest("end_date is only used with range_type=custom.")
		}
		to = today
		switch rangeType {
		case "today":
			from = today
		case "week":
			from = today.AddDays(-6)
		case "month":
			from = usage.Date{Year: today.Year, Month: today.Month, Day: 1}
		case "year":
			from = usage.Date{Year: today.Year, Month: time.January, Day: 1}
		case "all":
			from = today
			l, err := s.q.Lifetime(r.Context(), now)
			if err != nil {
				return err
			}
			if l.Tracked && l.First.Before(today) {
				from = l.First // "all" starts at the first tracked day
			}
		}
	}
	d, err := s.buildReport(r.Context(), now, query.KindReport, "PacketBuddy report "+from.String()+" to "+to.String(), from, to)
	if err != nil {
		return err
	}
	ext := map[string]string{report.FormatHTML: ".html", report.FormatMarkdown: ".md", report.FormatTOON: ".toon"}[format]
	return s.writeReport(w, format, d, "packetbuddy_report_"+from.String()+ext)
}
