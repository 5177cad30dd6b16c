package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// maxChartDays is how many days the daily chart shows (the last ones); the
// daily table lists every day.
const maxChartDays = 92

// Chart geometry in SVG user units (the SVG scales to the page width).
const (
	chartW   = 720
	chartH   = 200
	chartTop = 10
	chartBot = 24 // room for labels
	chartL   = 72 // room for the axis labels
)

// bar is one bar (download below, upload stacked on top) of a chart.
type bar struct {
	X, W           float64
	RxY, RxH       float64
	TxY, TxH       float64
	Label, Tooltip string
	ShowLabel      bool
}

// tick is a horizontal grid line with its label.
type tick struct {
	Y     float64
	Label string
}

type chart struct {
	Bars  []bar
	Ticks []tick
	W, H  int
	Base  float64 // y of the axis
	Left  int
}

// view is what the template reads; html/template escapes every string.
type view struct {
	*query.Report
	MonthChart, DayChart *chart
	DayChartNote         string
	RxPct, TxPct         float64
	RxW, TxW             float64
	Note                 string
}

func (v view) Bytes(n uint64) string { return units.FormatBytesBase(n, v.UnitBase) }
func (v view) Speed(n uint64) string { return units.FormatSpeedBase(n, v.UnitBase) }

// GB names the unit the price is per: GB, or GiB with iec units (the cost
// counts gigabytes in the same base).
func (v view) GB() string { return gbName(v.UnitBase) }
func (v view) Month(m usage.MonthTotals) string {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC).Format("January 2006")
}
func (v view) Generated() string { return v.GeneratedAt.Format("2006-01-02 15:04 MST") }
func (v view) Ratio() string {
	if v.Totals.Rx == 0 || math.IsInf(v.UploadRatio, 0) || math.IsNaN(v.UploadRatio) {
		return "n/a"
	}
	return strconv.FormatFloat(v.UploadRatio, 'f', 2, 64)
}
func (v view) Float(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
func (v view) Pct(f float64) string   { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }
func (v view) PeakAt() string {
	if v.PeakSpeedAt.IsZero() {
		return ""
	}
	return v.PeakSpeedAt.Format("2006-01-02 15:04 MST")
}
func (v view) N(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func renderHTML(w io.Writer, d *query.Report) error {
	v := view{Report: d, Note: personalityNote(d.Personality)}
	if t := d.Totals.Total(); t > 0 {
		v.RxPct = 100 * float64(d.Totals.Rx) / float64(t)
		v.TxPct = 100 - v.RxPct
		v.RxW = math.Round(v.RxPct*10) / 10
		v.TxW = 100 - v.RxW
	}
	if len(d.Months) > 0 {
		bars := make([]usage.DayTotals, 0, len(d.Months))
		labels := make([]string, 0, len(d.Months))
		for _, m := range d.Months {
			bars = append(bars, usage.DayTotals{Totals: m.Totals})
			labels = append(labels, time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC).Format("Jan 06"))
		}
		v.MonthChart = makeChart(bars, labels, d.UnitBase, 12)
	}
	if len(d.Days) > 1 {
		days := d.Days
		if len(days) > maxChartDays {
			days = days[len(days)-maxChartDays:]
			v.DayChartNote = fmt.Sprintf("The last %d days; the table below lists all %d.", maxChartDays, len(d.Days))
		}
		labels := make([]string, len(days))
		for i, day := range days {
			labels[i] = day.Date.String()[5:]
		}
		v.DayChart = makeChart(days, labels, d.UnitBase, 8)
	}
	return reportTemplate().Execute(w, v)
}

// makeChart lays out stacked bars (download, then upload) scaled to the
// largest total, with about maxLabels labels under them.
func makeChart(vals []usage.DayTotals, labels []string, base units.Base, maxLabels int) *chart {
	c := &chart{W: chartW, H: chartH, Left: chartL, Base: chartH - chartBot}
	var top uint64
	for _, v := range vals {
		top = max(top, v.Total())
	}
	if top == 0 {
		top = 1
	}
	top = niceCeil(top)
	plotH := float64(chartH - chartBot - chartTop)
	for i := 0; i <= 4; i++ {
		val := top * uint64(i) / 4
		c.Ticks = append(c.Ticks, tick{Y: c.Base - plotH*float64(i)/4, Label: units.FormatBytesBase(val, base)})
	}
	slot := float64(chartW-chartL) / float64(len(vals))
	gap := math.Min(slot*0.2, 4)
	every := (len(vals) + maxLabels - 1) / maxLabels
	for i, v := range vals {
		rxH := plotH * float64(v.Rx) / float64(top)
		txH := plotH * float64(v.Tx) / float64(top)
		b := bar{
			X: float64(chartL) + float64(i)*slot + gap/2, W: slot - gap,
			RxY: c.Base - rxH, RxH: rxH,
			TxY: c.Base - rxH - txH, TxH: txH,
			Label:     labels[i],
			Tooltip:   labels[i] + ": " + units.FormatBytesBase(v.Total(), base) + " (down " + units.FormatBytesBase(v.Rx, base) + ", up " + units.FormatBytesBase(v.Tx, base) + ")",
			ShowLabel: i%every == 0,
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten.
func niceCeil(n uint64) uint64 {
	p := uint64(1)
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []uint64{1, 2, 5, 10} {
		if p*m >= n {
			return p * m
		}
	}
	return p * 10
}

var funcs = template.FuncMap{
	"add":   func(a, b float64) float64 { return a + b },
	"half":  func(a float64) float64 { return a / 2 },
	"float": func(i int) float64 { return float64(i) },
	"lower": strings.ToLower,
}

// reportTemplate is parsed on first use: parsing at start-up left ~60 KB of
// live heap and more garbage in every pb serve that never renders a report.
var reportTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(funcs).Parse(reportHTML))
})

const reportHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="PacketBuddy">
<title>{{.Title}}</title>
<style>
:root{--fg:#1d2430;--muted:#5b6573;--line:#dde2e8;--card:#f6f8fa;--rx:#2f80ed;--tx:#f2994a;--accent:#27ae60}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);max-width:60rem;margin:2rem auto;padding:0 1.25rem;background:#fff}
h1{font-size:1.7rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0 0 1.5rem}
.empty{padding:1rem;border:1px dashed var(--muted);border-radius:8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.75rem 1rem}
.card .k{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:1.35rem;font-weight:650;font-variant-numeric:tabular-nums}
.card .s{color:var(--muted);font-size:.85rem}
.split{display:flex;height:1.4rem;border-radius:6px;overflow:hidden;margin:.4rem 0}
.split .rx{background:var(--rx)}.split .tx{background:var(--tx)}
.legend{display:flex;gap:1.5rem;color:var(--muted);font-size:.9rem}
.sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.35em;vertical-align:-.05em}
.persona{display:flex;gap:1rem;align-items:center}
.badge{font-weight:700;font-size:1.1rem;padding:.35rem .8rem;border-radius:999px;background:var(--accent);color:#fff;white-space:nowrap}
svg{width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
svg .grid{stroke:var(--line);stroke-width:1}
svg .rx{fill:var(--rx)}svg .tx{fill:var(--tx)}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .6rem;border-bottom:1px solid var(--line);text-align:right}
th{font-weight:600;color:var(--muted);font-size:.85rem}
th:first-child,td:first-child{text-align:left}
.note{color:var(--muted);font-size:.85rem}
footer{margin:2.5rem 0 1rem;color:var(--muted);font-size:.8rem}
@media print{
  body{margin:0;max-width:none;font-size:11pt}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .card,.chart,table,tr{break-inside:avoid}
  h2{break-after:avoid}
  .card{background:#fff}
  @page{margin:1.5cm}
}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="meta">{{.Device.Hostname}} ({{.Device.OSType}}) · {{.From}} to {{.To}} · {{.Timezone}} · generated {{.Generated}}</p>
</header>
{{if .Empty}}<p class="empty"><strong>No traffic was recorded between {{.From}} and {{.To}}.</strong> Leave PacketBuddy running and come back later.</p>{{end}}
<section>
<h2>Summary</h2>
<div class="cards">
<div class="card"><div class="k">Total</div><div class="v">{{.Bytes .Totals.Total}}</div><div class="s">{{.DaysTracked}} days tracked</div></div>
<div class="card"><div class="k">Downloaded</div><div class="v">{{.Bytes .Totals.Rx}}</div><div class="s">{{.Pct .RxPct}}</div></div>
<div class="card"><div class="k">Uploaded</div><div class="v">{{.Bytes .Totals.Tx}}</div><div class="s">{{.Pct .TxPct}}</div></div>
<div class="card"><div class="k">Daily average</div><div class="v">{{.Bytes .DailyAverage.Total}}</div><div class="s">over the days tracked</div></div>
<div class="card"><div class="k">Peak speed</div><div class="v">{{.Speed .PeakSpeed}}</div><div class="s">{{with .PeakAt}}{{.}}{{else}}&nbsp;{{end}}</div></div>
<div class="card"><div class="k">Busiest day</div><div class="v">{{if .PeakDay.Total}}{{.Bytes .PeakDay.Total}}{{else}}–{{end}}</div><div class="s">{{if .PeakDay.Total}}{{.PeakDay.Date}}{{else}}&nbsp;{{end}}</div></div>
<div class="card"><div class="k">Cost</div><div class="v">{{.Cost.TotalFormatted}}</div><div class="s">at {{.Cost.RateFormatted}} per {{.GB}}</div></div>
</div>
</section>
<section>
<h2>Download, upload and personality</h2>
{{if .Totals.Total}}<div class="split" role="img" aria-label="Downloaded {{.Pct .RxPct}}, uploaded {{.Pct .TxPct}}"><div class="rx" style="width:{{.N .RxW}}%"></div><div class="tx" style="width:{{.N .TxW}}%"></div></div>{{end}}
<div class="legend"><span><span class="sw" style="background:var(--rx)"></span>Downloaded {{.Bytes .Totals.Rx}}</span><span><span class="sw" style="background:var(--tx)"></span>Uploaded {{.Bytes .Totals.Tx}}</span><span>Upload/download ratio {{.Ratio}}</span></div>
<div class="persona" style="margin-top:1rem"><span class="badge">{{.Personality}}</span><span>{{.Note}}</span></div>
</section>
<section>
<h2>In other words</h2>
<div class="cards">
<div class="card"><div class="k">DVDs (4.7 GB)</div><div class="v">{{.Float .DVDs}}</div></div>
<div class="card"><div class="k">HD movies (5 GB)</div><div class="v">{{.Float .HDMovies}}</div></div>
<div class="card"><div class="k">Download cost</div><div class="v">{{.Cost.DownloadFormatted}}</div></div>
<div class="card"><div class="k">Upload cost</div><div class="v">{{.Cost.UploadFormatted}}</div></div>
</div>
</section>
{{with .MonthChart}}<section class="chart">
<h2>By month</h2>
<svg viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Traffic by month">
{{range .Ticks}}<line class="grid" x1="{{$.MonthChart.Left}}" x2="{{$.MonthChart.W}}" y1="{{.Y}}" y2="{{.Y}}"/><text x="{{add (float $.MonthChart.Left) -6}}" y="{{add .Y 4}}" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Bars}}<g><title>{{.Tooltip}}</title><rect class="rx" x="{{.X}}" y="{{.RxY}}" width="{{.W}}" height="{{.RxH}}"/><rect class="tx" x="{{.X}}" y="{{.TxY}}" width="{{.W}}" height="{{.TxH}}"/>{{if .ShowLabel}}<text x="{{add .X (half .W)}}" y="{{add $.MonthChart.Base 16}}" text-anchor="middle">{{.Label}}</text>{{end}}</g>
{{end}}</svg>
</section>{{end}}
{{if .Months}}<table>
<thead><tr><th>Month</th><th>Downloaded</th><th>Uploaded</th><th>Total</th></tr></thead>
<tbody>{{range .Months}}<tr><td>{{$.Month .}}</td><td>{{$.Bytes .Rx}}</td><td>{{$.Bytes .Tx}}</td><td>{{$.Bytes .Total}}</td></tr>
{{end}}</tbody></table>{{end}}
{{with .DayChart}}<section class="chart">
<h2>By day</h2>
<svg viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Traffic by day">
{{range .Ticks}}<line class="grid" x1="{{$.DayChart.Left}}" x2="{{$.DayChart.W}}" y1="{{.Y}}" y2="{{.Y}}"/><text x="{{add (float $.DayChart.Left) -6}}" y="{{add .Y 4}}" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Bars}}<g><title>{{.Tooltip}}</title><rect class="rx" x="{{.X}}" y="{{.RxY}}" width="{{.W}}" height="{{.RxH}}"/><rect class="tx" x="{{.X}}" y="{{.TxY}}" width="{{.W}}" height="{{.TxH}}"/>{{if .ShowLabel}}<text x="{{add .X (half .W)}}" y="{{add $.DayChart.Base 16}}" text-anchor="middle">{{.Label}}</text>{{end}}</g>
{{end}}</svg>
{{with $.DayChartNote}}<p class="note">{{.}}</p>{{end}}
</section>{{end}}
{{if .Days}}{{if not .DayChart}}<h2>By day</h2>{{end}}<table>
<thead><tr><th>Date</th><th>Downloaded</th><th>Uploaded</th><th>Total</th><th>Peak speed</th></tr></thead>
<tbody>{{range .Days}}<tr><td>{{.Date}}</td><td>{{$.Bytes .Rx}}</td><td>{{$.Bytes .Tx}}</td><td>{{$.Bytes .Total}}</td><td>{{$.Speed .PeakBytesPerSec}}</td></tr>
{{end}}</tbody></table>{{end}}
<footer>PacketBuddy report · device {{.Device.DeviceID}} · bytes in {{.UnitBase}} units</footer>
</body>
</html>
`
