package api

import (
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// basicReporter is the built-in minimal Reporter: correct, escaped and
// well-formed HTML, Markdown and TOON, with no styling ambitions. A later
// internal/report package replaces it through Deps.Reporter.
type basicReporter struct{}

func (basicReporter) Render(w io.Writer, format string, d *ReportData) error {
	switch format {
	case FormatHTML:
		return reportHTML.Execute(w, htmlView{d})
	case FormatMarkdown:
		return renderMarkdown(w, d)
	case FormatTOON:
		return renderTOON(w, d)
	}
	return fmt.Errorf("report format %q is not supported", format)
}

// htmlView gives the template formatted values; html/template escapes them.
type htmlView struct{ *ReportData }

func (v htmlView) Bytes(n uint64) string            { return units.FormatBytesBase(n, v.UnitBase) }
func (v htmlView) Speed(n uint64) string            { return units.FormatSpeedBase(n, v.UnitBase) }
func (v htmlView) Month(m usage.MonthTotals) string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }
func (v htmlView) Generated() string                { return v.GeneratedAt.Format(time.RFC3339) }
func (v htmlView) Ratio() string                    { return ratioString(v.UploadRatio) }
func (v htmlView) Float(f float64) string           { return formatFloat(f, 2) }
func (v htmlView) PeakAt() string {
	if v.PeakSpeedAt.IsZero() {
		return ""
	}
	return v.PeakSpeedAt.Format("2006-01-02 15:04 MST")
}

var reportHTML = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Device.Hostname}} ({{.Device.OSType}}) · {{.From}} to {{.To}} · {{.Timezone}} · generated {{.Generated}}</p>
{{if .Empty}}<p><strong>No traffic was recorded between {{.From}} and {{.To}}.</strong></p>{{end}}
<h2>Summary</h2>
<table>
<tr><th>Total</th><td>{{.Bytes .Totals.Total}}</td></tr>
<tr><th>Downloaded</th><td>{{.Bytes .Totals.Rx}}</td></tr>
<tr><th>Uploaded</th><td>{{.Bytes .Totals.Tx}}</td></tr>
<tr><th>Days tracked</th><td>{{.DaysTracked}}</td></tr>
<tr><th>Daily average</th><td>{{.Bytes .DailyAverage.Total}}</td></tr>
<tr><th>Peak speed</th><td>{{.Speed .PeakSpeed}}{{with .PeakAt}} ({{.}}){{end}}</td></tr>
{{if .PeakDay.Total}}<tr><th>Busiest day</th><td>{{.PeakDay.Date}}: {{.Bytes .PeakDay.Total}}</td></tr>{{end}}
<tr><th>Upload/download ratio</th><td>{{.Ratio}}</td></tr>
<tr><th>Personality</th><td>{{.Personality}}</td></tr>
<tr><th>That is</th><td>{{.Float .DVDs}} DVDs (4.7 GB) or {{.Float .HDMovies}} HD movies (5 GB)</td></tr>
<tr><th>Cost at {{.Cost.RateFormatted}}/GB</th><td>{{.Cost.TotalFormatted}}</td></tr>
</table>
{{if .Months}}<h2>By month</h2>
<table>
<tr><th>Month</th><th>Downloaded</th><th>Uploaded</th><th>Total</th></tr>
{{range .Months}}<tr><td>{{$.Month .}}</td><td>{{$.Bytes .Rx}}</td><td>{{$.Bytes .Tx}}</td><td>{{$.Bytes .Total}}</td></tr>
{{end}}</table>{{end}}
{{if .Days}}<h2>By day</h2>
<table>
<tr><th>Date</th><th>Downloaded</th><th>Uploaded</th><th>Total</th><th>Peak speed</th></tr>
{{range .Days}}<tr><td>{{.Date}}</td><td>{{$.Bytes .Rx}}</td><td>{{$.Bytes .Tx}}</td><td>{{$.Bytes .Total}}</td><td>{{$.Speed .PeakBytesPerSec}}</td></tr>
{{end}}</table>{{end}}
</body>
</html>
`))

// mdEscape escapes text for Markdown: the characters that open inline
// markup (emphasis, code, links, HTML, entities, strikethrough), the table
// cell separator and the heading mark get a backslash, and line breaks
// become spaces so a value cannot start a new block. Digits, dots and
// hyphens stay readable in the raw file.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case strings.ContainsRune("\\`*_[]<>#|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func renderMarkdown(w io.Writer, d *ReportData) error {
	by := func(n uint64) string { return mdEscape(units.FormatBytesBase(n, d.UnitBase)) }
	sp := func(n uint64) string { return mdEscape(units.FormatSpeedBase(n, d.UnitBase)) }
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(d.Title))
	fmt.Fprintf(&b, "%s (%s) · %s to %s · %s · generated %s\n\n", mdEscape(d.Device.Hostname), mdEscape(d.Device.OSType),
		mdEscape(d.From.String()), mdEscape(d.To.String()), mdEscape(d.Timezone), mdEscape(d.GeneratedAt.Format(time.RFC3339)))
	if d.Empty {
		fmt.Fprintf(&b, "**No traffic was recorded between %s and %s.**\n\n", mdEscape(d.From.String()), mdEscape(d.To.String()))
	}
	b.WriteString("## Summary\n\n| | |\n|---|---:|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("Total", by(d.Totals.Total()))
	row("Downloaded", by(d.Totals.Rx))
	row("Uploaded", by(d.Totals.Tx))
	row("Days tracked", strconv.Itoa(d.DaysTracked))
	row("Daily average", by(d.DailyAverage.Total()))
	peak := sp(d.PeakSpeed)
	if !d.PeakSpeedAt.IsZero() {
		peak += " (" + mdEscape(d.PeakSpeedAt.Format("2006-01-02 15:04 MST")) + ")"
	}
	row("Peak speed", peak)
	if d.PeakDay.Total() > 0 {
		row("Busiest day", mdEscape(d.PeakDay.Date.String())+" "+by(d.PeakDay.Total()))
	}
	row("Upload/download ratio", mdEscape(ratioString(d.UploadRatio)))
	row("Personality", mdEscape(d.Personality))
	row("That is", mdEscape(formatFloat(d.DVDs, 2)+" DVDs (4.7 GB) or "+formatFloat(d.HDMovies, 2)+" HD movies (5 GB)"))
	row("Cost at "+mdEscape(d.Cost.RateFormatted)+"/GB", mdEscape(d.Cost.TotalFormatted))
	if len(d.Months) > 0 {
		b.WriteString("\n## By month\n\n| Month | Downloaded | Uploaded | Total |\n|---|---:|---:|---:|\n")
		for _, m := range d.Months {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(fmt.Sprintf("%04d-%02d", m.Year, m.Month)), by(m.Rx), by(m.Tx), by(m.Total()))
		}
	}
	if len(d.Days) > 0 {
		b.WriteString("\n## By day\n\n| Date | Downloaded | Uploaded | Total | Peak speed |\n|---|---:|---:|---:|---:|\n")
		for _, day := range d.Days {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(day.Date.String()), by(day.Rx), by(day.Tx), by(day.Total()), sp(day.PeakBytesPerSec))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderTOON writes the report as TOON (Token-Oriented Object Notation),
// a compact, line-oriented encoding of the JSON data model meant for
// language-model prompts: objects by indentation, uniform arrays as tables
// with their length and fields declared once, strings quoted only when
// they would otherwise be misread.
func renderTOON(w io.Writer, d *ReportData) error {
	var b strings.Builder
	kv := func(indent int, key, val string) {
		b.WriteString(strings.Repeat("  ", indent) + key + ": " + val + "\n")
	}
	str := func(s string) string { return toonString(s, ',') }
	num := func(n uint64) string { return strconv.FormatUint(n, 10) }
	date := func(d usage.Date) string {
		if d.IsZero() {
			return "null"
		}
		return str(d.String())
	}
	kv(0, "report", str(d.Kind))
	kv(0, "title", str(d.Title))
	kv(0, "generated_at", str(d.GeneratedAt.Format(time.RFC3339)))
	kv(0, "timezone", str(d.Timezone))
	b.WriteString("device:\n")
	kv(1, "hostname", str(d.Device.Hostname))
	kv(1, "os_type", str(d.Device.OSType))
	kv(1, "device_id", str(d.Device.DeviceID))
	b.WriteString("period:\n")
	kv(1, "from", date(d.From))
	kv(1, "to", date(d.To))
	kv(1, "first_date", date(d.FirstDate))
	kv(1, "last_date", date(d.LastDate))
	kv(1, "days_tracked", strconv.Itoa(d.DaysTracked))
	kv(1, "empty", strconv.FormatBool(d.Empty))
	b.WriteString("totals:\n")
	kv(1, "bytes_sent", num(d.Totals.Tx))
	kv(1, "bytes_received", num(d.Totals.Rx))
	kv(1, "total_bytes", num(d.Totals.Total()))
	kv(1, "human", str(units.FormatBytesBase(d.Totals.Total(), d.UnitBase)))
	kv(0, "daily_average_bytes", num(d.DailyAverage.Total()))
	kv(0, "peak_speed_bytes_per_second", num(d.PeakSpeed))
	if !d.PeakSpeedAt.IsZero() {
		kv(0, "peak_speed_at", str(d.PeakSpeedAt.Format(time.RFC3339)))
	}
	if d.PeakDay.Total() > 0 {
		b.WriteString("peak_day:\n")
		kv(1, "date", date(d.PeakDay.Date))
		kv(1, "bytes", num(d.PeakDay.Total()))
	}
	kv(0, "upload_download_ratio", formatFloat(d.UploadRatio, 3))
	kv(0, "personality", str(d.Personality))
	kv(0, "dvds", formatFloat(d.DVDs, 2))
	kv(0, "hd_movies", formatFloat(d.HDMovies, 2))
	b.WriteString("cost:\n")
	kv(1, "currency", str(d.Cost.Currency))
	kv(1, "cost_per_gb", formatFloat(d.Cost.RatePerGB, 4))
	kv(1, "upload", formatFloat(d.Cost.Upload, 4))
	kv(1, "download", formatFloat(d.Cost.Download, 4))
	kv(1, "total", formatFloat(d.Cost.Total, 4))
	kv(1, "total_formatted", str(d.Cost.TotalFormatted))
	fmt.Fprintf(&b, "monthly[%d]{month,bytes_sent,bytes_received,total_bytes}:\n", len(d.Months))
	for _, m := range d.Months {
		fmt.Fprintf(&b, "  %04d-%02d,%d,%d,%d\n", m.Year, m.Month, m.Tx, m.Rx, m.Total())
	}
	fmt.Fprintf(&b, "daily[%d]{date,bytes_sent,bytes_received,total_bytes,peak_speed}:\n", len(d.Days))
	for _, day := range d.Days {
		fmt.Fprintf(&b, "  %s,%d,%d,%d,%d\n", day.Date, day.Tx, day.Rx, day.Total(), day.PeakBytesPerSec)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// toonString quotes a string value when TOON requires it: empty, padded,
// a keyword or number look-alike, a leading hyphen, or any structural
// character (colon, quote, backslash, brackets, braces, the delimiter,
// control characters). Inside quotes only \\ \" \n \r \t are escapes; other
// control characters are replaced, since TOON cannot carry them.
func toonString(s string, delim rune) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !toonNeedsQuotes(s, delim) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func toonNeedsQuotes(s string, delim rune) bool {
	if s == "" || s != strings.TrimSpace(s) || s == "true" || s == "false" || s == "null" || strings.HasPrefix(s, "-") {
		return true
	}
	if looksNumeric(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == delim || strings.ContainsRune(":\"\\[]{}#", r) {
			return true
		}
	}
	return false
}

// looksNumeric reports whether s would read back as a number: TOON's
// numeric pattern (-?digits, optional fraction, optional exponent) or a
// leading-zero form such as "007".
func looksNumeric(s string) bool {
	return numericLike.MatchString(s) || leadingZero.MatchString(s)
}

var (
	numericLike = regexp.MustCompile(`^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$`)
	leadingZero = regexp.MustCompile(`^0\d+$`)
)

// formatFloat prints a float with at most prec decimals, no exponent and no
// trailing zeros ("1.5", "0", "12.34").
func formatFloat(f float64, prec int) string {
	s := strconv.FormatFloat(roundTo(f, prec), 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// BasicReporter returns the built-in renderer, for a Reporter that renders
// some formats itself and hands the others back (internal/report).
func BasicReporter() Reporter { return basicReporter{} }
